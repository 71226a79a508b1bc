"""Sweeps: a scenario's variants by validated key paths (cartesian product x seeded trials), run on Dask, stored
as Parquet parts plus one DuckDB file, compared side by side and plotted.

Layer: above ``report``/``store`` and below ``cli`` (a sweep's comparison report reuses the run report's maps;
the sweep writes its own database, a single run's database stays ``store``'s)."""
