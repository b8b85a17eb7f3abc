"""The same coverage analysis on a partitioned frame, with dask-geopandas.

For residents that outgrow one machine's memory (building points of a whole
city, a fine WorldPop grid), partition them with dask-geopandas and run the
same straight-line coverage per partition: facilities are small and are sent
whole to every partition, so each resident's answer is exactly the one
:func:`tianhe_geo.analysis.coverage.coverage` gives. Needs ``pip install 'tianhe-geo[scale]'``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS
from scipy.spatial import cKDTree

from ..foundation.errors import AnalysisInputError, NetworkError
from ._inputs import Layer, check_thresholds, coordinates_crs, read_facilities
from .coverage import CoverageResult, Reach, _summary_of, _tidy, coverage, with_shares
from .distance import DistanceMethod, OnNetwork, StraightLine
from .network import NodeReach, facility_sources, node_reach, resident_reach, snap_to


def coverage_partitioned(
    residents: Any,
    facilities: gpd.GeoDataFrame,
    thresholds: float | Sequence[float],
    population: str = "population",
    group: str | None = None,
    detour_factor: float = 1.0,
    counts: bool = True,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Coverage of a dask-geopandas frame of residents, partition by partition (deprecated).

    Deprecated: it gathers every resident's row into one pandas frame, so the
    caller's memory grows with the residents. Use :func:`coverage_streamed`
    (or :func:`tianhe_geo.pipeline.coverage_to_parquet`), which streams the
    per-resident rows to files and returns only the sums. The source is read
    once: each partition returns its rows and its population sums, added up
    as :func:`coverage_streamed` adds them.

    Parameters
    ----------
    residents : dask_geopandas.GeoDataFrame
        Residents (points or cells) with a population column, projected CRS.
    facilities : geopandas.GeoDataFrame
        Facilities in the same CRS (in memory).
    thresholds : float or sequence of float
        Walking distances in metres.
    population : str, default "population"
        Column of persons.
    group : str, optional
        Column to summarise by.
    detour_factor : float, default 1.0
        Multiplier applied to straight-line metres.
    counts : bool, default True
        Count facilities within each threshold.

    Returns
    -------
    per_resident : pandas.DataFrame
        As ``CoverageResult.residents``, for every resident.
    summary : pandas.DataFrame
        As ``CoverageResult.summary``.
    """
    import dask

    warnings.warn(
        "coverage_partitioned() gathers every resident's row into memory and will be removed "
        "in 0.3: use coverage_streamed() or coverage_to_parquet(), which stream them to files "
        "and return only the sums",
        DeprecationWarning,
        stacklevel=2,
    )
    ts = check_thresholds(thresholds)

    def one(part: gpd.GeoDataFrame) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        if len(part) == 0:
            return _empty(ts, counts), None
        distance = StraightLine(detour_factor)
        out = coverage(
            part,
            facilities,
            ts,
            distance=distance,
            population=population,
            group=group,
            counts=counts,
        )
        return out.residents, out.summary

    work = dask.delayed(one)
    parts = dask.compute(*(work(p) for p in residents.to_delayed()))
    per = pd.concat([rows for rows, _ in parts])
    summary = _add_up([sums for _, sums in parts if sums is not None], ts)
    return per, summary


def _empty(ts: tuple[float, ...], counts: bool) -> pd.DataFrame:
    cols: dict[str, pd.Series] = {
        "nearest_id": pd.Series(dtype=object),
        "nearest_m": pd.Series(dtype=float),
    }
    for t in ts:
        if counts:
            cols[f"n_within_{t:g}"] = pd.Series(dtype="int64")
        cols[f"covered_{t:g}"] = pd.Series(dtype=bool)
    return pd.DataFrame(cols)


@dataclass(frozen=True)
class _Plan:
    """What every partition is sent once: how to measure each layer, and the radii.

    By straight line the facilities themselves (small); on a network only each
    layer's distance per node and the snap index, never the graph.
    """

    layers: dict[str, Layer]
    radii: dict[str, tuple[float, ...]]
    detour_factor: float
    population: str
    group: str | None
    crs: CRS  # the residents' (given with coordinates, or the frame's own)
    tree: cKDTree | None = None  # network: the snap index and its node rows
    main: np.ndarray | None = None
    max_snap_m: float = 0.0
    reaches: dict[str, NodeReach] | None = None


def coverage_streamed(
    residents: Any,
    layers: Mapping[str, gpd.GeoDataFrame],
    thresholds: float | Sequence[float] | Mapping[str, float | Sequence[float]],
    *,
    distance: StraightLine | OnNetwork | None = None,
    population: str = "population",
    group: str | None = None,
    sink: Callable[[int, gpd.GeoDataFrame], object] | None = None,
    crs: Any = None,
) -> pd.DataFrame:
    """Shares of many layers for a partitioned frame of residents, streaming partition by partition.

    Each partition is measured on a worker, hands its per-resident results
    to ``sink`` (e.g. one GeoParquet file per partition:
    :func:`tianhe_geo.pipeline.coverage_to_parquet`) and returns only its
    population sums, so the caller's memory does not grow with the residents.
    On a network each layer's distance per node is computed once here and
    sent, with the snap index, to the workers; each partition snaps its own
    residents and looks them up. The shares equal :func:`coverage_many`'s.

    Parameters
    ----------
    residents : dask_geopandas.GeoDataFrame or dask.dataframe.DataFrame
        Residents (points or cells) with a population column, projected CRS;
        or points as coordinates: a dask frame with ``x`` and ``y`` columns
        (e.g. ``dask.dataframe.read_parquet`` of a plain table) in ``crs``,
        which stay coordinates down to the kernels.
    layers : mapping
        Layer name -> facilities (in memory, same CRS), or points as an
        (m, 2) array / a frame with x, y columns.
    thresholds : float, sequence of float, or mapping
        Metres for every layer, or layer name -> its metres.
    distance : StraightLine or OnNetwork, optional
        How to measure; straight line when omitted.
    population : str, default "population"
        Column of persons.
    group : str, optional
        Column to summarise by.
    sink : callable, optional
        Called on the worker as ``sink(partition_number, frame)`` with the
        partition's residents' geometry (points made from x, y for
        coordinates) and per layer ``nearest_m_<layer>`` (metres) and
        ``covered_<t>_<layer>`` columns.
    crs : str, int or pyproj.CRS, optional
        The projected CRS of residents given as coordinates (required for
        them; a dask-geopandas frame has its own).

    Returns
    -------
    pandas.DataFrame
        As :func:`~tianhe_geo.analysis.coverage.coverage_many`.
    """
    import dask

    res_crs = _crs_of(residents, crs)
    if isinstance(distance, OnNetwork) and res_crs != CRS.from_user_input(distance.network.crs):
        msg = f"residents are in {res_crs} but the network is in {distance.network.crs}"
        raise NetworkError(msg)
    plan = _plan(layers, thresholds, distance, population, group, res_crs)
    shared = dask.delayed(plan, pure=True)  # sent once to each worker, not once per partition
    work = dask.delayed(_partition_sums)
    parts = dask.compute(*(work(p, i, shared, sink) for i, p in enumerate(residents.to_delayed())))
    return _combine(parts, plan)


def _crs_of(residents: Any, crs: Any) -> CRS:
    """The residents' CRS: a dask-geopandas frame's own, or ``crs`` for coordinates."""
    own = getattr(residents, "crs", None)
    if own is not None:
        return CRS.from_user_input(own)
    columns = list(getattr(residents, "columns", []))
    if "x" not in columns or "y" not in columns:
        msg = (
            "residents: a dask-geopandas frame, or a dask frame with x and y columns "
            f"(coordinates); got {type(residents).__name__} with columns {columns}"
        )
        raise AnalysisInputError(msg)
    return coordinates_crs("residents", crs)


def _plan(
    layers: Mapping[str, Any],
    thresholds: float | Sequence[float] | Mapping[str, float | Sequence[float]],
    distance: StraightLine | OnNetwork | None,
    population: str,
    group: str | None,
    crs: CRS,
) -> _Plan:
    read = {name: read_facilities(fac, crs) for name, fac in layers.items()}
    radii = {}
    for name in layers:
        if isinstance(thresholds, Mapping) and name not in thresholds:
            msg = f"thresholds: no radii for layer {name!r}; give them for {list(layers)}"
            raise AnalysisInputError(msg)
        given = thresholds[name] if isinstance(thresholds, Mapping) else thresholds
        radii[name] = check_thresholds(given)
    distance = StraightLine() if distance is None else distance
    if isinstance(distance, StraightLine):
        return _Plan(read, radii, distance.detour_factor, population, group, crs)
    if not isinstance(distance, OnNetwork):
        msg = f"distance must be StraightLine or OnNetwork, got {type(distance).__name__}"
        raise AnalysisInputError(msg)
    net = distance.network
    reaches = {}
    for name, fac in read.items():
        fs = facility_sources(fac, net, distance.max_snap_m, distance.access_spacing_m)
        reaches[name] = node_reach(net, fs, radii[name][-1])
    empty = {name: fac.head(0) for name, fac in read.items()}  # names only: no rows to send
    main = np.flatnonzero(net.in_main)
    return _Plan(
        empty, radii, 1.0, population, group, crs, net.main_tree, main, distance.max_snap_m,
        reaches,
    )  # fmt: skip


def _partition_sums(
    part: gpd.GeoDataFrame,
    number: int,
    plan: _Plan,
    sink: Callable[[int, gpd.GeoDataFrame], object] | None,
) -> list[pd.DataFrame]:
    """One partition measured: its per-resident results to ``sink``, its sums returned."""
    if len(part) == 0:
        return []
    reach = Reach.prepare(
        part,
        StraightLine(plan.detour_factor),
        population=plan.population,
        group=plan.group,
        crs=plan.crs,
    )
    columns: dict[str, np.ndarray] = {}
    sums = []
    for name, fac in plan.layers.items():
        ts = plan.radii[name]
        if plan.reaches is None:
            out = reach.coverage(fac, ts)
            metres, valid = out.residents["nearest_m"].to_numpy(), None
        else:
            assert reach.origins is not None and plan.tree is not None and plan.main is not None
            rs = snap_to(plan.tree, plan.main, reach.origins.xy, plan.max_snap_m)
            metres, _ = resident_reach(plan.reaches[name], rs)
            valid = rs.snapped
        flags = {t: metres <= t for t in ts}
        sums.append(_summary_of(flags, reach.population, reach.groups, valid).assign(layer=name))
        columns[f"nearest_m_{name}"] = metres
        columns |= {f"covered_{t:g}_{name}": f for t, f in flags.items()}
    if sink is not None:
        assert reach.origins is not None
        # Coordinates get their points only here, one partition at a time, for the file.
        given = isinstance(part, gpd.GeoDataFrame)
        geometry = part.geometry.values if given else reach.origins.geoms
        sink(number, gpd.GeoDataFrame(columns, geometry=geometry, crs=plan.crs, index=part.index))
    return sums


def _combine(parts: Sequence[list[pd.DataFrame]], plan: _Plan) -> pd.DataFrame:
    """The partitions' sums added up, shares recomputed, as one tidy table."""
    frames = [f for part in parts for f in part]
    tables = []
    for name in plan.layers:
        mine = [f.drop(columns="layer") for f in frames if f["layer"].iloc[0] == name]
        ts = plan.radii[name]
        total = _add_up(mine, ts)
        tables.append(_tidy(name, CoverageResult(None, total, None, DistanceMethod("table"), ts)))
    return pd.concat(tables, ignore_index=True)


def _add_up(summaries: Sequence[pd.DataFrame], ts: tuple[float, ...]) -> pd.DataFrame:
    """Partitions' summaries of one layer as one summary (population sums added, shares anew)."""
    keep = ["population", "unknown_pop", *(f"covered_pop_{t:g}" for t in ts)]
    total = pd.concat([f[keep] for f in summaries]).groupby(level=0, sort=False).sum()
    # The district row last, as coverage_many lists it.
    order = [g for g in total.index if g != "district"]
    total = total.loc[[*sorted(order), "district"]]
    total.index.name = "group"
    return with_shares(total, ts)
