"""Who lives within reach: population-weighted coverage from any way of measuring distance.

:func:`coverage` takes residents, facilities, thresholds and a ``distance``
strategy (:mod:`tianhe_geo.analysis.distance`) and returns a
:class:`CoverageResult`: per resident the nearest facility and whether it is
within each threshold, per group the covered share, the uncovered areas, and
the :class:`~tianhe_geo.analysis.distance.DistanceMethod` that says how it was
measured. Every way of measuring ends in the same per-resident table, so the
summary and the uncovered areas are computed one way only.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..foundation.crs import require_projected, require_same_crs
from ..foundation.errors import AnalysisInputError, NetworkError
from ._inputs import (
    Coordinates,
    Layer,
    Origins,
    check_crs_pair,
    check_not_empty,
    check_pair,
    check_thresholds,
    coordinate_population,
    geoms_of,
    is_coordinates,
    is_points,
    origins_of,
    population_of,
    read_coordinates,
    read_facilities,
)
from .distance import CostTable, Distance, DistanceMethod, OnNetwork, StraightLine
from .euclidean import complete_nearest, nearest_ids, straight_counts, straight_nearest_rows
from .network import (
    Snap,
    _counts_of,
    _log_snaps,
    facility_sources,
    node_reach,
    resident_cost,
    resident_reach,
    snap_xy,
)

logger = logging.getLogger(__name__)

#: A facility layer: a frame of points or polygons, or points as coordinates
#: (an (m, 2) array or a frame with x, y columns, in the residents' CRS; or
#: coordinates already read, as streamed partitions are sent them).
Facilities: TypeAlias = gpd.GeoDataFrame | pd.DataFrame | np.ndarray | Coordinates


#: A value, or a function of no arguments computing it on first use.
_Lazy = Any


class CoverageResult:
    """What a coverage query returns; each part computed when first read, then kept.

    A caller that reads only :meth:`share` pays for the covered flags and the
    summary, never for the uncovered areas (a union of every uncovered cell)
    nor for the per-resident frame.

    Parameters
    ----------
    residents, summary, uncovered
        The attributes below, each a value or a function of no arguments
        that computes it (called once, on first access).
    method : DistanceMethod
        How distance was measured.
    thresholds : tuple of float
        Thresholds in metres.
    n_within : callable, optional
        Threshold -> facilities within it per resident, computed on first
        call when the counts were not asked for up front.

    Attributes
    ----------
    residents : pandas.DataFrame
        Indexed like the input residents: ``nearest_id``, ``nearest_m``
        (metres, ``inf`` when no facility exists), and per threshold ``t``
        ``n_within_<t>`` (when counted) and ``covered_<t>``.
    summary : pandas.DataFrame
        Per group (and a ``district`` row): ``population`` and per threshold
        ``covered_pop_<t>``, ``uncovered_pop_<t>``, ``share_<t>`` (0-1).
    uncovered : geopandas.GeoDataFrame
        Per threshold one dissolved (multi)polygon of uncovered residents'
        cells (empty geometry when every resident is covered); only when the
        residents are polygons, else their points.
    method : DistanceMethod
        How distance was measured (kind, detour factor, snap limit, per-facility radius).
    thresholds : tuple of float
        Thresholds in metres.
    """

    def __init__(
        self,
        residents: _Lazy,
        summary: _Lazy,
        uncovered: _Lazy,
        method: DistanceMethod,
        thresholds: tuple[float, ...],
        n_within: Callable[[], dict[float, np.ndarray]] | None = None,
    ) -> None:
        self._parts = {"residents": residents, "summary": summary, "uncovered": uncovered}
        self._counts: Callable[[], dict[float, np.ndarray]] | dict[float, np.ndarray] | None
        self._counts = n_within
        self.method = method
        self.thresholds = tuple(thresholds)

    def _part(self, name: str) -> Any:
        value = self._parts[name]
        if callable(value):
            value = self._parts[name] = value()
        return value

    @property
    def residents(self) -> pd.DataFrame:  # noqa: D102 (documented on the class)
        return self._part("residents")

    @property
    def summary(self) -> pd.DataFrame:  # noqa: D102
        return self._part("summary")

    @property
    def uncovered(self) -> gpd.GeoDataFrame:  # noqa: D102
        return self._part("uncovered")

    def __repr__(self) -> str:
        return f"CoverageResult(method={self.method!r}, thresholds={self.thresholds})"

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

    def n_within(self, threshold: float | None = None) -> pd.Series:
        """Facilities within a threshold of each resident (counted on first call if not yet).

        Parameters
        ----------
        threshold : float, optional
            Metres; the only threshold when omitted.

        Returns
        -------
        pandas.Series
            Count per resident, indexed like the residents.
        """
        t = self._threshold(threshold)
        column = f"n_within_{t:g}"
        if self._counts is None or column in self.residents.columns:
            return self.residents[column]
        if callable(self._counts):
            self._counts = self._counts()  # counted once, every threshold
        return pd.Series(self._counts[t], index=self.residents.index, name=column)


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
    flags = {t: per_resident[f"covered_{t:g}"].to_numpy(dtype=bool) for t in ts}
    return _summary_of(flags, population, groups, None if valid is None else valid.to_numpy())


def _summary_of(
    flags: Mapping[float, np.ndarray],
    population: pd.Series,
    groups: pd.Series | None,
    valid: np.ndarray | None,
) -> pd.DataFrame:
    """:func:`summarise` from covered flags per threshold (bool arrays in row order)."""
    pop = population.to_numpy(dtype=float)
    known = pop if valid is None else np.where(np.asarray(valid, dtype=bool), pop, 0.0)
    # District totals without million-row frames: a covered sum is a dot product with the
    # flags (BLAS, ~12x faster than sum(where=); exact for whole persons, as sums are).
    total = float(known.sum())
    totals = {"population": total, "unknown_pop": float(pop.sum()) - total}
    totals |= {f"covered_pop_{t:g}": float(known @ f.astype(float)) for t, f in flags.items()}
    table = pd.DataFrame({k: [v] for k, v in totals.items()}, index=["district"])
    if groups is not None:
        columns = {"population": known, "unknown_pop": pop - known}
        columns |= {f"covered_pop_{t:g}": np.where(f, known, 0.0) for t, f in flags.items()}
        frame = pd.DataFrame(columns, index=population.index)
        table = pd.concat([frame.groupby(groups.rename("group")).sum(), table])
    table.index.name = "group"
    return with_shares(table, tuple(flags))


def with_shares(table: pd.DataFrame, thresholds: Sequence[float]) -> pd.DataFrame:
    """Add ``uncovered_pop_<t>`` and ``share_<t>`` to a table of population sums.

    Parameters
    ----------
    table : pandas.DataFrame
        ``population`` and ``covered_pop_<t>`` per group, persons.
    thresholds : sequence of float
        Radii in metres, as in the column names.

    Returns
    -------
    pandas.DataFrame
        The same table (modified in place); shares are NaN where nobody lives.
    """
    for t in thresholds:
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
    ts = check_thresholds(thresholds)
    flags = {t: per_resident[f"covered_{t:g}"].to_numpy(dtype=bool) for t in ts}
    return _uncovered_areas(residents, flags)


def _uncovered_areas(
    residents: gpd.GeoDataFrame,
    flags: Mapping[float, np.ndarray],
    points: bool | None = None,
) -> gpd.GeoDataFrame:
    geoms = geoms_of(residents)
    if points is None:
        points = is_points(geoms)
    rows = []
    for t, covered in flags.items():
        mask = ~covered
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
    geoms = geoms_of(residents)
    return _dissolve(geoms[np.asarray(mask, dtype=bool)], is_points(geoms))


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


#: Keywords :func:`coverage` took before ``distance=`` (kept for one release).
_LEGACY = ("detour_factor", "network", "max_snap_m", "table", "valid")


def coverage(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    thresholds: float | Sequence[float],
    *,
    distance: Distance | None = None,
    population: str = "population",
    group: str | None = None,
    counts: bool = True,
    **legacy: Any,
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
    distance : StraightLine, OnNetwork or CostTable, optional
        How to measure (:mod:`tianhe_geo.analysis.distance`); straight line
        when omitted. On a network, residents and facilities farther than
        its ``max_snap_m`` are reported as unknown (``unknown_pop``), never
        covered or uncovered; a :class:`CostTable` must be cut at least at
        the largest threshold.
    population : str, default "population"
        Column of persons per resident row (>= 0, no NaN).
    group : str, optional
        Column to summarise by (e.g. ``"subdistrict"``).
    counts : bool, default True
        Count the facilities within each threshold (``n_within_<t>``). With
        ``False``, covered flags come from the nearest distance alone: about
        3x faster by straight line for a million residents and 5,000
        facilities, and on a network one shortest-path pass instead of one
        per facility (see ``bench/``).
    **legacy
        ``detour_factor``, ``network``, ``max_snap_m``, ``table``, ``valid``:
        the keywords of tianhe-geo 0.1, still accepted with a
        ``DeprecationWarning``; use ``distance=`` instead.

    Returns
    -------
    CoverageResult
        Per-resident table, summary, uncovered areas and the distance method.
    """
    distance = _legacy_distance(distance, legacy)
    ts = check_thresholds(thresholds)
    reach = Reach.prepare(residents, distance, population=population, group=group)
    return reach.coverage(facilities, ts, counts=counts)


@dataclass(frozen=True)
class _Measured:
    """One layer measured for every resident: what every part of a result is made from."""

    nearest_m: np.ndarray  # exact up to the largest threshold at least (flags come from it)
    nearest_id: Callable[[], Any]  # the ``nearest_id`` column, built when first read
    count: Callable[[], dict[float, np.ndarray]]
    valid: np.ndarray | None
    frame: pd.DataFrame | None = None  # a cost table's per-resident frame, already made
    # The frame's ``nearest_m`` when it differs from the flags' (computed when first read).
    exact_m: Callable[[], np.ndarray] | None = None


@dataclass(frozen=True, eq=False)
class Reach:
    """Residents made ready once for any number of facility layers.

    :meth:`prepare` checks the residents and reads their coordinates once,
    and on a network snaps them once; :meth:`coverage` then measures one
    facility layer (one nearest-facility pass, one lookup per resident) and
    :meth:`coverage_many` several into one tidy table. No copy of the
    residents' frame is made.

    Attributes
    ----------
    residents : geopandas.GeoDataFrame or pandas.DataFrame
        The residents as given (a reference, not a copy); for residents given
        as coordinates, a frame of their index (and columns) only.
    distance : StraightLine, OnNetwork or CostTable
        How distance is measured.
    population : pandas.Series
        Persons per resident row.
    groups : pandas.Series or None
        Group label per resident row.
    origins : Origins or None
        Query coordinates (None for a cost table).
    snapped : Snap or None
        The residents' snap to the network (network only).
    crs : pyproj.CRS or None
        The residents' CRS.
    """

    residents: gpd.GeoDataFrame | pd.DataFrame
    distance: Distance
    population: pd.Series
    groups: pd.Series | None
    origins: Origins | None
    snapped: Snap | None
    crs: CRS | None = None

    @classmethod
    def prepare(
        cls,
        residents: gpd.GeoDataFrame | pd.DataFrame | np.ndarray,
        distance: Distance | None = None,
        *,
        population: str | Sequence[float] | np.ndarray = "population",
        group: str | None = None,
        crs: Any = None,
    ) -> Reach:
        """Check the residents, read their coordinates and (on a network) snap them, once.

        Parameters
        ----------
        residents : geopandas.GeoDataFrame, pandas.DataFrame or numpy.ndarray
            Points or cells with a population column, projected CRS (metres);
            or points as coordinates: an (n, 2) array of x, y, or a frame with
            ``x`` and ``y`` columns, in ``crs``. Coordinates go straight to the
            kernels (no shapely object per resident; about 200 MB fewer for a
            million points).
        distance : StraightLine, OnNetwork or CostTable, optional
            How to measure; straight line when omitted (a cost table needs a
            frame of residents).
        population : str or array_like, default "population"
            Column of persons per row (>= 0, no NaN); for coordinates also an
            array of persons per row.
        group : str, optional
            Column to summarise by (e.g. ``"subdistrict"``).
        crs : str, int or pyproj.CRS, optional
            The projected CRS of residents given as coordinates (required for
            them; ignored for a GeoDataFrame, which has its own).

        Returns
        -------
        Reach
            Ready for :meth:`coverage` and :meth:`coverage_many`.
        """
        distance = StraightLine() if distance is None else distance
        if not isinstance(distance, StraightLine | OnNetwork | CostTable):
            msg = (
                "distance must be StraightLine, OnNetwork or CostTable, "
                f"got {type(distance).__name__}"
            )
            raise AnalysisInputError(msg)
        if is_coordinates(residents):
            return cls._of_coordinates(residents, distance, population, group, crs)
        if not isinstance(population, str):
            msg = "population must name a column of a GeoDataFrame of residents"
            raise AnalysisInputError(msg)
        assert isinstance(residents, gpd.GeoDataFrame)
        pop = population_of(residents, population)
        if group and group not in residents.columns:  # before the distances are measured
            msg = f"group={group!r}: the residents have no such column; they have {list(residents)}"
            raise AnalysisInputError(msg)
        groups = residents[group] if group else None
        if isinstance(distance, CostTable):
            check_not_empty("residents", residents)
            return cls(residents, distance, pop, groups, None, None)
        require_projected(residents, "residents")
        origins = origins_of(residents)
        snapped = None
        if isinstance(distance, OnNetwork):
            if residents.crs != distance.network.crs:
                msg = (
                    f"residents are in {residents.crs} but the network is in {distance.network.crs}"
                )
                raise NetworkError(msg)
            snapped = snap_xy(origins.xy, distance.network, distance.max_snap_m)
        return cls(residents, distance, pop, groups, origins, snapped, residents.crs)

    @classmethod
    def _of_coordinates(
        cls,
        residents: pd.DataFrame | np.ndarray,
        distance: Distance,
        population: str | Sequence[float] | np.ndarray,
        group: str | None,
        crs: Any,
    ) -> Reach:
        """:meth:`prepare` for residents given as coordinates (points only)."""
        if isinstance(distance, CostTable):
            msg = "a CostTable needs residents as a GeoDataFrame (its rows name them by index)"
            raise AnalysisInputError(msg)
        got = read_coordinates("residents", residents, crs)
        pop = coordinate_population(got, population)
        if group and group not in got.frame.columns:
            msg = f"group={group!r}: the residents have no such column; they have {list(got.frame)}"
            raise AnalysisInputError(msg)
        groups = got.frame[group] if group else None
        snapped = None
        if isinstance(distance, OnNetwork):
            if got.crs != CRS.from_user_input(distance.network.crs):
                msg = f"residents are in {got.crs} but the network is in {distance.network.crs}"
                raise NetworkError(msg)
            snapped = snap_xy(got.xy, distance.network, distance.max_snap_m)
        origins = Origins(None, got.xy, True)
        return cls(got.frame, distance, pop, groups, origins, snapped, got.crs)

    def coverage(
        self,
        facilities: Facilities,
        thresholds: float | Sequence[float],
        *,
        counts: bool = False,
    ) -> CoverageResult:
        """Coverage of one facility layer, as :func:`coverage` gives it.

        Parameters
        ----------
        facilities : geopandas.GeoDataFrame, pandas.DataFrame or numpy.ndarray
            Points or polygons in the residents' CRS, or points as an (m, 2)
            array / a frame with x, y columns (for residents given as
            coordinates, in their ``crs``).
        thresholds : float or sequence of float
            Walking distances in metres.
        counts : bool, default False
            Count the facilities within each threshold now (``n_within_<t>``
            columns, covered flags from the counts); otherwise flags come
            from the nearest distance and counts are made only if
            :meth:`CoverageResult.n_within` is called.

        Returns
        -------
        CoverageResult
            Whose per-resident frame, summary and uncovered areas are
            computed when first read.
        """
        ts = check_thresholds(thresholds)
        if self.crs is not None:
            layer = read_facilities(facilities, self.crs)
        elif isinstance(facilities, gpd.GeoDataFrame):  # a cost table: rows named by index
            layer = facilities
        else:
            msg = "a CostTable needs facilities as a GeoDataFrame (its rows name them by index)"
            raise AnalysisInputError(msg)
        got = self._measure(layer, ts)
        counted = got.count() if counts else None
        if got.frame is not None:
            flags = {t: got.frame[f"covered_{t:g}"].to_numpy(dtype=bool) for t in ts}
        elif counted is not None:
            flags = {t: counted[t] > 0 for t in ts}
        else:
            flags = {t: got.nearest_m <= t for t in ts}
        logger.info(
            "coverage: %d residents, %d facilities, %s, thresholds %s",
            len(self.residents),
            len(layer),
            self.distance.method,
            ts,
        )
        points = None if self.origins is None else self.origins.points
        return CoverageResult(
            (lambda: got.frame)
            if got.frame is not None
            else lambda: self._frame(got, counted, flags),
            lambda: _summary_of(flags, self.population, self.groups, got.valid),
            lambda: self._uncovered(flags, points),
            self.distance.method,
            ts,
            None if counted is not None or got.frame is not None else got.count,
        )

    def _uncovered(self, flags: dict[float, np.ndarray], points: bool | None) -> gpd.GeoDataFrame:
        if isinstance(self.residents, gpd.GeoDataFrame):
            return _uncovered_areas(self.residents, flags, points)
        assert self.origins is not None  # coordinates: their points, made now
        return _uncovered_areas(
            gpd.GeoDataFrame(index=self.residents.index, geometry=self.origins.geoms, crs=self.crs),
            flags,
            True,
        )

    def _frame(
        self,
        got: _Measured,
        counted: dict[float, np.ndarray] | None,
        flags: dict[float, np.ndarray],
    ) -> pd.DataFrame:
        out = pd.DataFrame(index=self.residents.index)
        out["nearest_id"] = got.nearest_id()
        out["nearest_m"] = got.nearest_m if got.exact_m is None else got.exact_m()
        for t, flag in flags.items():
            if counted is not None:
                out[f"n_within_{t:g}"] = counted[t]
            out[f"covered_{t:g}"] = flag
        return out

    def _measure(self, facilities: Layer, ts: tuple[float, ...]) -> _Measured:
        """Nearest facility of every resident (and how to count) for one layer."""
        distance = self.distance
        if isinstance(distance, CostTable):
            assert isinstance(self.residents, gpd.GeoDataFrame)  # prepare() saw to it
            assert isinstance(facilities, gpd.GeoDataFrame)  # coverage() saw to it
            check_pair(self.residents, facilities)
            frame = coverage_from_table(self.residents, distance.pairs, ts)
            valid = None if distance.valid is None else distance.valid.to_numpy()
            return _Measured(frame["nearest_m"].to_numpy(), lambda: None, dict, valid, frame)
        if isinstance(self.residents, gpd.GeoDataFrame):
            check_crs_pair(self.residents, facilities)
        else:
            require_same_crs(residents=self, facilities=facilities)
        if isinstance(facilities, gpd.GeoDataFrame):  # coordinates were checked when read
            check_not_empty("facilities", facilities)
        if isinstance(distance, StraightLine):
            return self._measure_straight(facilities, ts)
        return self._measure_network(facilities, ts)

    def _measure_straight(self, facilities: Layer, ts: tuple[float, ...]) -> _Measured:
        # Flags need nothing beyond the largest radius: the search stops there, and the
        # exact nearest of the residents beyond it is searched only if the frame is read.
        assert isinstance(self.distance, StraightLine) and self.origins is not None
        origins, d, index = self.origins, self.distance.detour_factor, self.residents.index
        within_m, rows = straight_nearest_rows(origins, facilities, d, ts[-1])
        exact = cache(lambda: complete_nearest(origins, facilities, d, within_m, rows))

        return _Measured(
            within_m,
            lambda: nearest_ids(facilities, exact()[1], index),
            lambda: straight_counts(origins, facilities, ts, d),
            None,
            exact_m=lambda: exact()[0],
        )

    def _measure_network(self, facilities: Layer, ts: tuple[float, ...]) -> _Measured:
        distance, rs = self.distance, self.snapped
        assert isinstance(distance, OnNetwork) and rs is not None
        net = distance.network
        fs = facility_sources(facilities, net, distance.max_snap_m, distance.access_spacing_m)
        _log_snaps("network reach", rs, fs, net, distance.max_snap_m)
        reach = node_reach(net, fs, ts[-1])
        cost = resident_cost(reach, rs)
        index, fac_ids = self.residents.index, facilities.index.to_numpy()

        def nearest_id() -> pd.Series:
            if not fs.snapped.any():  # no facility on the network: nobody is reached
                return pd.Series([None] * len(index), index=index, dtype=object)
            _, row = resident_reach(reach, rs)  # when read: shares never need it
            reached = row >= 0
            return pd.Series(fac_ids[np.where(reached, row, 0)], index=index).where(reached)

        return _Measured(cost, nearest_id, lambda: _counts_of(net, rs, fs, ts), rs.snapped)

    def coverage_many(
        self,
        layers: Mapping[str, Facilities],
        thresholds: float | Sequence[float] | Mapping[str, float | Sequence[float]],
    ) -> pd.DataFrame:
        """Shares of several facility layers at several radii, one pass per layer.

        Parameters
        ----------
        layers : mapping
            Layer name -> facilities (points or polygons, the residents' CRS).
        thresholds : float, sequence of float, or mapping
            Metres for every layer, or layer name -> its metres.

        Returns
        -------
        pandas.DataFrame
            One row per layer, group (``district`` last) and threshold:
            ``layer``, ``group``, ``threshold_m``, ``population`` (persons with
            a known distance), ``unknown_pop``, ``covered_pop``,
            ``uncovered_pop`` (persons), ``share`` (0-1).
        """
        tables = []
        for name, facilities in layers.items():
            if isinstance(thresholds, Mapping):
                if name not in thresholds:
                    msg = f"thresholds: no radii for layer {name!r}; give them for {list(layers)}"
                    raise AnalysisInputError(msg)
                ts = thresholds[name]
            else:
                ts = thresholds
            tables.append(_tidy(name, self.coverage(facilities, ts)))
        if not tables:
            return pd.DataFrame(columns=list(_TIDY))
        return pd.concat(tables, ignore_index=True)


#: The columns of :func:`coverage_many`'s table.
_TIDY = (
    "layer", "group", "threshold_m", "population", "unknown_pop",
    "covered_pop", "uncovered_pop", "share",
)  # fmt: skip


def _tidy(name: str, result: CoverageResult) -> pd.DataFrame:
    summary = result.summary
    parts = []
    for t in result.thresholds:
        part = pd.DataFrame(
            {
                "layer": name,
                "group": summary.index.to_numpy(),
                "threshold_m": t,
                "population": summary["population"].to_numpy(),
                "unknown_pop": summary["unknown_pop"].to_numpy(),
                "covered_pop": summary[f"covered_pop_{t:g}"].to_numpy(),
                "uncovered_pop": summary[f"uncovered_pop_{t:g}"].to_numpy(),
                "share": summary[f"share_{t:g}"].to_numpy(),
            }
        )
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def coverage_many(
    residents: gpd.GeoDataFrame | pd.DataFrame | np.ndarray,
    layers: Mapping[str, Facilities],
    thresholds: float | Sequence[float] | Mapping[str, float | Sequence[float]],
    *,
    distance: Distance | None = None,
    population: str | Sequence[float] | np.ndarray = "population",
    group: str | None = None,
    crs: Any = None,
) -> pd.DataFrame:
    """Covered shares of many facility layers at many radii, residents prepared once.

    The whole-job question in one call: the residents are checked, read and
    (on a network) snapped once; each layer takes one nearest-facility pass
    (:meth:`Reach.coverage`); only the shares are computed (no uncovered
    areas, no per-resident frame). Use :class:`Reach` directly to keep each
    layer's :class:`CoverageResult`.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame, pandas.DataFrame or numpy.ndarray
        Points or cells with a population column, projected CRS (metres); or
        points as coordinates (an (n, 2) array, or a frame with x, y columns)
        in ``crs``, which go straight to the kernels (:meth:`Reach.prepare`).
    layers : mapping
        Layer name -> facilities (points, or polygons reached at their edge),
        or points as coordinates.
    thresholds : float, sequence of float, or mapping
        Metres for every layer, or layer name -> its metres.
    distance : StraightLine, OnNetwork or CostTable, optional
        How to measure; straight line when omitted.
    population : str or array_like, default "population"
        Column of persons per resident row (for coordinates also an array).
    group : str, optional
        Column to summarise by.
    crs : str, int or pyproj.CRS, optional
        The projected CRS of residents given as coordinates.

    Returns
    -------
    pandas.DataFrame
        As :meth:`Reach.coverage_many`: ``layer``, ``group``, ``threshold_m``,
        ``population``, ``unknown_pop``, ``covered_pop``, ``uncovered_pop``, ``share``.
    """
    reach = Reach.prepare(residents, distance, population=population, group=group, crs=crs)
    return reach.coverage_many(layers, thresholds)


def _legacy_distance(distance: Distance | None, legacy: dict[str, Any]) -> Distance:
    """The ``distance`` strategy, or one built from the 0.1 keywords (with a warning)."""
    unknown = sorted(set(legacy) - set(_LEGACY))
    if unknown:
        msg = f"coverage() got unexpected keyword arguments {unknown}"
        raise TypeError(msg)
    if not legacy:
        return StraightLine() if distance is None else distance
    if distance is not None:
        msg = f"give distance= or the old keywords {sorted(legacy)}, not both"
        raise AnalysisInputError(msg)
    warnings.warn(
        f"coverage({', '.join(f'{k}=' for k in sorted(legacy))}) is deprecated and will be "
        "removed in 0.3: pass distance=StraightLine(detour_factor), "
        "OnNetwork(network, max_snap_m) or CostTable(table, valid=...)",
        DeprecationWarning,
        stacklevel=3,
    )
    detour = legacy.get("detour_factor", 1.0)
    if detour != 1.0 and (legacy.get("network") is not None or legacy.get("table") is not None):
        # 0.1 dropped the factor silently here; a factor never applies to walked distances.
        msg = f"detour_factor={detour!r} applies to straight lines only, not to a network or table"
        raise AnalysisInputError(msg)
    if legacy.get("network") is not None:
        return OnNetwork(legacy["network"], legacy.get("max_snap_m", 200.0))
    if legacy.get("table") is not None:
        return CostTable(legacy["table"], valid=legacy.get("valid"))
    return StraightLine(detour)
