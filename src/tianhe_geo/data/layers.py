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
from pathlib import Path

import geopandas as gpd

from ..foundation.crs import STORAGE_CRS
from .io import read_vector
from .paths import LAYER_NAMES, check_layer_name, layer_path
from .schemas import SCHEMAS, is_complete, read_bools, validate_layer

logger = logging.getLogger(__name__)

#: A layer name -> the file to read instead of the shipped one.
Overrides = Mapping[str, "str | os.PathLike[str]"]


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
        the shipped boundary is read when omitted (except for the boundary
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
    schema = SCHEMAS[check_layer_name(name)]
    gdf = read_bools(read_vector(path, layer=file_layer), schema)
    if boundary is None and name != "boundary":
        boundary = load_layer("boundary")
    where = f"{path} (layer {name!r})"
    validate_layer(gdf, schema, where, boundary=boundary)
    gdf = gdf.to_crs(STORAGE_CRS)
    gdf.index = gdf[schema.id_column].astype(str).rename(None)
    return gdf


def load_layer(
    name: str,
    overrides: Overrides | None = None,
    boundary: gpd.GeoDataFrame | None = None,
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
        ``{"parks": "my_parks.gpkg"}``; the replacement is validated against
        the same schema.
    boundary : geopandas.GeoDataFrame, optional
        The study area's boundary, already loaded (read when omitted).

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
    path = Path(overrides[name]) if name in overrides else layer_path(name)
    if boundary is None and name != "boundary":
        boundary = load_layer("boundary", overrides)
    gdf = read_layer_file(path, name, boundary=boundary)
    logger.debug("loaded %s: %d features from %s", name, len(gdf), path)
    return gdf


def load_layers(overrides: Overrides | None = None) -> dict[str, gpd.GeoDataFrame]:
    """Load every shipped layer that exists (or its replacement), validated.

    The boundary is read once and used to check every other layer.

    Parameters
    ----------
    overrides : mapping, optional
        Layer name -> replacement file (see :func:`load_layer`).

    Returns
    -------
    dict
        Layer name -> GeoDataFrame, in :data:`~tianhe_geo.data.paths.LAYER_NAMES` order.
    """
    overrides = dict(overrides or {})
    for name in overrides:
        check_layer_name(name)
    names = [n for n in LAYER_NAMES if n in overrides or layer_path(n).exists()]
    boundary = load_layer("boundary", overrides)
    return {n: boundary if n == "boundary" else load_layer(n, overrides, boundary) for n in names}


__all__ = ["Overrides", "is_complete", "load_layer", "load_layers", "read_layer_file"]
