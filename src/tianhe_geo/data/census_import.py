"""Residents from a census table at 社区 / 小区 level, allocated to residential land (pure).

Dasymetric rule
---------------
A census unit is a polygon (社区) or a point (小区) with a population.

* A polygon unit's population is shared among the pieces of residential land
  inside it, in proportion to their area (metres², measured in the study area's
  metric CRS); a unit without residential land keeps its own polygon.
* A point unit's population goes to the residential polygon holding it; a point
  on no residential land becomes a 100 m square around it.

Each allocated piece keeps the unit it came from (``source``) and is given the
subdistrict holding its representative point. The sum of the residents equals
the sum of the table exactly (up to float rounding); a test checks it.

Residential land is ``landuse=residential`` and ``building`` = ``residential``,
``apartments``, ``house``, ``dormitory`` areas of an OSM extract, or any polygon
layer the caller passes.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..foundation.crs import STORAGE_CRS, measure_crs
from ..foundation.errors import LayerSchemaError

if TYPE_CHECKING:
    import geopandas as gpd

#: Tags of residential land read from an OSM extract: (key, values).
RESIDENTIAL_TAGS = (
    ("landuse", frozenset({"residential"})),
    ("building", frozenset({"residential", "apartments", "house", "dormitory"})),
)

#: Side of the square a point unit on no residential land becomes, metres.
POINT_CELL_M = 100.0


def residential_land(path: str | os.PathLike[str]) -> gpd.GeoDataFrame:
    """Residential areas of an OSM extract (:data:`RESIDENTIAL_TAGS`), lon/lat.

    Parameters
    ----------
    path : path-like
        ``.osm`` / ``.osm.pbf`` extract.

    Returns
    -------
    geopandas.GeoDataFrame
        One polygon per area, column ``osm_id``.
    """
    import geopandas as gpd
    import shapely

    from .osm import read_osm_features

    feat = read_osm_features(path, keys=("landuse", "building"))
    feat = feat[feat["osm_type"] != "node"]
    hit = pd.Series(False, index=feat.index)
    for key, values in RESIDENTIAL_TAGS:
        hit |= feat["tags"].map(lambda t, k=key: t.get(k)).isin(values)
    rows = feat[hit]
    return gpd.GeoDataFrame(
        {"osm_id": (rows["osm_type"] + "/" + rows["osm_id"].astype(str)).to_numpy()},
        geometry=shapely.make_valid(rows["geometry"].to_numpy()),
        crs=STORAGE_CRS,
    )


def _check_units(units: gpd.GeoDataFrame, column: str, where: str) -> np.ndarray:
    if column not in units.columns:
        problems = [f"no population column {column!r}; columns: {list(units.columns)}"]
        raise LayerSchemaError(where, problems)
    pop = pd.to_numeric(units[column], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(pop) | (pop < 0)
    if bad.any():
        rows = list(units.index[bad])[:10]
        problems = [f"column {column!r}: rows {rows} are not non-negative numbers"]
        raise LayerSchemaError(where, problems)
    return pop


def allocate(
    units: gpd.GeoDataFrame,
    column: str,
    land: gpd.GeoDataFrame,
    subdistricts: gpd.GeoDataFrame,
    where: str = "census table",
) -> gpd.GeoDataFrame:
    """Allocate census units' population to residential land (see the module docstring).

    Parameters
    ----------
    units : geopandas.GeoDataFrame
        Census units (points or polygons, any CRS) with a population column.
    column : str
        That column.
    land : geopandas.GeoDataFrame
        Residential polygons (may be empty).
    subdistricts : geopandas.GeoDataFrame
        Subdistricts (``code``), to code each piece.
    where : str
        The table's name, for messages and ``source``.

    Returns
    -------
    geopandas.GeoDataFrame
        A ``residents`` layer (EPSG:4326) whose population sums to the table's.

    Raises
    ------
    LayerSchemaError
        Missing or bad population column.
    """
    import shapely

    pop = _check_units(units, column, where)
    crs = measure_crs(subdistricts)
    u = units.to_crs(crs).geometry.values
    parts = land.to_crs(crs).geometry.values if len(land) else np.empty(0, dtype=object)
    tree = shapely.STRtree(parts)
    is_point = shapely.get_type_id(u) == 0
    # Pairs (unit, residential polygon): a point inside it, a polygon overlapping it.
    pt, pt_land = tree.query(u[is_point], predicate="within")
    pt = np.flatnonzero(is_point)[pt]
    keep_first = np.unique(pt, return_index=True)[1]  # a point on overlapping land: one of them
    pt, pt_land = pt[keep_first], pt_land[keep_first]
    pg, pg_land = tree.query(u[~is_point], predicate="intersects")
    pg = np.flatnonzero(~is_point)[pg]
    pg_geom = shapely.intersection(u[pg], parts[pg_land])
    ok = shapely.area(pg_geom) > 0
    pg, pg_geom = pg[ok], pg_geom[ok]
    unit = np.concatenate([pt, pg])
    geom = np.concatenate([parts[pt_land], pg_geom])
    weight = np.concatenate([np.ones(len(pt)), shapely.area(pg_geom)])
    # Units with no residential land keep their own area (a point: a small square).
    alone = np.setdiff1d(np.arange(len(u)), unit)
    own = np.where(
        is_point[alone], shapely.buffer(u[alone], POINT_CELL_M / 2, cap_style="square"), u[alone]
    )
    unit = np.concatenate([unit, alone])
    geom = shapely.make_valid(np.concatenate([geom, own]))
    weight = np.concatenate([weight, np.ones(len(alone))])
    total = np.bincount(unit, weights=weight, minlength=len(u))
    share = pop[unit] * weight / total[unit]
    return _residents(units, unit, geom, share, alone, subdistricts, crs, where)


def _residents(
    units: gpd.GeoDataFrame,
    unit: np.ndarray,
    geom: np.ndarray,
    share: np.ndarray,
    alone: np.ndarray,
    subdistricts: gpd.GeoDataFrame,
    crs: str,
    where: str,
) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import shapely

    rep = shapely.point_on_surface(geom)
    sub = subdistricts.to_crs(crs)
    codes = sub["code"].astype(str).to_numpy()
    # The subdistrict nearest each piece's point (0 m when inside one).
    code = codes[shapely.STRtree(sub.geometry.values).nearest(rep)]
    names = units["name"].astype(str).to_numpy() if "name" in units.columns else None
    label = names[unit] if names is not None else np.array([f"unit {i + 1}" for i in unit])
    how = np.where(
        np.isin(unit, alone), "unit's own area (no residential land)", "residential land"
    )
    table = pd.DataFrame(
        {
            "id": [f"census-{i}-{k}" for k, i in enumerate(unit)],
            "subdistrict": code,
            "population": share,
            "modelled": True,
            "name_zh": label,
            "name_en": label,
            "source": [
                f"{where} row {i + 1}; dasymetric: {h}" for i, h in zip(unit, how, strict=True)
            ],
            "accuracy_m": 100.0,
        }
    )
    polys = shapely.get_type_id(geom) >= 3  # a point-on-land lookup gives polygons only
    if not polys.all():
        msg = f"{where}: residential land must be polygons"
        raise LayerSchemaError(where, [msg])
    return gpd.GeoDataFrame(table, geometry=list(geom), crs=crs).to_crs(STORAGE_CRS)


def read_units(path: str | os.PathLike[str], datum: str | None = None) -> gpd.GeoDataFrame:
    """Census units from a vector file, or from a ``.csv`` / ``.xlsx`` of points.

    Parameters
    ----------
    path : path-like
        GeoJSON / GeoPackage / Shapefile (polygons or points), or a table with
        coordinates as :func:`tianhe_geo.data.poi_import.coordinates` reads them.
    datum : {'wgs84', 'gcj02', 'bd09'}, optional
        Datum of a table's coordinates (default WGS-84).

    Returns
    -------
    geopandas.GeoDataFrame
        The units, lon/lat.
    """
    from pathlib import Path

    import geopandas as gpd

    from ..foundation import crs as _crs
    from .io import read_vector
    from .poi_import import coordinates, read_table

    if Path(path).suffix.lower() not in (".csv", ".xlsx", ".xls"):
        return read_vector(path).to_crs(STORAGE_CRS)
    table = read_table(path)
    lon, lat, _ = coordinates(table, str(path))
    if datum == "gcj02":
        lon, lat = _crs.gcj02_to_wgs84(lon, lat)
    elif datum == "bd09":
        lon, lat = _crs.bd09_to_wgs84(lon, lat)
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs=STORAGE_CRS)
