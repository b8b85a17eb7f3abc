"""Layers: read any vector file against its schema, and load the shipped ones.

Completeness is explicit data, not hidden state
(:func:`~tianhe_geo.data.schemas.is_complete`): a feature of a layer known to
be incomplete (the shipped parks and facilities are a labelled sample) carries
``layer_complete = False`` in the column :data:`~tianhe_geo.data.schemas.LAYER_COMPLETE`.
The column travels with the rows through ``pd.concat``, ``merge`` and file
round trips, so a layer assembled from a sample is still known to be one. A
user's file without the column is taken at its word: complete.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TypeAlias

import geopandas as gpd
import pandas as pd

from ..foundation.crs import STORAGE_CRS, to_wgs84_from
from ..foundation.errors import LayerSchemaError
from .io import misdecoded_text, read_vector, restore_shapefile_names, split_layer_suffix
from .paths import LAYER_NAMES, check_layer_name, data_dir, layer_path
from .schemas import (
    OPTIONAL_COLUMNS,
    SCHEMAS,
    LayerSchema,
    is_complete,
    read_bools,
    read_numbers,
    unknown_subdistricts,
    validate_layer,
)

logger = logging.getLogger(__name__)

#: Where a layer comes from: a file (``"parks.gpkg"``, ``"plan.gpkg:parks"`` for a
#: layer inside a GeoPackage, see :func:`~tianhe_geo.data.io.split_layer_suffix`) or
#: a ``(file, layer)`` pair.
Source: TypeAlias = "str | os.PathLike[str] | tuple[str | os.PathLike[str], str | None]"

#: A layer name -> the file (and layer inside it) to read instead of the shipped one.
Overrides = Mapping[str, Source]


def source_of(source: Source) -> tuple[Path, str | None]:
    """The file and the layer inside it that an override names.

    Parameters
    ----------
    source : str, path-like or (path, layer)
        ``"my_parks.gpkg"``, ``"plan.gpkg:parks"`` or ``("plan.gpkg", "parks")``;
        a ``pathlib.Path`` is taken as a file name as it is.

    Returns
    -------
    (pathlib.Path, str or None)
        The file and the layer (None: the file's only layer).
    """
    if isinstance(source, tuple):
        path, layer = source
        return Path(path), layer
    if isinstance(source, str):
        path, layer = split_layer_suffix(source)
        return Path(path), layer
    return Path(source), None


def read_layer_table(
    path: str | os.PathLike[str],
    schema: LayerSchema,
    file_layer: str | None = None,
    encoding: str | None = None,
) -> gpd.GeoDataFrame:
    """Read a file as a layer's raw table: full column names, bools and numbers restored.

    Parameters
    ----------
    path : path-like
        Vector file.
    schema : LayerSchema
        The layer it should be.
    file_layer : str, optional
        Layer inside a multi-layer file.
    encoding : str, optional
        Attribute encoding of a shapefile without ``.cpg`` (e.g. ``"gbk"``).

    Returns
    -------
    geopandas.GeoDataFrame
        Not yet validated.

    Raises
    ------
    DataSourceError
        Unreadable file.
    LayerSchemaError
        Chinese names read in the wrong encoding (with how to fix it).
    """
    gdf = read_vector(path, layer=file_layer, encoding=encoding)
    if Path(path).suffix.lower() == ".shp":
        gdf = restore_shapefile_names(
            gdf, [*schema.all_columns, *OPTIONAL_COLUMNS, *schema.optional]
        )
    if "name_zh" in gdf.columns:
        garbled = misdecoded_text(gdf["name_zh"])
        if garbled is not None:
            raise LayerSchemaError(str(path), [_encoding_advice(Path(path), *garbled)])
    return read_numbers(read_bools(gdf, schema), schema)


def _encoding_advice(path: Path, read: str, meant: str) -> str:
    fix = (
        f"add a file {path.with_suffix('.cpg').name} containing the single word GBK beside it"
        if path.suffix.lower() == ".shp"
        else "save the file as UTF-8"
    )
    return (
        f"column 'name_zh' holds no Chinese: text such as {read!r} is {meant!r} read in the "
        f"wrong encoding (GBK read as Latin-1); {fix}, or read it with "
        "tianhe_geo.read_layer_file(path, name, encoding='gbk')"
    )


#: Shipped layers whose features every other file is checked against for its datum
#: (the residents grid is modelled, not surveyed: it is checked against the boundary).
REFERENCE_LAYERS = tuple(n for n in LAYER_NAMES if n != "residents")


@lru_cache(maxsize=1)
def reference_features() -> gpd.GeoSeries:
    """The shipped layers' points, lines and polygon outlines (EPSG:4326), read once.

    What a user's layer is checked against for its datum
    (:func:`~tianhe_geo.foundation.crs.datum_fit`): a file made on Chinese web
    maps holds some of the same stations, roads, parks or boundary, about
    600 m away from them as stored.

    Returns
    -------
    geopandas.GeoSeries
        Geometries of :data:`REFERENCE_LAYERS` that ship (polygons as outlines),
        and the OpenStreetMap metro ways and stations shipped as the transit
        layer's sources (:func:`osm_reference_features`).
    """
    return _reference_of(REFERENCE_LAYERS)


def _reference_of(names: tuple[str, ...]) -> gpd.GeoSeries:
    parts = [osm_reference_features()]
    for name in names:
        if layer_path(name).exists():
            geoms = read_vector(layer_path(name)).to_crs(STORAGE_CRS).geometry
            poly = geoms.geom_type.isin(["Polygon", "MultiPolygon"])
            parts += [geoms[~poly], geoms[poly].boundary]
    return gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=STORAGE_CRS)


def reference_without(name: str) -> gpd.GeoSeries:
    """:func:`reference_features` without one layer: what a file not copied from it meets.

    Parameters
    ----------
    name : str
        Layer to leave out.

    Returns
    -------
    geopandas.GeoSeries
        The other layers' geometries and the OpenStreetMap sources (EPSG:4326).
    """
    return _reference_of(tuple(n for n in REFERENCE_LAYERS if n != name))


#: OpenStreetMap data shipped as the transit layer's sources: metro ways (lines)
#: and stations (a CSV of lon, lat), independent of every layer's own digitising.
OSM_WAYS_FILE = Path("sources") / "transit_osm_ways.geojson"
OSM_STATIONS_FILE = Path("sources") / "transit_osm_reference.csv"


@lru_cache(maxsize=1)
def osm_reference_features() -> gpd.GeoSeries:
    """The shipped OpenStreetMap metro ways and stations (EPSG:4326); empty when absent.

    Returns
    -------
    geopandas.GeoSeries
        Lines and points.
    """
    parts = []
    ways, stations = data_dir() / OSM_WAYS_FILE, data_dir() / OSM_STATIONS_FILE
    if ways.exists():
        parts.append(read_vector(ways).to_crs(STORAGE_CRS).geometry)
    if stations.exists():
        table = pd.read_csv(stations, usecols=["lon", "lat"])
        parts.append(gpd.GeoSeries.from_xy(table["lon"], table["lat"], crs=STORAGE_CRS))
    if not parts:
        return gpd.GeoSeries([], crs=STORAGE_CRS)
    return gpd.GeoSeries(pd.concat(parts, ignore_index=True), crs=STORAGE_CRS)


def _is_shipped(path: str | os.PathLike[str], name: str) -> bool:
    try:
        return Path(path).resolve() == layer_path(name).resolve()
    except OSError:
        return False


def read_layer_file(
    path: str | os.PathLike[str],
    name: str,
    boundary: gpd.GeoDataFrame | None = None,
    file_layer: str | None = None,
    encoding: str | None = None,
    datum: str | None = None,
) -> gpd.GeoDataFrame:
    """Read any vector file and validate it against a layer's schema.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile or GeoParquet file. Shapefile columns
        cut to 10 characters (``approximat``) get their full names back.
    name : str
        Layer schema to check against (e.g. ``"parks"``).
    boundary : geopandas.GeoDataFrame, optional
        District boundary for the "outside the district" and GCJ-02 checks;
        the shipped boundary is read when omitted (except for the boundary
        layer itself).
    file_layer : str, optional
        Layer inside a multi-layer file (required when it holds several).
    encoding : str, optional
        Attribute encoding of a shapefile without a ``.cpg`` file (``"gbk"``).
    datum : {'gcj02', 'bd09'}, optional
        The file's lon/lat are really in this datum (a Chinese web-map
        export labelled WGS-84): converted to WGS-84 before the checks.
        Without it, a file other than the shipped one whose features sit on
        the shipped layers' only once read as GCJ-02 or BD-09
        (:func:`reference_features`) is refused, naming the fix.

    Returns
    -------
    geopandas.GeoDataFrame
        The validated layer in EPSG:4326, indexed by its id column; number
        columns hold numbers (text such as ``"218.4"`` is converted).

    Raises
    ------
    LayerSchemaError
        Listing every problem, naming file, layer, rows and columns.
    DataSourceError
        The file cannot be read (one line saying what was expected).
    """
    schema = SCHEMAS[check_layer_name(name)]
    gdf = read_layer_table(path, schema, file_layer, encoding)
    if datum is not None and gdf.crs is not None:
        gdf = to_wgs84_from(gdf, datum)
    if boundary is None and name != "boundary":
        boundary = load_layer("boundary")
    where = f"{path}" + (f":{file_layer}" if file_layer else "") + f" (layer {name!r})"
    # The shipped file is the reference itself: checking it against itself says nothing.
    reference = None if _is_shipped(path, name) else reference_features()
    validate_layer(gdf, schema, where, boundary=boundary, reference=reference)
    gdf = gdf.to_crs(STORAGE_CRS)
    gdf.index = gdf[schema.id_column].astype(str).rename(None)
    return gdf


def load_layer(
    name: str,
    overrides: Overrides | None = None,
    boundary: gpd.GeoDataFrame | None = None,
    datum: str | None = None,
) -> gpd.GeoDataFrame:
    """Load one shipped layer (or the user's replacement), validated.

    Parameters
    ----------
    name : str
        Layer name: one of ``boundary``, ``subdistricts``, ``structure``,
        ``transit``, ``projects``, ``parks``, ``facilities``, ``rivers``,
        ``residents``.
    overrides : mapping, optional
        Layer name -> file to use instead of the shipped file, e.g.
        ``{"parks": "my_parks.gpkg"}``, ``{"parks": "plan.gpkg:parks"}`` or
        ``{"parks": ("plan.gpkg", "parks")}`` for a layer inside a GeoPackage;
        the replacement is validated against the same schema.
    boundary : geopandas.GeoDataFrame, optional
        The study area's boundary, already loaded (read when omitted).
    datum : {'gcj02', 'bd09'}, optional
        The replacement files are in this datum (see :func:`read_layer_file`);
        shipped files are WGS-84 and never converted.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in EPSG:4326, indexed by its id column.

    Examples
    --------
    >>> import tianhe_geo
    >>> sub = tianhe_geo.load_layer("subdistricts")
    >>> len(sub), int(sub["population"].sum())
    (21, 2241800)
    """
    overrides = dict(overrides or {})
    path, file_layer = source_of(overrides[name]) if name in overrides else (layer_path(name), None)
    if boundary is None and name != "boundary":
        boundary = load_layer("boundary", overrides, datum=datum)
    own = datum if name in overrides else None
    gdf = read_layer_file(path, name, boundary=boundary, file_layer=file_layer, datum=own)
    logger.debug("loaded %s: %d features from %s", name, len(gdf), path)
    return gdf


def load_layers(
    overrides: Overrides | None = None, datum: str | None = None, shipped: bool = True
) -> dict[str, gpd.GeoDataFrame]:
    """Load every shipped layer that exists (or its replacement), validated.

    The boundary is read once and used to check every other layer.

    Parameters
    ----------
    overrides : mapping, optional
        Layer name -> replacement file (see :func:`load_layer`).
    datum : {'gcj02', 'bd09'}, optional
        The replacement files are in this datum (converted to WGS-84).
    shipped : bool, default True
        Fill the layers ``overrides`` lacks with the shipped ones; False loads
        only the overrides (another study area, see :func:`data_folder`).

    Returns
    -------
    dict
        Layer name -> GeoDataFrame, in :data:`~tianhe_geo.data.paths.LAYER_NAMES` order.
    """
    overrides = dict(overrides or {})
    for name in overrides:
        check_layer_name(name)
    names = [n for n in LAYER_NAMES if n in overrides or (shipped and layer_path(n).exists())]
    boundary = load_layer("boundary", overrides, datum=datum)
    layers = {
        n: boundary if n == "boundary" else load_layer(n, overrides, boundary, datum) for n in names
    }
    if "residents" in layers and "subdistricts" in layers:
        # Residents coded to a subdistrict the polygons lack would be counted nowhere.
        sub_file = source_of(overrides.get("subdistricts", layer_path("subdistricts")))[0]
        problems = unknown_subdistricts(layers["residents"], layers["subdistricts"], str(sub_file))
        if problems:
            res_file = source_of(overrides.get("residents", layer_path("residents")))[0]
            where = f"{res_file} (layer 'residents')"
            raise LayerSchemaError(where, problems)
    return layers


def data_folder(folder: str | os.PathLike[str]) -> tuple[dict[str, Path], bool]:
    """The layers a data folder holds, and whether shipped layers may fill its gaps.

    A data folder (what ``tianhe-geo import osm`` writes) holds ``NAME.geojson``
    (or ``.gpkg``, ``.parquet``, ``.shp``) per layer. Its files replace the
    shipped ones. A folder with its own ``boundary`` is another study area:
    the shipped (Tianhe) layers cannot fill its gaps, so a layer it lacks is
    absent, and a command that needs it says so. A folder without a boundary
    refines the shipped study area: its missing layers are the shipped ones.

    Parameters
    ----------
    folder : path-like
        The data folder.

    Returns
    -------
    (dict, bool)
        Layer name -> file, and True when shipped layers fill the gaps.

    Raises
    ------
    DataSourceError
        The folder does not exist or holds no layer file.
    """
    from ..foundation.errors import DataSourceError

    root = Path(folder)
    if not root.is_dir():
        msg = f"--data {root}: not a folder"
        raise DataSourceError(msg)
    found: dict[str, Path] = {}
    for name in LAYER_NAMES:
        for suffix in (".geojson", ".gpkg", ".parquet", ".shp"):
            if (root / f"{name}{suffix}").exists():
                found[name] = root / f"{name}{suffix}"
                break
    if not found:
        msg = f"--data {root}: no layer file (expected e.g. boundary.geojson, parks.geojson)"
        raise DataSourceError(msg)
    return found, "boundary" not in found


def require_layers(
    layers: Mapping[str, gpd.GeoDataFrame], names: tuple[str, ...], what: str
) -> None:
    """Raise naming the layers a task needs that are not loaded.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    names : tuple of str
        Layers the task needs.
    what : str
        The task, for the message.

    Raises
    ------
    DataSourceError
        Listing the missing layers and how to provide them.
    """
    from ..foundation.errors import DataSourceError

    missing = [n for n in names if n not in layers]
    if missing:
        msg = (
            f"{what} needs the layer(s) {missing}, which the data folder lacks; add "
            f"{missing[0]}.geojson to it or give --layer {missing[0]}=FILE"
        )
        raise DataSourceError(msg)


__all__ = [
    "Overrides",
    "data_folder",
    "is_complete",
    "load_layer",
    "load_layers",
    "read_layer_file",
    "read_layer_table",
    "require_layers",
    "source_of",
]
