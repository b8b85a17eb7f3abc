"""Straight-line distance: the long cost table, facility counts and the nearest facility.

A spatial index, never buffers: scipy's cKDTree for point facilities,
shapely's STRtree for polygon facilities such as parks (measured to the
polygon edge). A buffer is a polygon with a few dozen sides, not a circle, and
misclassifies residents near its edge. Counts of point facilities within a
radius come from an exact grid method (:mod:`tianhe_geo.analysis._radius_counts`),
several times faster than the k-d tree when each resident has many facilities
in reach.
"""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ..data.schemas import COST_COLUMNS
from ._inputs import (
    Layer,
    Origins,
    check_thresholds,
    geoms_of,
    is_points,
    point_coordinates,
    prepare_straight,
)
from ._kd import kd_nearest
from ._radius_counts import count_within


def euclidean_table(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    max_distance: float,
    detour_factor: float = 1.0,
) -> pd.DataFrame:
    """Long table of resident-facility pairs within ``max_distance`` metres.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or polygons (their centroids are used) in a projected CRS.
    facilities : geopandas.GeoDataFrame
        Points, or polygons measured to their edge, in the same CRS.
    max_distance : float
        Cut-off in metres (inclusive), applied after the detour factor.
    detour_factor : float, default 1.0
        Straight-line distance is multiplied by this to approximate walking
        distance (1.2-1.4 is typical of city street grids).

    Returns
    -------
    pandas.DataFrame
        ``origin_id`` (residents' index), ``destination_id`` (facilities'
        index), ``cost_m`` (metres), sorted by origin then cost.
    """
    origins = prepare_straight(residents, facilities, detour_factor)
    (limit,) = check_thresholds(max_distance)
    radius = limit / detour_factor
    fac = geoms_of(facilities)
    if len(fac) == 0 or len(origins.xy) == 0:
        oi = fi = np.empty(0, dtype=np.intp)
        dist = np.empty(0)
    elif is_points(fac):
        oi, fi, dist = _kdtree_pairs(origins, fac, radius)
    else:
        oi, fi = shapely.STRtree(fac).query(origins.geoms, predicate="dwithin", distance=radius)
        dist = shapely.distance(origins.geoms[oi], fac[fi])
    table = pd.DataFrame(
        {
            COST_COLUMNS[0]: residents.index.to_numpy()[oi],
            COST_COLUMNS[1]: facilities.index.to_numpy()[fi],
            COST_COLUMNS[2]: dist * detour_factor,
        }
    )
    table = table[table["cost_m"] <= limit]
    return table.sort_values(["origin_id", "cost_m"], kind="stable").reset_index(drop=True)


def _kdtree_pairs(origins: Origins, fac: np.ndarray, radius: float) -> tuple:
    o_xy = origins.xy
    f_xy = shapely.get_coordinates(fac)
    pairs = cKDTree(f_xy).query_ball_point(o_xy, r=radius, workers=-1, return_sorted=False)
    counts = np.fromiter((len(p) for p in pairs), dtype=np.intp, count=len(pairs))
    oi = np.repeat(np.arange(len(o_xy)), counts)
    fi = np.concatenate([np.asarray(p, dtype=np.intp) for p in pairs]) if counts.sum() else oi
    dist = np.hypot(*(o_xy[oi] - f_xy[fi]).T) if len(oi) else np.empty(0)
    return oi, fi.astype(np.intp), dist


def euclidean_counts(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds: float | Sequence[float],
    detour_factor: float = 1.0,
) -> dict[float, np.ndarray]:
    """Number of facilities within each threshold of every resident, straight line.

    Equivalent to counting rows of :func:`euclidean_table` per origin, without
    materialising the pairs (5,000 facilities and 1 M residents make ~10^8 pairs
    at 1,000 m).

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or polygons (centroids used) in a projected CRS.
    facilities : geopandas.GeoDataFrame
        Points or polygons (distance to edge) in the same CRS.
    thresholds : float or sequence of float
        Distances in metres (after the detour factor).
    detour_factor : float, default 1.0
        Multiplier applied to straight-line metres.

    Returns
    -------
    dict
        Threshold -> counts per resident (row order).
    """
    origins = prepare_straight(residents, facilities, detour_factor)
    return straight_counts(origins, facilities, check_thresholds(thresholds), detour_factor)


def straight_counts(
    origins: Origins, facilities: Layer, ts: Sequence[float], detour_factor: float
) -> dict[float, np.ndarray]:
    """Facilities within each threshold of residents already read as query points.

    Parameters
    ----------
    origins : Origins
        The residents as read by :func:`~tianhe_geo.analysis._inputs.origins_of`.
    facilities : geopandas.GeoDataFrame or Coordinates
        Points or polygons (distance to edge), same CRS.
    ts : sequence of float
        Checked thresholds in metres (after the detour factor).
    detour_factor : float
        Multiplier applied to straight-line metres.

    Returns
    -------
    dict
        Threshold -> count per resident (row order).
    """
    if len(facilities) == 0:
        return {t: np.zeros(len(origins.xy), dtype=np.intp) for t in ts}
    f_xy = point_coordinates(facilities)
    if f_xy is not None:
        radii = [t / detour_factor for t in ts]
        counts = count_within(origins.xy, f_xy, radii)
        return {t: counts[r] for t, r in zip(ts, radii, strict=True)}
    assert isinstance(facilities, gpd.GeoDataFrame)  # coordinates are points
    tree = shapely.STRtree(geoms_of(facilities))
    out = {}
    for t in ts:
        oi, _ = tree.query(origins.geoms, predicate="dwithin", distance=t / detour_factor)
        out[t] = np.bincount(oi, minlength=len(origins.xy))
    return out


def nearest_facility(
    residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, detour_factor: float = 1.0
) -> pd.DataFrame:
    """Nearest facility of every resident by straight line (no cut-off).

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or polygons (centroids used) in a projected CRS.
    facilities : geopandas.GeoDataFrame
        Points or polygons (distance to edge) in the same CRS.
    detour_factor : float, default 1.0
        Multiplier applied to straight-line metres.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``residents``: ``nearest_id`` and ``nearest_m`` (metres;
        ``inf`` and missing id when there are no facilities).
    """
    origins = prepare_straight(residents, facilities, detour_factor)
    return straight_nearest(origins, residents.index, facilities, detour_factor)


def straight_nearest(
    origins: Origins, index: pd.Index, facilities: Layer, detour_factor: float
) -> pd.DataFrame:
    """Nearest facility of residents already read as query points.

    Parameters
    ----------
    origins : Origins
        The residents as read by :func:`~tianhe_geo.analysis._inputs.origins_of`.
    index : pandas.Index
        The residents' index, given to the result.
    facilities : geopandas.GeoDataFrame or Coordinates
        Points or polygons (distance to edge), same CRS.
    detour_factor : float
        Multiplier applied to straight-line metres.

    Returns
    -------
    pandas.DataFrame
        As :func:`nearest_facility`.
    """
    out = pd.DataFrame(index=index)
    dist, idx = straight_nearest_rows(origins, facilities, detour_factor)
    out["nearest_id"] = nearest_ids(facilities, idx, index)
    out["nearest_m"] = dist
    return out


def nearest_ids(facilities: Layer, rows: np.ndarray, index: pd.Index) -> pd.Series:
    """The ``nearest_id`` column: each resident's facility id from its row (None without any).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame or Coordinates
        The facilities searched.
    rows : numpy.ndarray
        Facility row per resident, from an unbounded search (every row found
        when there is a facility at all).
    index : pandas.Index
        The residents' index.

    Returns
    -------
    pandas.Series
        Facility ids, indexed like the residents.
    """
    if len(facilities) == 0:
        return pd.Series([None] * len(index), index=index, dtype=object)
    return pd.Series(facilities.index.to_numpy()[rows], index=index)


def straight_nearest_rows(
    origins: Origins,
    facilities: Layer,
    detour_factor: float,
    limit_m: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Metres to the nearest facility and its row, for residents read as query points.

    Parameters
    ----------
    origins : Origins
        The residents as query points.
    facilities : geopandas.GeoDataFrame or Coordinates
        Points or polygons (distance to edge), same CRS.
    detour_factor : float
        Multiplier applied to straight-line metres.
    limit_m : float, default inf
        Metres (detour included) beyond which the search stops: a resident
        with no facility that near gets ``inf`` and row -1. A covered share
        needs nothing beyond its largest radius, and a bounded search ends
        sooner where most residents are far from a sparse layer.

    Returns
    -------
    metres : numpy.ndarray
        Per resident (row order).
    rows : numpy.ndarray
        Facility row per resident (-1 beyond ``limit_m``).
    """
    if len(facilities) == 0:  # nobody is reached
        return np.full(len(origins.xy), np.inf), np.full(len(origins.xy), -1)
    # A hair beyond the limit, so that no resident at exactly the limit (after the
    # detour factor's rounding) is cut off; flags compare the returned metres anyway.
    reach = limit_m / detour_factor * (1 + 1e-9)
    f_xy = point_coordinates(facilities)
    if f_xy is not None:
        # Coordinates straight to the k-d tree: no shapely object per point.
        dist, idx = kd_nearest(cKDTree(f_xy), origins.xy, reach)
    else:
        assert isinstance(facilities, gpd.GeoDataFrame)  # coordinates are points
        bound = {} if np.isinf(reach) else {"max_distance": reach}
        tree = shapely.STRtree(geoms_of(facilities))
        (oi, fi), found = tree.query_nearest(
            origins.geoms, return_distance=True, all_matches=False, **bound
        )
        dist, idx = np.full(len(origins.xy), np.inf), np.full(len(origins.xy), -1)
        dist[oi], idx[oi] = found, fi
    return np.asarray(dist, dtype=float) * detour_factor, idx


def complete_nearest(
    origins: Origins,
    facilities: Layer,
    detour_factor: float,
    metres: np.ndarray,
    rows: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The nearest facility of every resident, given a bounded search's answer.

    Residents the bounded search left at row -1 are searched again without a
    limit (only they: when most were found, this costs little).

    Parameters
    ----------
    origins : Origins
        The residents as query points.
    facilities : geopandas.GeoDataFrame or Coordinates
        The facilities searched.
    detour_factor : float
        Multiplier applied to straight-line metres.
    metres, rows : numpy.ndarray
        :func:`straight_nearest_rows` with a limit.

    Returns
    -------
    metres, rows : numpy.ndarray
        New arrays, exact for every resident.
    """
    far = np.flatnonzero(rows < 0)
    metres, rows = metres.copy(), rows.copy()
    if len(far) and len(facilities):  # without facilities nobody has a nearest one
        given = None if origins.given is None else origins.given[far]
        rest = Origins(given, origins.xy[far], origins.points)
        metres[far], rows[far] = straight_nearest_rows(rest, facilities, detour_factor)
    return metres, rows
