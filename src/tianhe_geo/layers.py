"""The shipped layers: find them, load them, validate them.

``data/geo/`` in the source tree is the source of truth. A wheel carries the
same files inside the package (``tianhe_geo/_data/geo``); :func:`data_dir`
finds whichever is present, so an editable checkout and a ``pip install``
load identical data through one API.
"""

from __future__ import annotations

import logging
import os
from importlib import resources
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ._errors import DataSourceError, UnknownLayerError
from .crs import STORAGE_CRS
from .io import read_vector
from .schemas import SCHEMAS, validate_layer

logger = logging.getLogger(__name__)

#: Layers in the order they are usually drawn and loaded.
LAYER_NAMES = (
    "boundary",
    "subdistricts",
    "structure",
    "transit",
    "projects",
    "parks",
    "facilities",
    "rivers",
    "residents",
)


def data_dir() -> Path:
    """Return the folder holding the shipped layers.

    Returns
    -------
    pathlib.Path
        ``tianhe_geo/_data/geo`` in an installed wheel, else ``data/geo`` of
        the source checkout.
    """
    packaged = Path(str(resources.files("tianhe_geo"))) / "_data" / "geo"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "data" / "geo"
    if checkout.is_dir():
        return checkout
    msg = f"shipped data not found in {packaged} nor {checkout}; reinstall tianhe-geo"
    raise DataSourceError(msg)


def layer_path(name: str) -> Path:
    """Return the path of a shipped layer file.

    Parameters
    ----------
    name : str
        Layer name (see :data:`LAYER_NAMES`).

    Returns
    -------
    pathlib.Path
        Path of its GeoJSON file.
    """
    _check_name(name)
    return data_dir() / f"{name}.geojson"


def is_shipped(gdf: gpd.GeoDataFrame) -> bool:
    """Whether a layer is the shipped one (set by :func:`load_layer`).

    The shipped parks and facilities are incomplete, so sums and shares over
    them are lower bounds; a user's own layer is taken at its word.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A loaded layer (or one derived from it with its ``attrs`` kept).

    Returns
    -------
    bool
        True for a shipped layer; False for a user's file or a frame of
        unknown origin.
    """
    return bool(gdf.attrs.get("shipped", False))


def _check_name(name: str) -> None:
    if name not in SCHEMAS:
        msg = f"unknown layer {name!r}; known layers: {', '.join(LAYER_NAMES)}"
        raise UnknownLayerError(msg)


def read_layer_file(
    path: str | os.PathLike[str],
    name: str,
    boundary: gpd.GeoDataFrame | None = None,
    file_layer: str | None = None,
) -> gpd.GeoDataFrame:
    """Read any vector file and validate it against a layer's schema.

    Parameters
    ----------
    path : path-like
        GeoJSON, GeoPackage, Shapefile or GeoParquet file.
    name : str
        Layer schema to check against (e.g. ``"parks"``).
    boundary : geopandas.GeoDataFrame, optional
        District boundary for the "outside the district" and GCJ-02 checks;
        the shipped boundary is used when omitted (except for the boundary
        layer itself).
    file_layer : str, optional
        Layer inside a multi-layer file.

    Returns
    -------
    geopandas.GeoDataFrame
        The validated layer in EPSG:4326, indexed by its id column.

    Raises
    ------
    LayerSchemaError
        Listing every problem, naming file, layer, rows and columns.
    """
    _check_name(name)
    schema = SCHEMAS[name]
    gdf = read_vector(path, layer=file_layer)
    if boundary is None and name != "boundary":
        boundary = load_layer("boundary")
    where = f"{path} (layer {name!r})"
    validate_layer(gdf, schema, where, boundary=boundary)
    gdf = gdf.to_crs(STORAGE_CRS)
    gdf.index = gdf[schema.id_column].astype(str).rename(None)
    return gdf


def load_layer(
    name: str, overrides: dict[str, str | os.PathLike[str]] | None = None
) -> gpd.GeoDataFrame:
    """Load one shipped layer (or the user's replacement), validated.

    Parameters
    ----------
    name : str
        Layer name: one of ``boundary``, ``subdistricts``, ``structure``,
        ``transit``, ``projects``, ``parks``, ``facilities``, ``rivers``,
        ``residents``.
    overrides : dict, optional
        Layer name -> file to use instead of the shipped file, e.g.
        ``{"parks": "my_parks.gpkg"}``; the replacement is validated against
        the same schema.

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
    _check_name(name)
    overrides = dict(overrides or {})
    path = Path(overrides[name]) if name in overrides else layer_path(name)
    boundary = None
    if name != "boundary":
        boundary = load_layer("boundary", overrides)
    gdf = read_layer_file(path, name, boundary=boundary)
    gdf.attrs["shipped"] = name not in overrides
    logger.debug("loaded %s: %d features from %s", name, len(gdf), path)
    return gdf


def load_layers(
    overrides: dict[str, str | os.PathLike[str]] | None = None,
) -> dict[str, gpd.GeoDataFrame]:
    """Load every shipped layer that exists, validated.

    Parameters
    ----------
    overrides : dict, optional
        Layer name -> replacement file (see :func:`load_layer`).

    Returns
    -------
    dict
        Layer name -> GeoDataFrame, in :data:`LAYER_NAMES` order.
    """
    overrides = dict(overrides or {})
    names = [n for n in LAYER_NAMES if n in overrides or layer_path(n).exists()]
    return {n: load_layer(n, overrides) for n in names}


def describe_layers(layers: dict[str, gpd.GeoDataFrame]) -> pd.DataFrame:
    """Per layer: feature count, stated positional accuracy, approximations, main sources.

    Parameters
    ----------
    layers : dict
        Loaded layers (each has ``source`` and ``accuracy_m`` columns).

    Returns
    -------
    pandas.DataFrame
        Indexed by layer: ``features``, ``accuracy_m`` (min / median / max
        metres as text), ``approximate`` (rows flagged approximate, schematic
        or modelled), ``main_source`` (the most frequent, cut to 70
        characters, with its row count) and ``distinct_sources``.
    """
    rows = {}
    for name, gdf in layers.items():
        acc = pd.to_numeric(gdf.get("accuracy_m"), errors="coerce").dropna()
        flags = [c for c in ("approximate", "schematic", "modelled") if c in gdf.columns]
        approx = int(gdf[flags].astype(bool).any(axis=1).sum()) if flags else 0
        sources = gdf["source"].astype(str)
        top = sources.str.slice(0, 70).value_counts().head(1)
        rows[name] = {
            "features": len(gdf),
            "accuracy_m": (
                f"{acc.min():g} / {acc.median():g} / {acc.max():g}" if len(acc) else "—"
            ),
            "approximate": approx,
            "main_source": "; ".join(f"{s}… ({n} rows)" for s, n in top.items()),
            "distinct_sources": int(sources.nunique()),
        }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("layer")


def subdistrict_names(subdistricts: gpd.GeoDataFrame) -> pd.Series:
    """Bilingual subdistrict labels by code, e.g. ``"五山街道 Wushan"``.

    Parameters
    ----------
    subdistricts : geopandas.GeoDataFrame
        The subdistricts layer (``code``, ``name_zh``, ``name_en``).

    Returns
    -------
    pandas.Series
        Label indexed by code.
    """
    short_en = subdistricts["name_en"].str.replace(" Subdistrict", "", regex=False)
    return pd.Series(
        (subdistricts["name_zh"] + " " + short_en).to_numpy(), index=subdistricts["code"]
    )
