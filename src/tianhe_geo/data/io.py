"""File primitives: read vector files, write any output atomically.

Every write goes to a temporary file in the destination folder and is then
renamed over the target, so a crash never leaves a half-written output. Which
outputs a run writes, and where, is decided in one place only,
:mod:`tianhe_geo.pipeline`; reading layers with their schemas is
:mod:`tianhe_geo.data.layers`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..foundation.errors import DataSourceError

#: File suffix -> pyogrio driver.
DRIVERS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
}


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final destination.

    Yields
    ------
    pathlib.Path
        Temporary path to write to. It is removed if the block raises.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=dest.suffix, dir=dest.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # drivers such as GPKG refuse to write over an empty file
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    finally:
        _remove_sidecars(tmp_path)


def _remove_sidecars(tmp_path: Path) -> None:
    for p in tmp_path.parent.glob(tmp_path.stem + ".*"):
        if p.name.startswith("."):
            p.unlink(missing_ok=True)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text atomically.

    Parameters
    ----------
    text : str
        Content.
    path : path-like
        Destination.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write bytes atomically.

    Parameters
    ----------
    data : bytes
        Content.
    path : path-like
        Destination.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def driver_for(path: str | os.PathLike[str]) -> str:
    """Return the pyogrio driver for a file suffix, or raise a clear error.

    Parameters
    ----------
    path : path-like
        File path.

    Returns
    -------
    str
        Driver name.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        msg = f"{path}: unsupported file type {suffix!r}; use one of {sorted(DRIVERS)}"
        raise DataSourceError(msg)
    return DRIVERS[suffix]


def read_vector(path: str | os.PathLike[str], layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile or GeoParquet file.

    Parameters
    ----------
    path : path-like
        File to read.
    layer : str, optional
        Layer inside a multi-layer file (GeoPackage).

    Returns
    -------
    geopandas.GeoDataFrame
        The raw frame, CRS as stored in the file.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found"
        raise DataSourceError(msg)
    driver = driver_for(p)
    try:
        if driver == "Parquet":
            return gpd.read_parquet(p)
        return gpd.read_file(p, layer=layer, engine="pyogrio")
    except Exception as exc:  # any reader failure becomes one clear message
        msg = f"{p}: cannot be read as {driver}: {exc}"
        raise DataSourceError(msg) from exc


def write_vector(
    gdf: gpd.GeoDataFrame, path: str | os.PathLike[str], layer: str | None = None
) -> Path:
    """Write a frame atomically; the format follows the file suffix.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame to write.
    path : path-like
        Destination (.geojson, .gpkg, .shp, .parquet).
    layer : str, optional
        Layer name inside a GeoPackage.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    dest = Path(path)
    driver = driver_for(dest)
    if driver == "ESRI Shapefile":
        return _write_shapefile(gdf, dest)
    with atomic_path(dest) as tmp:
        if driver == "Parquet":
            gdf.to_parquet(tmp)
        else:
            options = {"COORDINATE_PRECISION": 7} if driver == "GeoJSON" else {}
            name = layer or dest.stem
            gdf.to_file(tmp, driver=driver, layer=name, engine="pyogrio", **options)
    return dest


def geometry_families(gdf: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Split a frame by geometry family, as formats with one geometry type need.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any frame.

    Returns
    -------
    dict
        ``"points"`` / ``"lines"`` / ``"polygons"`` -> rows of that family
        (multi-part types go with their single-part family); only families
        present.
    """
    family = gdf.geom_type.str.replace("Multi", "", regex=False).map(
        {"Point": "points", "LineString": "lines", "Polygon": "polygons"}
    )
    return {f: gdf[family == f] for f in ("points", "lines", "polygons") if (family == f).any()}


def _write_shapefile(gdf: gpd.GeoDataFrame, dest: Path) -> Path:
    families = geometry_families(gdf)
    if len(families) > 1:
        msg = (
            f"{dest}: a shapefile holds one geometry type, this layer has "
            f"{sorted(families)}; write a GeoPackage, or one shapefile per type "
            "(tianhe_geo.io.geometry_families splits them)"
        )
        raise DataSourceError(msg)
    # A shapefile is several files: write them all in a temporary folder,
    # then move each into place.
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".shp.") as tmpdir:
        tmp = Path(tmpdir) / dest.name
        gdf = gdf.rename(columns=_shapefile_names(gdf.columns))
        # dBase text fields hold 254 bytes; cut explicitly rather than let GDAL warn.
        for col in gdf.columns:
            if col != gdf.geometry.name and pd.api.types.is_string_dtype(gdf[col].dtype):
                gdf[col] = gdf[col].map(
                    lambda v: v.encode()[:254].decode(errors="ignore") if isinstance(v, str) else v
                )
        gdf.to_file(tmp, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8")
        for part in Path(tmpdir).iterdir():
            os.replace(part, dest.parent / part.name)
    return dest


def _shapefile_names(columns: Iterable[str]) -> dict[str, str]:
    """Map column names to unique names of at most 10 characters (dBase limit)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        if col == "geometry" or len(col) <= 10:
            used.add(col)
    for col in columns:
        if col == "geometry" or len(col) <= 10:
            continue
        base, n = col[:10], 1
        name = base
        while name in used:
            suffix = str(n)
            name = base[: 10 - len(suffix)] + suffix
            n += 1
        used.add(name)
        out[col] = name
    return out
