"""Where to put new facilities: maximal covering and set covering, solved exactly.

Two classic location models, population-weighted, with existing facilities
kept fixed:

* :func:`maximal_covering` (MCLP): choose at most ``k`` candidate sites to
  maximise the population within ``threshold_m`` of a facility;
* :func:`set_covering` (partial LSCP): the fewest candidate sites so that the
  covered share of the population (existing plus new) reaches a target, e.g.
  0.9 for GB/T 51346 or 1.0 for everyone.

Both are built from the project's long cost table (``origin_id``,
``destination_id``, ``cost_m``), so straight-line and network distance work
alike, and solved as integer programmes with PuLP and CBC.

Model reduction (the answer is unchanged, the model is much smaller):

* residents already covered by an existing facility, residents without
  population and residents no candidate reaches add the same constant to
  every solution, so they are left out of the model;
* residents covered by exactly the same set of candidates are merged into one
  demand row weighted by their total population;
* candidates that reach no remaining demand are left out, and so are
  candidates dominated by another one (which covers every demand row they
  cover): swapping one for its dominator never loses coverage or adds a site.

CBC starts from a greedy solution (repeatedly the site adding the most
uncovered persons), with its preprocessing off; see ``bench/siting_bench.py``
for sizes and times on the shipped data. The only Python loops run over
candidate sites and merged demand rows (PuLP takes a model one constraint at
a time), never over residents.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
import shapely
from scipy.sparse import csr_matrix

from ..foundation.crs import ANALYSIS_CRS, require_projected, require_same_crs
from ..foundation.errors import AnalysisInputError, CrsError
from ._inputs import check_thresholds, population_of
from .distance import CostTable, Distance, DistanceMethod, StraightLine, cost_table

logger = logging.getLogger(__name__)

#: Grids larger than this are almost surely a spacing given in the wrong unit.
MAX_GRID_POINTS = 2_000_000


@dataclass(frozen=True)
class SitingResult:
    """What a siting model returns.

    Attributes
    ----------
    chosen : geopandas.GeoDataFrame
        The chosen candidate rows (index and columns as given), plus
        ``reach_pop`` (persons within the threshold of the site) and
        ``new_covered_pop`` (persons newly covered and credited to this
        site: every resident covered by no existing facility but by at least
        one chosen site is credited to the nearest chosen site that covers
        it (ties to the earlier candidate row), so the column sums to
        ``covered_after - covered_before``).
        Sorted by ``new_covered_pop``, largest first. Sites that would be
        credited with no one are dropped (removing them changes no
        coverage), so a model may return fewer than ``k`` sites.
    covered_before, covered_after, total_pop : float
        Persons covered by existing facilities, by existing plus chosen
        sites, and in total.
    share_before, share_after : float
        ``covered_before / total_pop`` and ``covered_after / total_pop`` (0-1).
    objective : float
        MCLP: persons newly covered (``covered_after - covered_before``).
        Set covering: number of sites chosen.
    status : str
        ``"Optimal"`` when the solver proved optimality (or no solver was
        needed), ``"Feasible"`` when it stopped at the time limit with a
        solution (PuLP itself labels such a solution "Optimal").
    gap : float
        Relative optimality gap ``|best - bound| / |best|`` of the primary
        objective as modelled (new persons for the MCLP, sites for set
        covering), 0.0 when proven optimal. Read from CBC's log (the tighter
        of its closing bound and its last progress line's); for another
        solver that stops early, computed from the LP-relaxation bound (an
        upper estimate of the true gap).
    solve_seconds : float
        Wall-clock seconds spent in the solver (all stages), excluding model
        building.
    residents : geopandas.GeoDataFrame
        The residents with bool ``covered_before`` and ``covered_after`` and
        ``new_site_id`` (the site credited with a newly covered resident,
        else missing).
    stats : dict
        Model sizes: ``residents``, ``demand_rows`` (residents left in the
        model), ``demand_groups`` (after merging identical cover sets),
        ``candidates``, ``model_candidates`` (reaching someone and not
        dominated).
    method : DistanceMethod
        How the covering distance was measured.
    """

    chosen: gpd.GeoDataFrame
    covered_before: float
    covered_after: float
    total_pop: float
    share_before: float
    share_after: float
    objective: float
    status: str
    gap: float
    solve_seconds: float
    residents: gpd.GeoDataFrame
    stats: dict[str, int] = field(default_factory=dict)
    method: DistanceMethod = field(default_factory=lambda: StraightLine().method)


@dataclass(frozen=True)
class _Problem:
    """A siting instance reduced to what the integer programme needs."""

    residents: gpd.GeoDataFrame
    candidates: gpd.GeoDataFrame
    pop: np.ndarray  # persons per resident row
    pairs: pd.DataFrame  # resident row ``o``, candidate row ``c``, ``cost_m``, within threshold
    cover: csr_matrix  # residents x candidates, 1 where within threshold
    before: np.ndarray  # bool per resident: covered by an existing facility
    groups: csr_matrix  # demand groups x model candidates
    weights: np.ndarray  # persons per demand group
    model_cand: np.ndarray  # candidate row of each model column
    stats: dict[str, int]
    method: DistanceMethod

    @property
    def total(self) -> float:
        return float(self.pop.sum())

    @property
    def covered_before(self) -> float:
        return float(self.pop[self.before].sum())


# --------------------------------------------------------------------------
# Candidates
# --------------------------------------------------------------------------
def candidate_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries | shapely.Geometry,
    spacing_m: float,
    exclude: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    *,
    crs: str | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites on a regular square grid inside an area.

    Grid lines fall on whole multiples of ``spacing_m`` plus half a spacing,
    so the same area and spacing always give the same points.

    Parameters
    ----------
    area : geopandas.GeoDataFrame, geopandas.GeoSeries or shapely geometry
        Where sites may go, in a projected CRS (metres); a frame's
        geometries are united. A bare geometry is taken to be in ``crs``.
    spacing_m : float
        Distance between neighbouring points in metres (> 0).
    exclude : geopandas.GeoDataFrame or geopandas.GeoSeries, optional
        Land where no site may go (water, existing parks...), in the same
        CRS as ``area``; points on its boundary are excluded too.
    crs : str, optional
        CRS of a bare geometry ``area`` (default EPSG:4547); ignored for
        frames.

    Returns
    -------
    geopandas.GeoDataFrame
        Points indexed ``cand-0``, ``cand-1``... with the same labels in
        column ``candidate_id``, in the area's CRS.
    """
    geom, out_crs = _area_geometry(area, crs)
    if not (np.isfinite(spacing_m) and spacing_m > 0):
        msg = f"spacing_m must be a distance > 0 metres, e.g. 250; got {spacing_m!r}"
        raise AnalysisInputError(msg)
    xs, ys = _grid_axes(geom.bounds, spacing_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    keep = shapely.contains_xy(geom, gx, gy)
    if exclude is not None and len(exclude):
        require_same_crs(area=gpd.GeoSeries([geom], crs=out_crs), exclude=exclude)
        # intersects, not contains: a point on a river bank is not buildable.
        keep &= ~shapely.intersects_xy(exclude.geometry.union_all(), gx, gy)
    labels = [f"cand-{i}" for i in range(int(keep.sum()))]
    return gpd.GeoDataFrame(
        {"candidate_id": labels},
        geometry=shapely.points(gx[keep], gy[keep]),
        index=pd.Index(labels),
        crs=out_crs,
    )


def _area_geometry(area: object, crs: str | None) -> tuple[shapely.Geometry, object]:
    """The area as one prepared geometry and its CRS, checked to be metric."""
    if isinstance(area, gpd.GeoDataFrame | gpd.GeoSeries):
        require_projected(area, "area")
        geom, out_crs = area.geometry.union_all() if len(area) else shapely.Polygon(), area.crs
    elif isinstance(area, shapely.Geometry):
        geom, out_crs = area, crs or ANALYSIS_CRS
        require_projected(gpd.GeoSeries([geom], crs=out_crs), "area")
        _check_area(geom)
        minx, miny, maxx, maxy = geom.bounds
        if max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90:
            msg = (
                f"area bounds {geom.bounds} look like lon/lat degrees, not metres; "
                f"project it first, e.g. with tianhe_geo.crs.to_analysis()"
            )
            raise CrsError(msg)
    else:
        msg = f"area must be a GeoDataFrame, GeoSeries or shapely geometry, got {type(area)}"
        raise AnalysisInputError(msg)
    _check_area(geom)
    shapely.prepare(geom)
    return geom, out_crs


def _check_area(geom: shapely.Geometry) -> None:
    if geom.is_empty or geom.area <= 0:
        msg = "area is empty or has no area; give the polygon(s) where sites may go"
        raise AnalysisInputError(msg)


def _grid_axes(bounds: tuple, spacing: float) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = bounds
    half = spacing / 2.0
    xs = np.arange(math.floor((minx - half) / spacing) * spacing + half, maxx + spacing, spacing)
    ys = np.arange(math.floor((miny - half) / spacing) * spacing + half, maxy + spacing, spacing)
    if xs.size * ys.size > MAX_GRID_POINTS:
        msg = (
            f"spacing_m={spacing:g} gives {xs.size * ys.size:,} grid points over the area's "
            f"bounding box (limit {MAX_GRID_POINTS:,}); use a larger spacing in metres"
        )
        raise AnalysisInputError(msg)
    return xs, ys


# --------------------------------------------------------------------------
# Building the instance
# --------------------------------------------------------------------------
def _check_inputs(
    residents: gpd.GeoDataFrame, candidates: gpd.GeoDataFrame, existing: gpd.GeoDataFrame
) -> None:
    """CRS and index checks shared by both models (before any distance is computed)."""
    require_same_crs(residents=residents, candidates=candidates, existing=existing)
    require_projected(residents, "residents")
    for name, gdf in (("residents", residents), ("candidates", candidates)):
        if not gdf.index.is_unique:
            dup = gdf.index[gdf.index.duplicated()].unique().tolist()[:5]
            msg = f"{name}: index labels must be unique (duplicated: {dup}); reset_index() first"
            raise AnalysisInputError(msg)
    overlap = candidates.index.intersection(existing.index)
    if len(overlap):
        msg = (
            f"candidates and existing share index labels {overlap.tolist()[:5]}; the cost "
            f"table tells them apart by label, so relabel one, e.g. "
            f"existing.index = 'existing-' + existing.index.astype(str)"
        )
        raise AnalysisInputError(msg)


def _within(
    residents: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame,
    threshold: float,
    distance: Distance,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Resident-candidate and resident-existing pairs within the threshold, as row positions."""
    if isinstance(distance, CostTable):  # one given table covers candidates and existing
        table = distance.within(threshold).pairs
    else:
        cand = cost_table(residents, candidates, threshold, distance).pairs
        exist = cost_table(residents, existing, threshold, distance).pairs
        table = pd.concat([cand, exist], ignore_index=True)
    o = residents.index.get_indexer(table["origin_id"])
    c = candidates.index.get_indexer(table["destination_id"])
    e = existing.index.get_indexer(table["destination_id"])
    for bad, what in ((o < 0, "origin_id"), ((c < 0) & (e < 0), "destination_id")):
        if bad.any():
            ids = pd.unique(table[what].to_numpy()[bad])[:5].tolist()
            msg = (
                f"table: {what} values {ids} are not index labels of the "
                f"{'residents' if what == 'origin_id' else 'candidates or existing'}; "
                f"build the table from the same frames"
            )
            raise AnalysisInputError(msg)
    cost = table["cost_m"].to_numpy(dtype=float)
    to_cand = pd.DataFrame({"o": o[c >= 0], "c": c[c >= 0], "cost_m": cost[c >= 0]})
    to_exist = pd.DataFrame({"o": o[e >= 0], "e": e[e >= 0]})
    return to_cand, to_exist


def _aggregate(rows: csr_matrix, weight: np.ndarray) -> tuple[csr_matrix, np.ndarray]:
    """Merge rows with identical column sets, summing their weights.

    Each row's sorted column indices are padded with -1 into a dense block
    so that ``np.unique(axis=0)`` finds identical sets exactly (no hashing).
    """
    rows = rows.tocsr()
    rows.sort_indices()
    nnz = np.diff(rows.indptr)
    if rows.shape[0] == 0:
        return csr_matrix((0, rows.shape[1])), np.empty(0)
    padded = np.full((rows.shape[0], int(nnz.max())), -1, dtype=np.int64)
    row_of = np.repeat(np.arange(rows.shape[0]), nnz)
    slot = np.arange(rows.nnz) - np.repeat(rows.indptr[:-1], nnz)
    padded[row_of, slot] = rows.indices
    uniq, inverse = np.unique(padded, axis=0, return_inverse=True)
    weights = np.bincount(inverse.ravel(), weights=weight, minlength=len(uniq))
    gi, slot = np.nonzero(uniq >= 0)
    groups = csr_matrix((np.ones(gi.size), (gi, uniq[gi, slot])), shape=(len(uniq), rows.shape[1]))
    return groups, weights


def _build(
    residents: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    existing: gpd.GeoDataFrame | None,
    threshold_m: float,
    population: str,
    distance: Distance,
) -> _Problem:
    """Validate the inputs and reduce them to demand groups x model candidates."""
    existing = _no_existing(candidates) if existing is None else existing
    _check_inputs(residents, candidates, existing)
    (threshold,) = check_thresholds(threshold_m)
    if threshold <= 0:
        msg = f"threshold_m must be a walking distance > 0 metres, e.g. 500; got {threshold_m!r}"
        raise AnalysisInputError(msg)
    pop = population_of(residents, population).to_numpy(dtype=float)
    if not pop.sum() > 0:
        msg = f"residents: column {population!r} sums to 0 persons; nothing to cover"
        raise AnalysisInputError(msg)
    pairs, to_exist = _within(residents, candidates, existing, threshold, distance)
    n_res, n_cand = len(residents), len(candidates)
    cover = csr_matrix((np.ones(len(pairs)), (pairs["o"], pairs["c"])), shape=(n_res, n_cand))
    cover.sum_duplicates()
    cover.data[:] = 1.0
    before = np.zeros(n_res, dtype=bool)
    before[to_exist["o"].to_numpy()] = True
    # Demand already covered, empty or out of every candidate's reach is a constant.
    keep = np.flatnonzero(~before & (pop > 0) & (np.diff(cover.indptr) > 0))
    groups, weights = _aggregate(cover[keep], pop[keep])
    model_cand = np.flatnonzero(_undominated(groups))
    # Dropping candidates can make more demand rows identical: merge again.
    groups, weights = _aggregate(groups[:, model_cand], weights)
    stats = {
        "residents": n_res,
        "demand_rows": int(keep.size),
        "demand_groups": int(groups.shape[0]),
        "candidates": n_cand,
        "model_candidates": int(model_cand.size),
    }
    logger.info("siting instance: %s", stats)
    return _Problem(
        residents, candidates, pop, pairs, cover, before,
        groups, weights, model_cand, stats, distance.method,
    )  # fmt: skip


def _undominated(groups: csr_matrix) -> np.ndarray:
    """Bool per column: reaches some demand and is not dominated by another column.

    Column j is dominated when another column covers every demand group j
    covers (of identical columns the first is kept). Any solution using j
    does at least as well with its dominator instead, in both models, and
    every dropped column has a kept dominator (the subset order has maximal
    elements), so dropping all of them at once loses nothing.
    """
    cols = groups.tocsc().astype(np.int32)
    deg = np.diff(cols.indptr)
    overlap = (cols.T @ cols).tocoo()
    r, c = overlap.row, overlap.col
    inside = (overlap.data == deg[r]) & (r != c)  # r's groups are all c's groups
    same = inside & (deg[r] == deg[c])
    dominated = np.zeros(cols.shape[1], dtype=bool)
    dominated[r[(inside & ~same) | (same & (r > c))]] = True
    return (deg > 0) & ~dominated


def _distance(distance: Distance | None) -> Distance:
    return StraightLine() if distance is None else distance


def _no_existing(candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries([], crs=candidates.crs), crs=candidates.crs)


# --------------------------------------------------------------------------
# Integer programme
# --------------------------------------------------------------------------
def _model(
    problem: _Problem, k: int | None = None, need: float | None = None
) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """MCLP when ``k`` is given, else partial set covering to ``need`` persons.

    ``x_j`` (binary) opens model candidate j; ``y_i`` (continuous in [0, 1])
    is demand group i being covered, allowed only if an open site covers it:
    ``y_i <= sum_j x_j``. ``y`` need not be binary: with binary ``x`` an
    optimal ``y`` is always 0 or 1, and coverage is recomputed from ``x``.
    """
    groups, weights = problem.groups, problem.weights.tolist()
    sense = pulp.LpMaximize if k is not None else pulp.LpMinimize
    prob = pulp.LpProblem("siting", sense)
    xs = [prob.add_variable(f"x{j}", 0, 1, pulp.LpBinary) for j in range(groups.shape[1])]
    ys = [prob.add_variable(f"y{i}", 0, 1) for i in range(groups.shape[0])]
    covered = pulp.LpAffineExpression(list(zip(ys, weights, strict=True)))
    sites = pulp.LpAffineExpression([(x, 1.0) for x in xs])
    if k is not None:
        prob.setObjective(covered)
        prob.addConstraint(sites <= k, "sites")
    else:
        prob.setObjective(sites)
        prob.addConstraint(covered >= need, "need")
    # PuLP takes a model one constraint at a time: one per demand group, not per resident.
    ptr, idx = groups.indptr.tolist(), groups.indices.tolist()
    for i, y in enumerate(ys):
        terms = [(y, 1.0), *((xs[j], -1.0) for j in idx[ptr[i] : ptr[i + 1]])]
        expr = pulp.LpAffineExpression(terms)
        prob.addConstraint(pulp.LpConstraint(expr, pulp.LpConstraintLE, f"c{i}", 0.0))
    return prob, xs


def _cbc(
    time_limit_s: float, log: Path | None, mip: bool = True, preprocess: bool = True
) -> pulp.LpSolver:
    """CBC: the binary bundled with PuLP if present, else one on PATH.

    ``PULP_CBC_CMD`` runs the same bundled binary but warns that PuLP 4 drops
    it; ``COIN_CMD`` pointed at it does not, and keeps working once CBC comes
    from ``pip install pulp[cbc]`` instead.
    """
    # On the MCLP, CBC's preprocessing costs more than it saves and a greedy
    # start spares its slow root heuristics: on Tianhe (k=20, 500 m) 55 s by
    # default, 24 s without preprocessing, 11 s with both. Set covering needs
    # the preprocessing (without it CBC stalls at the greedy start).
    kwargs: dict[str, Any] = {"mip": mip, "msg": False, "timeLimit": time_limit_s}
    if not preprocess:
        kwargs["options"] = ["preprocess off"]
    if mip:
        kwargs["warmStart"] = True
    if log is not None:
        kwargs["logPath"] = str(log)
    bundled = Path(pulp.PULP_CBC_CMD.pulp_cbc_path)
    if bundled.is_file() and os.access(bundled, os.X_OK):
        return pulp.COIN_CMD(path=str(bundled), **kwargs)
    return pulp.COIN_CMD(**kwargs)


def _solve(
    prob: pulp.LpProblem,
    xs: list,
    start: np.ndarray,
    time_limit_s: float,
    solver: pulp.LpSolver | None,
    preprocess: bool = True,
) -> tuple[np.ndarray, str, float, float]:
    """Solve from the open columns ``start``; return open columns, status, gap, seconds."""
    opened = np.zeros(len(xs), dtype=bool)
    opened[start] = True
    for x, value in zip(xs, opened.tolist(), strict=True):
        x.setInitialValue(float(value))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp, "cbc.log")
        clock = time.perf_counter()
        prob.solve(solver if solver is not None else _cbc(time_limit_s, log, True, preprocess))
        seconds = time.perf_counter() - clock
        text = log.read_text(errors="replace") if log.exists() else ""
    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        msg = (
            f"the solver found no solution ({pulp.LpStatus[prob.status]}) within "
            f"time_limit_s={time_limit_s:g}; allow more time or use fewer candidates"
        )
        raise AnalysisInputError(msg)
    picked = np.flatnonzero(np.array([(x.varValue or 0.0) > 0.5 for x in xs], dtype=bool))
    if prob.sol_status == pulp.LpSolutionOptimal:
        return picked, "Optimal", 0.0, seconds
    gap = _cbc_gap(text)
    if gap is None:
        gap = _lp_gap(prob, time_limit_s)
    return picked, "Feasible", gap, seconds


def _cbc_gap(log: str) -> float | None:
    """Relative gap from CBC's log, or None when the log does not say.

    The bound is the tighter of the closing summary's and the last progress
    line's ("best possible"); the latter is in CBC's internal minimising sign,
    so magnitudes are compared (both models have objectives >= 0).
    """
    if "Result - Optimal solution found" in log:
        return 0.0
    best = re.search(r"^Objective value:\s+(\S+)", log, re.MULTILINE)
    if best is None:
        stated = re.search(r"^Gap:\s+(\S+)", log, re.MULTILINE)
        return abs(float(stated.group(1))) if stated else None
    bounds = re.findall(r"^(?:Lower|Upper) bound:\s+(\S+)", log, re.MULTILINE)
    bounds += re.findall(r"best possible (-?[0-9.]+(?:[eE][-+]?[0-9]+)?)", log)[-1:]
    if not bounds:
        return None
    value = abs(float(best.group(1)))
    return min(abs(abs(float(b)) - value) for b in bounds) / max(value, 1e-9)


def _lp_gap(prob: pulp.LpProblem, time_limit_s: float) -> float:
    """Gap against the LP-relaxation bound (overwrites the variables' values)."""
    best = pulp.value(prob.objective)
    prob.solve(_cbc(time_limit_s, None, mip=False))
    bound = pulp.value(prob.objective)
    return abs(bound - best) / max(abs(best), 1e-9)


def _greedy(problem: _Problem, k: int | None = None, need: float = np.inf) -> np.ndarray:
    """Model columns picked greedily (most uncovered persons first): a solver start.

    Stops after ``k`` sites, once ``need`` persons are covered, or when no
    site adds anyone. One sparse product per site, not per resident.
    """
    cols = problem.groups.tocsc()
    left = problem.weights.copy()
    picked: list[int] = []
    gained = 0.0
    while (k is None or len(picked) < k) and gained < need:
        gain = cols.T @ left
        j = int(np.argmax(gain))
        if gain[j] <= 0:
            break
        picked.append(j)
        gained += float(gain[j])
        left[cols.indices[cols.indptr[j] : cols.indptr[j + 1]]] = 0.0
    return np.asarray(picked, dtype=np.intp)


def _new_groups_pop(problem: _Problem, picked: np.ndarray) -> float:
    """Persons in demand groups that the model columns ``picked`` cover."""
    hit = np.asarray(problem.groups[:, picked].sum(axis=1)).ravel() > 0
    return float(problem.weights[hit].sum())


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------
def _result(
    problem: _Problem, rows: np.ndarray, status: str, gap: float, seconds: float, mclp: bool
) -> SitingResult:
    """Coverage, credit per site and resident flags for the chosen candidate rows."""
    p, n_cand = problem, len(problem.candidates)
    open_ = np.zeros(n_cand, dtype=bool)
    open_[np.asarray(rows, dtype=np.intp)] = True
    pairs = p.pairs[open_[p.pairs["c"].to_numpy()]]
    after = p.before.copy()
    after[pairs["o"].to_numpy()] = True
    # Newly covered persons are credited to the nearest open site that covers them.
    fresh = pairs[~p.before[pairs["o"].to_numpy()]]
    credit = fresh.sort_values(["o", "cost_m", "c"], kind="stable").drop_duplicates("o")
    o, c = credit["o"].to_numpy(), credit["c"].to_numpy()
    new_pop = np.bincount(c, weights=p.pop[o], minlength=n_cand)
    kept = np.flatnonzero(open_ & (new_pop > 0))
    chosen = p.candidates.iloc[kept].copy()
    chosen["reach_pop"] = (p.cover.T @ p.pop)[kept]
    chosen["new_covered_pop"] = new_pop[kept]
    chosen = chosen.sort_values("new_covered_pop", ascending=False, kind="stable")
    residents = p.residents.copy()
    residents["covered_before"] = p.before
    residents["covered_after"] = after
    site = np.full(len(residents), None, dtype=object)
    site[o] = p.candidates.index.to_numpy()[c]
    residents["new_site_id"] = site
    total, before_pop = p.total, p.covered_before
    after_pop = float(p.pop[after].sum())
    return SitingResult(
        chosen=chosen,
        covered_before=before_pop,
        covered_after=after_pop,
        total_pop=total,
        share_before=before_pop / total,
        share_after=after_pop / total,
        objective=after_pop - before_pop if mclp else float(len(kept)),
        status=status,
        gap=float(gap),
        solve_seconds=float(seconds),
        residents=residents,
        stats=dict(p.stats),
        method=p.method,
    )


def _check_k(k: int, n_candidates: int) -> int:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        msg = f"k must be a whole number of new sites >= 0, got {k!r}"
        raise AnalysisInputError(msg)
    if k > 0 and n_candidates == 0:
        msg = "no candidates: give candidate sites, e.g. candidate_grid(boundary, 250)"
        raise AnalysisInputError(msg)
    if k > n_candidates:
        msg = (
            f"k={k} new sites but only {n_candidates} candidates; lower k or give more "
            f"candidates (e.g. a finer candidate_grid spacing)"
        )
        raise AnalysisInputError(msg)
    return int(k)


def _check_time(time_limit_s: float) -> None:
    if not (np.isfinite(time_limit_s) and time_limit_s > 0):
        msg = f"time_limit_s must be a number of seconds > 0, got {time_limit_s!r}"
        raise AnalysisInputError(msg)


# --------------------------------------------------------------------------
# Public models
# --------------------------------------------------------------------------


def maximal_covering(  # noqa: PLR0913 - a siting query has this many knobs
    residents: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    k: int,
    threshold_m: float,
    existing: gpd.GeoDataFrame | None = None,
    *,
    population: str = "population",
    distance: Distance | None = None,
    time_limit_s: float = 60,
    solver: pulp.LpSolver | None = None,
) -> SitingResult:
    """Choose up to ``k`` new sites covering the most people (MCLP).

    Maximises the population within ``threshold_m`` of an existing facility
    or a chosen site. Sites that would add nobody are not returned, so fewer
    than ``k`` come back when fewer already reach everyone reachable.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells (centroids used) with a population column, in a
        projected CRS (metres).
    candidates : geopandas.GeoDataFrame
        Possible new sites, same CRS, unique index labels (e.g. from
        :func:`candidate_grid`).
    k : int
        Number of new sites, 0 <= k <= len(candidates).
    threshold_m : float
        Walking distance in metres (> 0) within which a site covers a resident.
    existing : geopandas.GeoDataFrame, optional
        Facilities kept as they are (points, or polygons measured to their
        edge), same CRS; residents they cover count as covered already.
    population : str, default "population"
        Column of persons per resident row (>= 0, no NaN).
    distance : StraightLine, OnNetwork or CostTable, optional
        How to measure (:mod:`tianhe_geo.analysis.distance`); straight line
        when omitted. A :class:`CostTable` must cover residents x (candidates
        and existing), cut at ``threshold_m`` or beyond; its ``origin_id``
        holds residents' index labels and ``destination_id`` candidates' or
        existing facilities' labels, so the two must not share labels.
        Residents absent from it are reached by nothing.
    time_limit_s : float, default 60
        Wall-clock limit per solver run in seconds; on reaching it the best
        solution found is returned with ``status="Feasible"`` and its gap.
    solver : pulp.LpSolver, optional
        A PuLP solver to use instead of CBC (PuLP's bundled binary, or
        ``cbc`` on PATH); ``time_limit_s`` then does not apply.

    Returns
    -------
    SitingResult
        ``objective`` is the number of persons newly covered.
    """
    _check_time(time_limit_s)
    k = _check_k(k, len(candidates))
    p = _build(residents, candidates, existing, threshold_m, population, _distance(distance))
    n_model = p.groups.shape[1]
    if k == 0 or n_model == 0:
        return _result(p, np.empty(0, np.intp), "Optimal", 0.0, 0.0, mclp=True)
    if n_model <= k:  # every useful site fits: nothing to choose
        return _result(p, p.model_cand, "Optimal", 0.0, 0.0, mclp=True)
    prob, xs = _model(p, k=k)
    picked, status, gap, seconds = _solve(prob, xs, _greedy(p, k=k), time_limit_s, solver, False)
    return _result(p, p.model_cand[picked], status, gap, seconds, mclp=True)


def set_covering(  # noqa: PLR0913 - a siting query has this many knobs
    residents: gpd.GeoDataFrame,
    candidates: gpd.GeoDataFrame,
    target_share: float,
    threshold_m: float,
    existing: gpd.GeoDataFrame | None = None,
    *,
    population: str = "population",
    distance: Distance | None = None,
    time_limit_s: float = 60,
    solver: pulp.LpSolver | None = None,
    tie_break: bool = True,
) -> SitingResult:
    """The fewest new sites that bring coverage up to a target share.

    Partial set covering with population weights: minimise ``sum x_j``
    subject to ``sum_i pop_i y_i >= target_share * total - covered_before``
    and ``y_i <= sum_(j covers i) x_j``. Several site sets are often
    minimal; with ``tie_break`` a second solve keeps the count and maximises
    the population covered (an MCLP with ``k`` = the minimum).

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells (centroids used) with a population column, in a
        projected CRS (metres).
    candidates : geopandas.GeoDataFrame
        Possible new sites, same CRS, unique index labels.
    target_share : float
        Share of all residents to cover, existing plus new, in (0, 1]
        (e.g. 0.9 for GB/T 51346, 1.0 for everyone).
    threshold_m : float
        Walking distance in metres (> 0).
    existing : geopandas.GeoDataFrame, optional
        Facilities kept as they are (points, or polygons measured to their
        edge), same CRS; residents they cover count as covered already.
    population : str, default "population"
        Column of persons per resident row (>= 0, no NaN).
    distance : StraightLine, OnNetwork or CostTable, optional
        How to measure (:mod:`tianhe_geo.analysis.distance`); straight line
        when omitted. A :class:`CostTable` must cover residents x (candidates
        and existing), cut at ``threshold_m`` or beyond; its ``origin_id``
        holds residents' index labels and ``destination_id`` candidates' or
        existing facilities' labels, so the two must not share labels.
        Residents absent from it are reached by nothing.
    time_limit_s : float, default 60
        Wall-clock limit per solver run in seconds; on reaching it the best
        solution found is returned with ``status="Feasible"`` and its gap.
    solver : pulp.LpSolver, optional
        A PuLP solver to use instead of CBC (PuLP's bundled binary, or
        ``cbc`` on PATH); ``time_limit_s`` then does not apply.

    tie_break : bool, default True
        Among minimal site sets, return one covering the most people.

    Returns
    -------
    SitingResult
        ``objective`` is the number of sites; ``status`` and ``gap`` refer
        to that count (the tie-break stage only ever improves coverage).

    Raises
    ------
    AnalysisInputError
        When the target exceeds what existing facilities and all candidates
        together reach (the message gives that share), among others.
    """
    _check_time(time_limit_s)
    if not (np.isfinite(target_share) and 0 < target_share <= 1):
        msg = f"target_share must be a share in (0, 1], e.g. 0.9; got {target_share!r}"
        raise AnalysisInputError(msg)
    if len(candidates) == 0:
        msg = "no candidates: give candidate sites, e.g. candidate_grid(boundary, 250)"
        raise AnalysisInputError(msg)
    p = _build(residents, candidates, existing, threshold_m, population, _distance(distance))
    need = _need(p, target_share)
    if need == 0:
        return _result(p, np.empty(0, np.intp), "Optimal", 0.0, 0.0, mclp=False)
    prob, xs = _model(p, need=need)
    picked, status, gap, seconds = _solve(prob, xs, _greedy(p, need=need), time_limit_s, solver)
    if tie_break and 0 < picked.size < p.groups.shape[1]:
        prob, xs = _model(p, k=int(picked.size))
        again, _, _, more = _solve(prob, xs, picked, time_limit_s, solver, False)
        seconds += more
        if _new_groups_pop(p, again) >= _new_groups_pop(p, picked):
            picked = again
    return _result(p, p.model_cand[picked], status, gap, seconds, mclp=False)


def _need(problem: _Problem, target_share: float) -> float:
    """Persons the new sites must add; 0 when existing facilities already suffice."""
    total, before = problem.total, problem.covered_before
    tol = 1e-9 * total  # float sums of populations differ in the last digits
    need = target_share * total - before
    if need <= tol:
        return 0.0
    reachable = float(problem.weights.sum())
    if need > reachable + tol:
        share = (before + reachable) / total
        msg = (
            f"target_share={target_share:g} is out of reach: existing facilities and all "
            f"{len(problem.candidates)} candidates together cover at most {share:.4f} "
            f"({share:.2%}) of residents within the threshold; lower the target, add "
            f"candidates (finer spacing, fewer exclusions) or raise the threshold"
        )
        raise AnalysisInputError(msg)
    return min(need, reachable)
