"""Results of a run on disk: the DuckDB database (:mod:`~bmdsim.store.database`) and the exports for other
tools (:mod:`~bmdsim.store.exports`: CZML for Cesium, KML for Google Earth, GeoJSON)."""
