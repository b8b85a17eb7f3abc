"""File input and output: the only module that reads or writes files.

Every write goes to a temporary file in the destination folder and is then
renamed over the target, so a crash never leaves a half-written output.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from ._errors import DataSourceError, NetworkError

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


def _shapefile_names(columns) -> dict[str, str]:
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


def read_walk_network(
    path: str | os.PathLike[str],
    crs: str = "EPSG:4547",
    clip: shapely.Geometry | None = None,
):
    """Read a walking network from an OpenStreetMap extract (.osm XML or .osm.pbf).

    Both formats are read by the same pyosmium handler
    (:func:`tianhe_geo._osm.read_osm`) and give the same network: every way
    the walk rule keeps (:data:`tianhe_geo._osm.WALK_RULE`, documented tag by
    tag in that module), cut into straight segments between consecutive
    nodes, measured in ``crs``. Extracts cut at their edge, whose ways
    reference missing nodes, are accepted.

    Parameters
    ----------
    path : path-like
        ``.osm`` or ``.osm.pbf`` / ``.pbf`` file.
    crs : str, default "EPSG:4547"
        Projected CRS to measure in.
    clip : shapely geometry, optional
        Area to keep (lon/lat, EPSG:4326), e.g. the district plus a buffer;
        segments with a node outside it are dropped.

    Returns
    -------
    tianhe_geo.network.WalkNetwork
        The network.

    Raises
    ------
    DataSourceError
        File missing or unreadable, or no walkable way inside ``clip``.
    """
    from ._osm import read_osm
    from .network import from_frames

    extract = read_osm(path, clip)
    try:
        return from_frames(extract.nodes, extract.segments, crs)
    except NetworkError as exc:
        msg = f"{Path(path)}: {exc}"
        raise DataSourceError(msg) from exc


def _scenario_change(entry: object, base: Path, label: str):
    from .scenario import Change

    if not isinstance(entry, dict):
        msg = f"{label}: expected a mapping with 'layer' and 'action', got {entry!r}"
        raise DataSourceError(msg)
    known = {"layer", "action", "ids", "where", "values", "file"}
    extra = sorted(set(entry) - known)
    if extra:
        msg = f"{label}: unknown keys {extra}; expected some of {sorted(known)}"
        raise DataSourceError(msg)
    features = None
    if "file" in entry:
        try:
            features = read_vector(base / entry["file"])
        except DataSourceError as exc:
            msg = f"{label}: {exc}"
            raise DataSourceError(msg) from exc
    return Change(
        layer=str(entry.get("layer", "")),
        action=str(entry.get("action", "")),
        ids=tuple(map(str, entry.get("ids", ()))),
        where=dict(entry.get("where") or {}),
        values=dict(entry.get("values") or {}),
        features=features,
        label=label,
    )


_TRUE = {"true": True, "1": True, "false": False, "0": False}


def _coerce_bools(gdf: gpd.GeoDataFrame, kinds: dict[str, str]) -> gpd.GeoDataFrame:
    """GeoJSON readers return a bool column with gaps as text: restore true / false."""
    out = gdf.copy()
    for column, kind in kinds.items():
        if kind == "bool" and column in out.columns and out[column].dtype != bool:
            mapped = out[column].map(lambda v: _TRUE.get(str(v).strip().lower()))
            if mapped.notna().all():
                out[column] = mapped.astype(bool)
    return out


def _geojson_changes(path: Path) -> tuple:
    from .scenario import Change
    from .schemas import SCHEMAS

    gdf = read_vector(path)
    missing = [c for c in ("layer", "action") if c not in gdf.columns]
    if missing:
        msg = f"{path}: a GeoJSON scenario needs properties {missing} on every feature"
        raise DataSourceError(msg)
    changes = []
    for (layer, action), part in gdf.groupby(["layer", "action"], sort=False):
        label = f"{path} ({action} {layer})"
        id_col = SCHEMAS[layer].id_column if layer in SCHEMAS else "id"
        body = part.drop(columns=["layer", "action"])
        # Features of several layers share one file: drop the other layers' columns.
        empty = [c for c in body.columns if c != body.geometry.name and body[c].isna().all()]
        body = body.drop(columns=empty)
        if layer in SCHEMAS:
            body = _coerce_bools(body, SCHEMAS[layer].all_columns)
        if action == "add":
            changes.append(Change(layer, action, features=body, label=label))
            continue
        ids = tuple(body[id_col].astype(str)) if id_col in body.columns else ()
        if action == "remove":
            changes.append(Change(layer, action, ids=ids, label=label))
            continue
        for i, (_, row) in enumerate(body.iterrows()):
            values = {
                k: v
                for k, v in row.items()
                if k not in (id_col, body.geometry.name) and pd.notna(v)
            }
            geom = row[body.geometry.name]
            has_geom = isinstance(geom, shapely.Geometry) and not geom.is_empty
            moved = body.iloc[[i]] if has_geom else None
            changes.append(
                Change(layer, action, ids=(ids[i],), values=values, features=moved, label=label)
            )
    return tuple(changes)


def read_scenario(path: str | os.PathLike[str]):
    """Read a scenario from YAML (with GeoJSON files beside it) or from one GeoJSON.

    YAML form::

        name: Plan 2025
        name_zh: 十四五规划项目
        description: what it represents and its sources
        changes:
          - {layer: facilities, action: set, where: {status: planned}, values: {status: existing}}
          - {layer: parks, action: add, file: new_parks.geojson}
          - {layer: facilities, action: remove, ids: [clinic-07]}

    GeoJSON form: every feature has properties ``layer`` and ``action``
    (``add`` / ``remove`` / ``set``) besides the layer's own columns; ``remove``
    and ``set`` find features by the layer's id column, ``set`` overwrites the
    non-empty properties and, when present, the geometry.

    Parameters
    ----------
    path : path-like
        ``.yaml`` / ``.yml`` or ``.geojson`` file.

    Returns
    -------
    tianhe_geo.scenario.Scenario
        The scenario (not yet applied).

    Raises
    ------
    DataSourceError
        Missing or unreadable file, or malformed entries (named by number).
    """
    import yaml

    from .scenario import Scenario

    p = Path(path)
    if p.suffix.lower() == ".geojson":
        return Scenario(name=p.stem, changes=_geojson_changes(p))
    if p.suffix.lower() not in (".yaml", ".yml"):
        msg = f"{p}: a scenario is a .yaml/.yml or .geojson file"
        raise DataSourceError(msg)
    if not p.exists():
        msg = f"{p}: file not found"
        raise DataSourceError(msg)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        msg = f"{p}: not valid YAML: {exc}"
        raise DataSourceError(msg) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("changes"), list):
        msg = f"{p}: expected a mapping with a 'changes' list"
        raise DataSourceError(msg)
    changes = tuple(
        _scenario_change(entry, p.parent, f"{p} change #{i + 1}")
        for i, entry in enumerate(doc["changes"])
    )
    return Scenario(
        name=str(doc.get("name", p.stem)),
        name_zh=str(doc.get("name_zh", "")),
        description=str(doc.get("description", "")),
        changes=changes,
    )
