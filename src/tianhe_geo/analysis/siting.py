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
from ..foundation.errors import AnalysisInputError, CrsError, SolverError
from ._inputs import check_thresholds, population_of
from .distance import CostTable, Distance, DistanceMethod, StraightLine, cost_table

logger = logging.getLogger(__name__)

#: Grids larger than this are almost surely a spacing given in the wrong unit.
MAX_GRID_POINTS = 2_000_000

#: A relative gap this small is optimality up to the solver's tolerances.
OPTIMAL_GAP = 1e-9

#: PuLP 4 builds an expression from (variable, coefficient) pairs with this; PuLP 3 has none.
_FROM_LIST = getattr(pulp.LpAffineExpression, "from_list", None)


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
    covered = _affine(list(zip(ys, weights, strict=True)))
    sites = _affine([(x, 1.0) for x in xs])
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
        prob.addConstraint(_affine(terms) <= 0, f"c{i}")
    return prob, xs


def _affine(terms: list[tuple[pulp.LpVariable, float]]) -> pulp.LpAffineExpression:
    """``sum coeff * var`` from ``(var, coeff)`` pairs, in one call on PuLP 3 and 4.

    PuLP 4 keeps the model in a Rust core: its ``LpAffineExpression(...)`` wraps
    a core object and builds from pairs only through ``from_list``; PuLP 3's
    constructor takes the pairs themselves (it has no ``from_list``). Both are a
    single pass over the pairs, unlike ``lpSum``/``lpDot`` (an expression per
    term, and on PuLP 3 ``lpSum`` reads a pair as ``var + coeff``).
    """
    if _FROM_LIST is not None:
        return _FROM_LIST(terms)
    return pulp.LpAffineExpression(terms)


def _cbc(
    time_limit_s: float, log: Path | None, mip: bool = True, preprocess: bool = True
) -> pulp.LpSolver:
    """CBC through ``COIN_CMD``: the binary PuLP 3 bundles, else the one PuLP 4 finds.

    PuLP 3.3 ships CBC 2.10 inside the wheel (``PULP_CBC_CMD``, which warns
    that PuLP 4 drops it; ``COIN_CMD`` pointed at the same binary does not).
    PuLP 4 ships none: its ``cbc`` extra installs the ``cbcbox`` wheel, which
    ``COIN_CMD`` finds by itself (else ``cbc`` on PATH).

    Raises
    ------
    SolverError
        When no CBC binary can be found.
    """
    # On the MCLP, CBC's preprocessing costs more than it saves and a greedy
    # start spares its slow root heuristics: on Tianhe (k=20, 500 m) 55 s by
    # default, 24 s without preprocessing, 11 s with both. Set covering needs
    # the preprocessing (without it CBC stalls at the greedy start).
    options = [] if preprocess else ["preprocess off"]
    kwargs: dict[str, Any] = {"mip": mip, "msg": False, "timeLimit": time_limit_s}
    if mip:
        kwargs["warmStart"] = True
    if log is not None:
        kwargs["logPath"] = str(log)
    bundled = getattr(getattr(pulp, "PULP_CBC_CMD", None), "pulp_cbc_path", None)
    if bundled and os.path.isfile(bundled) and os.access(bundled, os.X_OK):
        return pulp.COIN_CMD(path=bundled, options=options, **kwargs)
    # CBC >= 2.11 (cbcbox's) looks for symmetry first (Nauty): on Tianhe's MCLP
    # (k=20, 500 m) 5.5 of its 11 s, finding none. CBC 2.10 ignores the option.
    solver = pulp.COIN_CMD(options=[*options, "OrbitalBranching off"], **kwargs)
    if not solver.available():
        msg = (
            f"no CBC solver found (PuLP {pulp.__version__} looked for {solver.path!r}); "
            f"reinstall tianhe-geo so that pip brings 'pulp[cbc]', or put cbc on PATH"
        )
        raise SolverError(msg)
    return solver


@dataclass(frozen=True)
class _Stage:
    """One integer programme to solve, with its greedy start and a cheap bound."""

    prob: pulp.LpProblem
    xs: list  # the x_j variables, in model-column order
    start: np.ndarray  # model columns opened by the start (feasible by construction)
    start_value: float  # the start's objective value
    bound: float  # a valid bound on the optimum that needs no solver


def _stage(
    problem: _Problem,
    k: int | None = None,
    need: float | None = None,
    start: np.ndarray | None = None,
) -> _Stage:
    """The model (see :func:`_model`), a start (greedy unless given) and a counting bound.

    The bound counts each site's reach on its own: no ``k`` sites cover more
    than their ``k`` largest reaches added up, and reaching ``need`` persons
    takes at least as many sites as the largest reaches need to add up to it.
    It is loose, but it is valid when no solver has produced a bound.
    """
    prob, xs = _model(problem, k=k, need=need)
    if start is None:
        start = _greedy(problem, k=k) if k is not None else _greedy(problem, need=need or 0.0)
    reach = np.sort(problem.groups.T @ problem.weights)[::-1]
    if k is not None:
        value = _new_groups_pop(problem, start)
        bound = min(float(problem.weights.sum()), float(reach[:k].sum()))
    else:
        value = float(start.size)
        enough = np.cumsum(reach) >= (need or 0.0) * (1 - 1e-12)
        bound = float(np.argmax(enough) + 1) if enough.any() else value
    return _Stage(prob, xs, np.asarray(start, dtype=np.intp), value, bound)


def _solve(
    stage: _Stage, time_limit_s: float, solver: pulp.LpSolver | None, preprocess: bool = True
) -> tuple[np.ndarray, str, float, float]:
    """Solve from the stage's start; return open columns, status, gap, seconds.

    When the solver hands back no solution (CBC >= 2.11 stops in the root LP
    at the time limit and drops the start), the start is returned: it is
    feasible by construction.
    """
    prob, xs = stage.prob, stage.xs
    opened = np.zeros(len(xs), dtype=bool)
    opened[stage.start] = True
    for x, value in zip(xs, opened.tolist(), strict=True):
        x.setInitialValue(float(value))
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp, "cbc.log")
        clock = time.perf_counter()
        solved = _run(
            prob, solver if solver is not None else _cbc(time_limit_s, log, True, preprocess)
        )
        seconds = time.perf_counter() - clock
        text = log.read_text(errors="replace") if log.exists() else ""
    logger.debug("CBC log:\n%s", text)
    has_solution, optimal, words = _outcome(prob, solved)
    maximise = prob.sense == pulp.LpMaximize
    if not has_solution:
        logger.info("solver stopped without a solution (%s); returning the greedy start", words)
        gap = _cbc_gap(text, maximise, stage.start_value)
        if gap is None:
            gap = _relative_gap(stage.start_value, stage.bound)
        return stage.start, "Feasible", gap, seconds
    picked = np.flatnonzero(np.array([(x.varValue or 0.0) > 0.5 for x in xs], dtype=bool))
    if optimal:
        return picked, "Optimal", 0.0, seconds
    best = pulp.value(prob.objective)
    gap = _cbc_gap(text, maximise)
    if gap is None and not text:  # a caller's solver: no CBC log to read
        gap = _lp_gap(prob, time_limit_s)
    if gap is None:
        gap = _relative_gap(best, stage.bound)
    if gap <= OPTIMAL_GAP:
        # CBC stopped at its own tolerance: PuLP 4 says "GapLimit" where PuLP 3
        # said "Optimal" (both read CBC's "Optimal (within gap tolerance)").
        return picked, "Optimal", 0.0, seconds
    return picked, "Feasible", gap, seconds


def _relative_gap(best: float, bound: float) -> float:
    return abs(bound - best) / max(abs(best), 1e-9)


def _run(prob: pulp.LpProblem, solver: pulp.LpSolver) -> object:
    """``prob.solve(solver)``, a solver that cannot run reported as :class:`SolverError`."""
    try:
        return prob.solve(solver)
    except pulp.PulpSolverError as exc:
        msg = f"the solver {type(solver).__name__} failed to run: {exc}"
        raise SolverError(msg) from exc


def _outcome(prob: pulp.LpProblem, solved: Any) -> tuple[bool, bool, str]:
    """Whether a solve has a solution, whether it is proven optimal, and its status words.

    PuLP 4's ``solve()`` returns an ``LpSolveStats`` (``status`` says why the
    solver stopped, ``has_solution`` whether it handed back a solution); PuLP 3
    returns a status code and keeps ``status`` / ``sol_status`` on the problem,
    labelling a solution cut short by the time limit "Optimal" in ``status``
    and "integer feasible" in ``sol_status``.
    """
    if hasattr(solved, "has_solution"):  # PuLP 4
        optimal = solved.status == pulp.LpSolveStatus.Optimal
        return bool(solved.has_solution), optimal and solved.has_solution, solved.status_str
    found = (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible)
    return (
        prob.sol_status in found,
        prob.sol_status == pulp.LpSolutionOptimal,
        pulp.LpStatus[prob.status],
    )


def _cbc_gap(log: str, maximise: bool, value: float | None = None) -> float | None:
    """Relative gap from CBC's log, or None when the log gives no usable bound.

    The bound is the tightest of the closing summary's, the last progress
    line's ("best possible") and the root LP relaxation's ("Continuous
    objective value"). Progress lines are in CBC's internal minimising sign, so
    magnitudes are compared (both models have objectives >= 0). A bound on the
    wrong side of the objective is dropped, and so is one equal to it in a run
    that stopped early: CBC >= 2.11 stopped in its root cuts prints "best
    possible 4.7e+13" and a summary bound equal to the objective.

    Parameters
    ----------
    log : str
        CBC's log.
    maximise : bool
        Whether the model maximises (a bound is then >= the objective).
    value : float, optional
        The objective to measure the gap of; by default the log's
        "Objective value".
    """
    if "Result - Optimal solution found" in log:
        return 0.0
    best = re.search(r"^Objective value:\s+(\S+)", log, re.MULTILINE)
    if value is None and best is None:
        stated = re.search(r"^Gap:\s+(\S+)", log, re.MULTILINE)
        return abs(float(stated.group(1))) if stated else None
    if value is None:
        assert best is not None  # checked just above; for the type checker
        value = float(best.group(1))
    value = abs(value)
    number = r"(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)"
    found = re.findall(r"^(?:Lower|Upper) bound:\s+" + number, log, re.MULTILINE)
    found += re.findall(r"best possible " + number, log)[-1:]
    found += re.findall(r"^Continuous objective value is " + number, log, re.MULTILINE)
    tol = OPTIMAL_GAP * max(value, 1.0)
    bounds = [abs(float(b)) for b in found if math.isfinite(float(b))]
    if maximise:
        bounds = [b for b in bounds if b > value + tol]
    else:
        bounds = [b for b in bounds if b < value - tol]
    if not bounds:
        return None
    tightest = min(bounds) if maximise else max(bounds)
    return _relative_gap(value, tightest)


def _lp_gap(prob: pulp.LpProblem, time_limit_s: float) -> float | None:
    """Gap against the LP-relaxation bound, None if CBC does not solve the LP in time.

    Overwrites the variables' values.
    """
    best = pulp.value(prob.objective)
    prob.solve(_cbc(time_limit_s, None, mip=False))
    bound = pulp.value(prob.objective)
    return None if best is None or bound is None else _relative_gap(best, bound)


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
        A PuLP solver to use instead of CBC (PuLP 3's bundled binary or cbcbox's, or
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
    picked, status, gap, seconds = _solve(_stage(p, k=k), time_limit_s, solver, False)
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
        A PuLP solver to use instead of CBC (PuLP 3's bundled binary or cbcbox's, or
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
    picked, status, gap, seconds = _solve(_stage(p, need=need), time_limit_s, solver)
    if tie_break and 0 < picked.size < p.groups.shape[1]:
        tie = _stage(p, k=int(picked.size), start=picked)
        again, _, _, more = _solve(tie, time_limit_s, solver, False)
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
