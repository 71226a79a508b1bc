"""A disk cache of built fan sectors, so that a second run (or a second sweep worker) loads what the first built.

A fan sector (:class:`~bmdsim.engagement.fan.Fan`) costs about 900 interceptor flights, 1 s of CPU; the default
run builds over a hundred of them (five variants at two sites, and the chase's speed search). They depend only
on the interceptor, the site, the fan settings and the code that flies them, so they are stored under a key
that hashes all of these:

- the interceptor's full ``repr`` (every stage, mass and steering time, and its claimed burnout speed), the
  site's latitude, longitude and height, and the :class:`~bmdsim.engagement.fan.FanSettings` ``repr``;
- the source text of every module of :mod:`bmdsim.core` and :mod:`bmdsim.flight` and of the fan module, and
  the versions of Python, numpy, numba and ambiance (the compiled engine's results could move with them).

Any change to any of these gives a new key; nothing is ever looked up by a stale key. A loaded sector is the
array the build wrote, bit for bit (tested against a fresh build). Files are written to a temporary name and
renamed into place, so a killed process or two workers writing the same sector leave a whole file or none; a
file that does not read back (truncated, foreign) is rebuilt and overwritten.

Where: ``BMDSIM_CACHE_DIR`` if set, else the user cache folder (``platformdirs``: ``~/.cache/bmdsim`` on Linux).
``BMDSIM_NO_CACHE=1`` turns the cache off. It keeps at most ``BMDSIM_CACHE_MAX_MB`` megabytes (default 4096),
dropping the least recently used sectors first. ``bmdsim cache`` shows where it is and how big; ``bmdsim cache
--clear`` empties it. If the folder cannot be written, the run goes on without it (one warning).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import io
import json
import os
import sys
import tempfile
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from bmdsim.errors import BmdsimWarning

__all__ = ["CacheInfo", "cache_dir", "clear", "info", "fan_key", "load_sector", "save_sector"]

#: bump when the file layout changes
FORMAT = 2
#: the four tables of a sector: name and dtype (as :class:`~bmdsim.engagement.fan.Fan` holds them)
_TABLES = (("t", np.float64), ("kick", np.float32), ("cutoff", np.float32), ("family", np.int8))
_CODEC = "zstd"   # via pyarrow (a dependency already): ~1 ms to inflate a sector, where zlib took ~30 ms
ENV_DIR, ENV_OFF, ENV_MAX = "BMDSIM_CACHE_DIR", "BMDSIM_NO_CACHE", "BMDSIM_CACHE_MAX_MB"
DEFAULT_MAX_MB = 4096.0
_FANS = "fans"
_state: dict = {"warned": False, "used_bytes": {}}   # used bytes per cache folder, counted once


def cache_dir() -> Path | None:
    """The cache folder (not created here), or None when the cache is off."""
    if os.environ.get(ENV_OFF, "").strip().lower() not in ("", "0", "false", "no"):
        return None
    d = os.environ.get(ENV_DIR, "").strip()
    if d:
        return Path(d).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("bmdsim", appauthor=False))


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Hash of the source of the modules that fly and tabulate a fan, and of the versions that compile it."""
    import bmdsim.core
    import bmdsim.flight

    h = hashlib.sha256()
    files = [p for pkg in (bmdsim.core, bmdsim.flight) for p in sorted(Path(pkg.__file__).parent.glob("*.py"))]
    files.append(Path(__file__).with_name("fan.py"))
    for p in files:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    for dist in ("numpy", "numba", "ambiance"):
        try:
            h.update(f"{dist}={importlib.metadata.version(dist)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{dist}=none".encode())
    h.update(sys.version.encode())
    return h.hexdigest()


def fan_key(interceptor, latitude_deg: float, longitude_deg: float, altitude_m: float, settings) -> str | None:
    """The cache key of a fan, or None where its sectors must not be cached (a non-default integrator, e.g. the
    benchmarks' ``solve_ivp`` peer or a callable)."""
    if settings.integrator != "engine":
        return None
    text = "\n".join([f"format={FORMAT}", code_fingerprint(), repr(interceptor), repr(interceptor.claim),
                      repr((float(latitude_deg), float(longitude_deg), float(altitude_m))), repr(settings)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _sector_path(root: Path, key: str, sector: int) -> Path:
    return root / _FANS / key / f"sector-{sector:03d}.npz"


def load_sector(key: str | None, sector: int, out) -> tuple[int, int] | None:
    """Read one cached sector into ``out``, the fan's four table slabs ``(t, kick, cutoff, family)`` of that
    sector: only its stored part (the rows and columns up to the last reachable cell) is written. Returns that
    part's shape (the sector's extent), or None (``out`` untouched) if not cached."""
    root = cache_dir()
    if key is None or root is None:
        return None
    p = _sector_path(root, key, sector)
    try:
        got = _read(p)
    except Exception:   # not cached, or a truncated or foreign file (rebuilt and overwritten)
        return None
    nr, nh = got[0].shape
    if nr > out[0].shape[0] or nh > out[0].shape[1]:
        return None
    for o, a in zip(out, got, strict=True):
        o[:nr, :nh] = a
    try:
        os.utime(p)   # least recently used goes first
    except OSError:
        pass
    return nr, nh


def save_sector(key: str | None, sector: int, tables, extent, *, describe: dict | None = None) -> None:
    """Store one built sector: the four tables ``(t, kick, cutoff, family)`` cut to ``extent`` (the rows and
    columns up to the last reachable cell, as the fan reads them), each table's bytes compressed with zstd."""
    root = cache_dir()
    if key is None or root is None:
        return
    nr, nh = (int(x) for x in extent)
    p = _sector_path(root, key, sector)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        meta = p.parent / "fan.json"
        if describe and not meta.exists():
            _atomic_write(meta, json.dumps(describe, indent=1).encode())
        buf = io.BytesIO()
        _write(buf, tuple(a[:nr, :nh] for a in tables))
        _atomic_write(p, buf.getvalue())
        _account(root, p.stat().st_size)
    except OSError as exc:
        if not _state["warned"]:
            _state["warned"] = True
            warnings.warn(f"the fan cache in {root} cannot be written ({exc.strerror or exc}); going on without it "
                          f"(set {ENV_DIR} to a writable folder, or {ENV_OFF}=1)", BmdsimWarning, stacklevel=2)


def _write(fh, tables) -> None:
    """An npz (stored, not deflated) of the tables' shape and each table's bytes compressed with zstd."""
    import pyarrow as pa

    blobs = {name: np.frombuffer(pa.compress(np.ascontiguousarray(a, dtype=dt).tobytes(), codec=_CODEC,
                                             asbytes=True), dtype=np.uint8)
             for (name, dt), a in zip(_TABLES, tables, strict=True)}
    np.savez(fh, shape=np.array(tables[0].shape, dtype=np.int64), **blobs)


def _read(p: Path):
    import pyarrow as pa

    with np.load(p) as z:
        nr, nh = (int(x) for x in z["shape"])
        out = []
        for name, dt in _TABLES:
            raw = pa.decompress(z[name].tobytes(), decompressed_size=nr * nh * np.dtype(dt).itemsize, codec=_CODEC,
                                asbytes=True)
            out.append(np.frombuffer(raw, dtype=dt).reshape(nr, nh))
    return out


def _atomic_write(p: Path, data: bytes) -> None:
    """Write to a temporary name beside ``p``, then rename into place: a reader sees a whole file or none."""
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, p)


def _files(root: Path):
    return [p for p in (root / _FANS).glob("*/sector-*.npz")] if (root / _FANS).is_dir() else []


def _limit_bytes() -> float:
    try:
        return float(os.environ.get(ENV_MAX, DEFAULT_MAX_MB)) * 1e6
    except ValueError:
        return DEFAULT_MAX_MB * 1e6


def _account(root: Path, added: int) -> None:
    """Keep the cache under its size limit, dropping the least recently used sectors."""
    used = _state["used_bytes"]
    used[root] = used[root] + added if root in used else sum(_size(p) for p in _files(root))
    if used[root] <= _limit_bytes():
        return
    files = sorted(_files(root), key=_mtime)
    total = sum(_size(p) for p in files)
    target = 0.8 * _limit_bytes()
    for p in files:
        if total <= target:
            break
        total -= _size(p)
        try:
            p.unlink()
        except OSError:
            pass
    used[root] = total


def _size(p: Path) -> int:
    try:
        return p.stat().st_size
    except OSError:
        return 0


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


@dataclass(frozen=True, slots=True)
class CacheInfo:
    """Where the cache is and what it holds."""

    path: str | None
    enabled: bool
    fans: int
    sectors: int
    size_mb: float
    max_mb: float

    def to_dict(self) -> dict:
        return {"path": self.path, "enabled": self.enabled, "fans": self.fans, "sectors": self.sectors,
                "size_mb": self.size_mb, "max_mb": self.max_mb}


def info() -> CacheInfo:
    """The cache's folder, number of fans and sectors, and size."""
    root = cache_dir()
    files = _files(root) if root is not None else []
    return CacheInfo(path=None if root is None else str(root), enabled=root is not None,
                     fans=len({p.parent for p in files}), sectors=len(files),
                     size_mb=round(sum(_size(p) for p in files) / 1e6, 1), max_mb=_limit_bytes() / 1e6)


def clear() -> int:
    """Delete every cached fan; returns the number of sector files removed."""
    import shutil

    root = cache_dir()
    if root is None or not (root / _FANS).is_dir():
        return 0
    n = len(_files(root))
    shutil.rmtree(root / _FANS, ignore_errors=True)
    _state["used_bytes"].pop(root, None)
    return n
