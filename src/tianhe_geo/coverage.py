"""Who lives within reach: distance tables and population-weighted coverage.

Straight-line distance uses a spatial index (scipy's cKDTree for point
facilities, shapely's STRtree for polygon facilities such as parks, measured
to the polygon edge) and never buffers: a buffer is a polygon with a few
dozen sides, not a circle, and misclassifies residents near its edge.
Counts of point facilities within a radius come from an exact grid method
(:mod:`tianhe_geo._radius_counts`), several times faster than the k-d tree
when each resident has many facilities in reach.

Every distance method produces the same long table (``origin_id``,
``destination_id``, ``cost_m``), cut at a threshold, so every measure here
works with straight-line or network distance alike.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from ._errors import AnalysisInputError
from ._radius_counts import count_within
from .crs import require_projected, require_same_crs
from .network import WalkNetwork, network_reach
from .schemas import COST_COLUMNS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoverageResult:
    """What a coverage query returns.

    Attributes
    ----------
    residents : pandas.DataFrame
        Indexed like the input residents: ``nearest_id``, ``nearest_m``
        (metres, ``inf`` when no facility exists), and per threshold ``t``
        ``n_within_<t>`` and ``covered_<t>``.
    summary : pandas.DataFrame
        Per group (and a ``district`` row): ``population`` and per threshold
        ``covered_pop_<t>``, ``uncovered_pop_<t>``, ``share_<t>`` (0-1).
    uncovered : geopandas.GeoDataFrame
        Per threshold one dissolved (multi)polygon of uncovered residents'
        cells (empty geometry when every resident is covered); only when the
        residents are polygons, else their points.
    method : str
        How distance was measured, e.g. ``"straight line x 1.0"``.
    thresholds : tuple of float
        Thresholds in metres.
    """

    residents: pd.DataFrame
    summary: pd.DataFrame
    uncovered: gpd.GeoDataFrame
    method: str
    thresholds: tuple[float, ...]

    def _threshold(self, threshold: float | None) -> float:
        if threshold is None:
            if len(self.thresholds) != 1:
                msg = f"several thresholds {self.thresholds}: say which one"
                raise AnalysisInputError(msg)
            return self.thresholds[0]
        if threshold not in self.thresholds:
            msg = f"threshold {threshold:g} m not measured; measured: {self.thresholds}"
            raise AnalysisInputError(msg)
        return threshold

    def share(self, threshold: float | None = None) -> pd.Series:
        """Share covered (0-1) per group and ``district`` at a threshold.

        The only threshold when omitted.
        """
        return self.summary[f"share_{self._threshold(threshold):g}"]

    def covered(self, threshold: float | None = None) -> pd.Series:
        """Covered flag per resident at a threshold (the only one when omitted)."""
        return self.residents[f"covered_{self._threshold(threshold):g}"]


def check_thresholds(thresholds: float | Sequence[float]) -> tuple[float, ...]:
    """Return thresholds as a sorted tuple of metres, or raise a clear error.

    Parameters
    ----------
    thresholds : float or sequence of float
        Distances in metres; each finite and >= 0.

    Returns
    -------
    tuple of float
        Sorted, de-duplicated thresholds.
    """
    values = np.atleast_1d(np.asarray(thresholds, dtype=float))
    if values.size == 0:
        msg = "thresholds: give at least one distance in metres, e.g. [300, 500]"
        raise AnalysisInputError(msg)
    if not np.isfinite(values).all() or (values < 0).any():
        msg = f"thresholds must be finite distances >= 0 metres, got {values.tolist()!r}"
        raise AnalysisInputError(msg)
    return tuple(sorted(set(values.tolist())))


def _geoms(gdf: gpd.GeoDataFrame) -> np.ndarray:
    # The plain object array: shapely ufuncs on a GeometryArray go through pandas'
    # extension-array dispatch, which copies a million geometries each time.
    return np.asarray(gdf.geometry.values)


@dataclass(frozen=True)
class _Origins:
    """The residents as query points: geometries, coordinates, and whether they were points."""

    geoms: np.ndarray
    xy: np.ndarray
    points: bool


def _origins(residents: gpd.GeoDataFrame) -> _Origins:
    """Representative points (cells count from their centroid), checked for emptiness.

    Points are read fast when every row is a non-empty point (a finite x and
    y per row); cells, empty or missing rows and multipoints take the general
    path.
    """
    geoms = _geoms(residents)
    xy = _point_xy(geoms)
    if xy is not None:
        return _Origins(geoms, xy, True)
    # One coordinate per row also means points (a one-point MultiPoint counts as its point).
    xy, row = shapely.get_coordinates(geoms, return_index=True)
    _check_coordinates("residents", residents, xy, row)
    if len(xy) == len(geoms) and np.array_equal(row, np.arange(len(geoms))):
        return _Origins(geoms, xy, True)
    centroids = shapely.centroid(geoms)
    return _Origins(centroids, shapely.get_coordinates(centroids), False)


#: Above this many rows the x and y of points are read on two threads.
_THREADED_ROWS = 100_000


def _point_xy(geoms: np.ndarray) -> np.ndarray | None:
    """x, y of every row when every row is a non-empty point, else None."""
    readers = (shapely.get_x, shapely.get_y)
    try:
        if len(geoms) < _THREADED_ROWS:
            x, y = (read(geoms) for read in readers)
        else:
            # shapely releases the GIL here: a million points read in a third of the time.
            with ThreadPoolExecutor(2) as pool:
                x, y = pool.map(lambda read: read(geoms), readers)
    except shapely.errors.GEOSException:  # an empty point
        return None
    xy = np.column_stack([x, y])
    return xy if np.isfinite(xy).all() else None


def _is_points(geoms: np.ndarray) -> bool:
    return bool(len(geoms)) and bool((shapely.get_type_id(geoms) == 0).all())


def _check_detour(detour_factor: float) -> None:
    if not np.isfinite(detour_factor) or detour_factor < 1.0:
        msg = f"detour_factor must be a number >= 1, got {detour_factor!r}"
        raise AnalysisInputError(msg)


def _prepare(
    residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, detour_factor: float
) -> _Origins:
    """Validate a straight-line query once; return the residents as query points."""
    _check_crs_pair(residents, facilities)
    _check_detour(detour_factor)
    _check_not_empty("facilities", facilities)
    return _origins(residents)


def _check_pair(residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    _check_crs_pair(residents, facilities)
    _check_not_empty("residents", residents)
    _check_not_empty("facilities", facilities)


def _check_crs_pair(residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    require_same_crs(residents=residents, facilities=facilities)
    require_projected(residents, "residents")


def _check_not_empty(name: str, gdf: gpd.GeoDataFrame) -> None:
    xy, row = shapely.get_coordinates(_geoms(gdf), return_index=True)
    _check_coordinates(name, gdf, xy, row)


def _check_coordinates(name: str, gdf: gpd.GeoDataFrame, xy: np.ndarray, row: np.ndarray) -> None:
    """Every row has coordinates (missing or empty geometry has none), all finite."""
    bad = np.bincount(row, minlength=len(gdf)) == 0
    if bad.any():
        msg = f"{name}: rows {list(gdf.index[bad])[:10]} have missing or empty geometry"
        raise AnalysisInputError(msg)
    bad = np.unique(row[~np.isfinite(xy).all(axis=1)])
    if len(bad):
        msg = f"{name}: rows {list(gdf.index[bad])[:10]} have NaN or infinite coordinates"
        raise AnalysisInputError(msg)


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
    origins = _prepare(residents, facilities, detour_factor)
    (limit,) = check_thresholds(max_distance)
    radius = limit / detour_factor
    fac = _geoms(facilities)
    if len(fac) == 0 or len(origins.xy) == 0:
        oi = fi = np.empty(0, dtype=np.intp)
        dist = np.empty(0)
    elif _is_points(fac):
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


def _kdtree_pairs(origins: _Origins, fac: np.ndarray, radius: float) -> tuple:
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
    origins = _prepare(residents, facilities, detour_factor)
    return _counts(origins, facilities, check_thresholds(thresholds), detour_factor)


def _counts(
    origins: _Origins, facilities: gpd.GeoDataFrame, ts: Sequence[float], detour_factor: float
) -> dict[float, np.ndarray]:
    if len(facilities) == 0:
        return {t: np.zeros(len(origins.xy), dtype=np.intp) for t in ts}
    fac = _geoms(facilities)
    if _is_points(fac):
        radii = [t / detour_factor for t in ts]
        counts = count_within(origins.xy, shapely.get_coordinates(fac), radii)
        return {t: counts[r] for t, r in zip(ts, radii, strict=True)}
    tree = shapely.STRtree(fac)
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
    origins = _prepare(residents, facilities, detour_factor)
    return _nearest(origins, residents.index, facilities, detour_factor)


def _nearest(
    origins: _Origins, index: pd.Index, facilities: gpd.GeoDataFrame, detour_factor: float
) -> pd.DataFrame:
    out = pd.DataFrame(index=index)
    if len(facilities) == 0:
        out["nearest_id"] = pd.Series([None] * len(out), index=out.index, dtype=object)
        out["nearest_m"] = np.inf
        return out
    fac = _geoms(facilities)
    if _is_points(fac):
        f_xy = shapely.get_coordinates(fac)
        dist, idx = _kd_nearest(f_xy, origins.xy)
    else:
        tree = shapely.STRtree(fac)
        (oi, idx), dist = tree.query_nearest(origins.geoms, return_distance=True, all_matches=False)
        order = np.argsort(oi, kind="stable")
        idx, dist = idx[order], dist[order]
    out["nearest_id"] = facilities.index.to_numpy()[idx]
    out["nearest_m"] = np.asarray(dist, dtype=float) * detour_factor
    return out


#: Queries sampled to learn how far nearest facilities typically are.
_SAMPLE = 1_000


def _kd_nearest(f_xy: np.ndarray, q_xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact nearest point and its distance for every query (metres, row order).

    A search told how far to look prunes sooner: the queries are searched within
    a bound that a sample of them shows to hold the nearest facility for ~99 %
    (about 15 % faster for a million residents), and the few beyond it again
    without a bound.
    """
    tree = cKDTree(f_xy)
    sample = q_xy[:: max(1, len(q_xy) // _SAMPLE)]
    bound = np.inf
    if len(q_xy) > 10 * _SAMPLE:
        bound = 1.1 * float(np.percentile(tree.query(sample, k=1)[0], 99)) or np.inf
    dist, idx = tree.query(q_xy, k=1, workers=-1, distance_upper_bound=bound)
    beyond = ~np.isfinite(dist)
    if beyond.any():
        dist[beyond], idx[beyond] = tree.query(q_xy[beyond], k=1, workers=-1)
    return dist, idx


def coverage_from_table(
    residents: gpd.GeoDataFrame,
    table: pd.DataFrame,
    thresholds: float | Sequence[float],
) -> pd.DataFrame:
    """Per-resident counts and covered flags from any long cost table.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Residents (only the index is used).
    table : pandas.DataFrame
        Long cost table (``origin_id``, ``destination_id``, ``cost_m``).
    thresholds : float or sequence of float
        Distances in metres.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``residents``: ``nearest_id``, ``nearest_m`` and per
        threshold ``n_within_<t>`` and ``covered_<t>``.
    """
    ts = check_thresholds(thresholds)
    out = pd.DataFrame(index=residents.index)
    pos = pd.Index(residents.index).get_indexer(table["origin_id"])
    cost = table["cost_m"].to_numpy(dtype=float)
    # Nearest within the table's cut-off; inf beyond it.
    first = _nearest_rows(pos, cost)
    nearest = pd.DataFrame(
        {"id": table["destination_id"].to_numpy()[first], "m": cost[first]},
        index=residents.index[pos[first]],
    )
    out["nearest_id"] = nearest["id"].reindex(out.index)
    out["nearest_m"] = nearest["m"].reindex(out.index).fillna(np.inf)
    for t in ts:
        counts = np.bincount(pos[cost <= t], minlength=len(out))
        out[f"n_within_{t:g}"] = counts
        out[f"covered_{t:g}"] = counts > 0
    return out


def _nearest_rows(pos: np.ndarray, cost: np.ndarray) -> np.ndarray:
    """Row of each origin's smallest cost (the first such row on ties)."""
    if len(pos) == 0:
        return np.empty(0, dtype=np.intp)
    run = np.r_[True, pos[1:] != pos[:-1]]
    starts = np.flatnonzero(run)
    ascending = (cost[1:] >= cost[:-1])[~run[1:]].all()
    if ascending and len(np.unique(pos[starts])) == len(starts):
        return starts  # grouped by origin, distances ascending: as the tables here are built
    order = np.argsort(cost, kind="stable")
    order = order[np.argsort(pos[order], kind="stable")]
    return order[np.r_[True, pos[order][1:] != pos[order][:-1]]]


def summarise(
    per_resident: pd.DataFrame,
    population: pd.Series,
    thresholds: Sequence[float],
    groups: pd.Series | None = None,
    valid: pd.Series | None = None,
) -> pd.DataFrame:
    """Population-weighted coverage per group, plus a ``district`` row.

    Parameters
    ----------
    per_resident : pandas.DataFrame
        Output of :func:`coverage_from_table`.
    population : pandas.Series
        Persons per resident row, aligned on the same index.
    thresholds : sequence of float
        Thresholds in metres (as in ``per_resident``).
    groups : pandas.Series, optional
        Group label per resident row (e.g. subdistrict code).
    valid : pandas.Series, optional
        False for residents whose distance is unknown (not snapped to the
        network): they are left out of the shares and counted in
        ``unknown_pop`` instead of being called covered or uncovered.

    Returns
    -------
    pandas.DataFrame
        Indexed by group: ``population`` (persons with a known distance),
        ``unknown_pop``, ``covered_pop_<t>``,
        ``uncovered_pop_<t>`` (persons) and ``share_<t>`` (0-1, NaN for a
        group without population).
    """
    ts = check_thresholds(thresholds)
    pop = population.to_numpy(dtype=float)
    known = pop if valid is None else np.where(valid.to_numpy(dtype=bool), pop, 0.0)
    flags = {t: per_resident[f"covered_{t:g}"].to_numpy(dtype=bool) for t in ts}
    # District totals summed in place (no million-row temporaries when there are no groups).
    totals = {"population": known.sum(), "unknown_pop": pop.sum() - known.sum()}
    totals |= {f"covered_pop_{t:g}": known.sum(where=f) for t, f in flags.items()}
    table = pd.DataFrame({k: [v] for k, v in totals.items()}, index=["district"])
    if groups is not None:
        columns = {"population": known, "unknown_pop": pop - known}
        columns |= {f"covered_pop_{t:g}": np.where(f, known, 0.0) for t, f in flags.items()}
        frame = pd.DataFrame(columns, index=population.index)
        table = pd.concat([frame.groupby(groups.rename("group")).sum(), table])
    table.index.name = "group"
    for t in ts:
        covered = table[f"covered_pop_{t:g}"]
        table[f"uncovered_pop_{t:g}"] = table["population"] - covered
        with np.errstate(invalid="ignore", divide="ignore"):
            table[f"share_{t:g}"] = np.where(
                table["population"] > 0, covered / table["population"], np.nan
            )
    return table


def uncovered_areas(
    residents: gpd.GeoDataFrame, per_resident: pd.DataFrame, thresholds: Sequence[float]
) -> gpd.GeoDataFrame:
    """Dissolve the residents not covered at each threshold into one geometry.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Residents (cells or points) with a CRS.
    per_resident : pandas.DataFrame
        Output of :func:`coverage_from_table`.
    thresholds : sequence of float
        Thresholds in metres.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per threshold: ``threshold_m``, ``uncovered_pop`` is not
        included here (see the summary), ``n_cells`` and the dissolved geometry.
    """
    return _uncovered_areas(residents, per_resident, check_thresholds(thresholds))


def _uncovered_areas(
    residents: gpd.GeoDataFrame,
    per_resident: pd.DataFrame,
    ts: Sequence[float],
    points: bool | None = None,
) -> gpd.GeoDataFrame:
    geoms = _geoms(residents)
    if points is None:
        points = _is_points(geoms)
    rows = []
    for t in ts:
        mask = ~per_resident[f"covered_{t:g}"].to_numpy()
        geom = _dissolve(geoms[mask], points)
        rows.append({"threshold_m": t, "n_cells": int(mask.sum()), "geometry": geom})
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=residents.crs)


def dissolve_residents(residents: gpd.GeoDataFrame, mask: np.ndarray) -> shapely.Geometry:
    """One geometry for the selected residents: their cells united, or their points.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Residents as non-overlapping cells or as points.
    mask : numpy.ndarray
        Bool per resident row.

    Returns
    -------
    shapely.Geometry
        MultiPolygon / Polygon of the cells, or MultiPoint of the points
        (empty when nothing is selected).
    """
    geoms = _geoms(residents)
    return _dissolve(geoms[np.asarray(mask, dtype=bool)], _is_points(geoms))


def _dissolve(geoms: np.ndarray, points: bool) -> shapely.Geometry:
    if points:
        # From coordinates: a one-point MultiPoint row counts as its point.
        return (
            shapely.multipoints(shapely.get_coordinates(geoms))
            if len(geoms)
            else shapely.MultiPoint()
        )
    # Grid cells do not overlap: the coverage union is exact and fast.
    return shapely.coverage_union_all(geoms) if len(geoms) else shapely.MultiPolygon()


def coverage(  # noqa: PLR0913 - a coverage query has this many knobs
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds: float | Sequence[float],
    population: str = "population",
    group: str | None = None,
    detour_factor: float = 1.0,
    table: pd.DataFrame | None = None,
    valid: pd.Series | None = None,
    counts: bool = True,
    network: WalkNetwork | None = None,
    max_snap_m: float = 200.0,
) -> CoverageResult:
    """Who lives within reach of a facility: per resident, per group, uncovered areas.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells with a population column, in a projected CRS (metres).
    facilities : geopandas.GeoDataFrame
        Facilities (points, or polygons measured to their edge) in the same CRS.
    thresholds : float or sequence of float
        Walking distances in metres.
    population : str, default "population"
        Column of persons per resident row (>= 0, no NaN).
    group : str, optional
        Column to summarise by (e.g. ``"subdistrict"``).
    detour_factor : float, default 1.0
        Straight-line metres are multiplied by this (ignored when ``table``
        is given).
    table : pandas.DataFrame, optional
        A precomputed long cost table (e.g. from
        :func:`tianhe_geo.network.network_table`) cut at least at the largest
        threshold; straight-line distance is used when omitted.
    valid : pandas.Series, optional
        False for residents with unknown distance (e.g. the ``snapped``
        series of :func:`tianhe_geo.network.network_table`).
    counts : bool, default True
        Count the facilities within each threshold (``n_within_<t>``). With
        ``False``, covered flags come from the nearest distance alone: about
        3x faster by straight line for a million residents and 5,000
        facilities, and on a network one shortest-path pass instead of one
        per facility (see ``bench/``).
    network : WalkNetwork, optional
        Measure walking distance on this street network (same CRS); residents
        and facilities farther than ``max_snap_m`` from it are reported as
        unknown (``unknown_pop``), never covered or uncovered.
    max_snap_m : float, default 200
        Maximum snap distance to ``network`` in metres.

    Returns
    -------
    CoverageResult
        Per-resident table, summary and uncovered areas.
    """
    ts = check_thresholds(thresholds)
    pop = population_of(residents, population)
    points = None
    if network is not None:
        points = _prepare(residents, facilities, 1.0).points  # the same checks as straight line
        nearest, n_within, valid = network_reach(
            residents, facilities, network, ts, max_snap_m, counts
        )
        per_res = _per_resident(nearest, n_within, () if counts else ts)
        method = "street network"
    elif table is None:
        origins = _prepare(residents, facilities, detour_factor)
        points = origins.points
        nearest = _nearest(origins, residents.index, facilities, detour_factor)
        if counts:
            per_res = _per_resident(nearest, _counts(origins, facilities, ts, detour_factor))
        else:
            per_res = _per_resident(nearest, {}, ts)
        method = f"straight line x {detour_factor:g}"
    else:
        _check_pair(residents, facilities)
        per_res = coverage_from_table(residents, table, ts)
        method = "street network"
    groups = residents[group] if group else None
    summary = summarise(per_res, pop, ts, groups, valid)
    logger.info(
        "coverage: %d residents, %d facilities, %s, thresholds %s",
        len(residents),
        len(facilities),
        method,
        ts,
    )
    uncovered = _uncovered_areas(residents, per_res, ts, points)
    return CoverageResult(per_res, summary, uncovered, method, ts)


def _per_resident(
    nearest: pd.DataFrame, counts: dict[float, np.ndarray], flags_only: Sequence[float] = ()
) -> pd.DataFrame:
    out = nearest.copy()
    for t, c in counts.items():
        out[f"n_within_{t:g}"] = c
        out[f"covered_{t:g}"] = c > 0
    for t in flags_only:
        out[f"covered_{t:g}"] = out["nearest_m"].to_numpy() <= t
    return out


def population_of(residents: gpd.GeoDataFrame, column: str) -> pd.Series:
    """The persons per resident row, checked: present, numeric, >= 0, no NaN.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Residents.
    column : str
        Population column.

    Returns
    -------
    pandas.Series
        Persons per row (float or int as stored).

    Raises
    ------
    AnalysisInputError
        Naming the missing column or the bad rows.
    """
    if column not in residents.columns:
        msg = f"residents: no population column {column!r}; columns are {list(residents.columns)}"
        raise AnalysisInputError(msg)
    pop = pd.to_numeric(residents[column], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        msg = (
            f"residents: column {column!r} must hold persons >= 0; rows "
            f"{list(residents.index[bad])[:10]} are NaN or negative"
        )
        raise AnalysisInputError(msg)
    return pop
