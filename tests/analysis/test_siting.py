from itertools import combinations

import geopandas as gpd
import numpy as np
import pandas as pd
import pulp
import pytest
import shapely
from scipy.spatial import cKDTree

from tianhe_geo import AnalysisInputError, CrsError, LayerSchemaError
from tianhe_geo.analysis.distance import CostTable
from tianhe_geo.analysis.euclidean import euclidean_table
from tianhe_geo.analysis.siting import (
    SitingResult,
    _cbc_gap,
    candidate_grid,
    maximal_covering,
    set_covering,
)

CRS = "EPSG:4547"
ORIGIN = np.array([440_000.0, 2_560_000.0])
T = 400.0


def _pts(xy, prefix, **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    idx = [f"{prefix}{i}" for i in range(len(xy))]
    return gpd.GeoDataFrame(cols, geometry=shapely.points(xy), crs=CRS, index=idx)


def _case(seed, n_res=30, n_cand=8, n_exist=2, span=1500.0):
    rng = np.random.default_rng(seed)
    res = _pts(
        rng.uniform(0, span, (n_res, 2)) + ORIGIN, "r", population=rng.uniform(0, 100, n_res)
    )
    cand = _pts(rng.uniform(0, span, (n_cand, 2)) + ORIGIN, "c")
    exist = _pts(rng.uniform(0, span, (n_exist, 2)) + ORIGIN, "e")
    return res, cand, exist


def _within(a, b, t):
    """Plain numpy distance matrix, independent of the package's tables."""
    pa = shapely.get_coordinates(a.geometry.values)
    pb = shapely.get_coordinates(b.geometry.values)
    return np.hypot(pa[:, None, 0] - pb[None, :, 0], pa[:, None, 1] - pb[None, :, 1]) <= t


def _brute(res, cand, exist, t):
    """Best covered population for every k, and the share of every combination."""
    pop = res["population"].to_numpy()
    before = _within(res, exist, t).any(axis=1)
    reach = _within(res, cand, t)
    best = {}
    for k in range(len(cand) + 1):
        best[k] = max(
            pop[before | reach[:, list(combo)].any(axis=1)].sum()
            for combo in combinations(range(len(cand)), k)
        )
    return pop[before].sum(), best, pop.sum()


# --------------------------------------------------------------------------
# Optimality against brute force
# --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(6))
def test_mclp_matches_brute_force(seed):
    res, cand, exist = _case(seed)
    before, best, total = _brute(res, cand, exist, T)
    for k in (1, 2, 3, 5):
        out = maximal_covering(res, cand, k, T, exist)
        assert isinstance(out, SitingResult)
        assert out.status == "Optimal"
        assert out.gap == 0.0
        assert out.covered_after == pytest.approx(best[k], rel=1e-9)
        assert out.covered_before == pytest.approx(before, rel=1e-9)
        assert out.objective == pytest.approx(best[k] - before, rel=1e-9, abs=1e-9)
        assert out.total_pop == pytest.approx(total)
        assert out.share_after == pytest.approx(best[k] / total)
        assert len(out.chosen) <= k
        assert out.chosen["new_covered_pop"].sum() == pytest.approx(out.objective, abs=1e-9)


def test_mclp_flags_and_credit_agree_with_distances():
    res, cand, exist = _case(3, n_res=60)
    out = maximal_covering(res, cand, 3, T, exist)
    chosen = cand.loc[out.chosen.index]
    before = _within(res, exist, T).any(axis=1)
    after = before | _within(res, chosen, T).any(axis=1)
    np.testing.assert_array_equal(out.residents["covered_before"], before)
    np.testing.assert_array_equal(out.residents["covered_after"], after)
    # Newly covered persons are credited to the nearest chosen site.
    fresh = after & ~before
    pr = shapely.get_coordinates(res.geometry.values[fresh])
    _, nearest = cKDTree(shapely.get_coordinates(chosen.geometry.values)).query(pr)
    assert out.residents["new_site_id"][fresh].tolist() == chosen.index[nearest].tolist()
    assert out.residents["new_site_id"][~fresh].isna().all()
    credit = res["population"][fresh].groupby(chosen.index[nearest].to_numpy()).sum()
    pd.testing.assert_series_equal(
        out.chosen["new_covered_pop"].sort_index(), credit.sort_index(), check_names=False
    )
    assert (np.diff(out.chosen["new_covered_pop"].to_numpy()) <= 0).all()
    reach = (_within(res, chosen, T) * res["population"].to_numpy()[:, None]).sum(axis=0)
    np.testing.assert_allclose(out.chosen["reach_pop"], reach)


@pytest.mark.parametrize("seed", range(6))
def test_set_covering_matches_brute_force(seed):
    res, cand, exist = _case(seed)
    before, best, total = _brute(res, cand, exist, T)
    reachable = best[len(cand)] / total
    for target in (before / total + 0.5 * (reachable - before / total), reachable):
        k_min = min(k for k in best if best[k] >= target * total * (1 - 1e-9))
        out = set_covering(res, cand, target, T, exist)
        assert out.status == "Optimal"
        assert out.objective == len(out.chosen) == k_min
        assert out.share_after >= target - 1e-9
        # Tie-break: the most coverage any k_min sites give.
        assert out.covered_after == pytest.approx(best[k_min], rel=1e-9)


def test_set_covering_everyone_and_existing_enough():
    res, cand, exist = _case(1)
    # Put a candidate on every resident: 100 % becomes reachable.
    many = _pts(shapely.get_coordinates(res.geometry.values) + 1.0, "c")
    out = set_covering(res, many, 1.0, T, exist)
    assert out.share_after == pytest.approx(1.0)
    assert out.residents["covered_after"].all()
    # Existing facilities already meet a low target: no new site, no solver.
    share = _brute(res, cand, exist, T)[0] / res["population"].sum()
    none = set_covering(res, cand, share * 0.99, T, exist)
    assert len(none.chosen) == 0
    assert none.objective == 0
    assert none.solve_seconds == 0


# --------------------------------------------------------------------------
# Cost tables
# --------------------------------------------------------------------------
def test_table_path_matches_straight_line():
    res, cand, exist = _case(4)
    table = euclidean_table(res, pd.concat([cand, exist]), T)
    for k in (1, 3):
        direct = maximal_covering(res, cand, k, T, exist)
        via = maximal_covering(res, cand, k, T, exist, distance=CostTable(table))
        assert via.covered_after == pytest.approx(direct.covered_after)
        assert set(via.chosen.index) == set(direct.chosen.index)
    lscp = set_covering(res, cand, 0.5, T, exist, distance=CostTable(table))
    assert lscp.objective == set_covering(res, cand, 0.5, T, exist).objective


def test_custom_table_changes_answer():
    res, cand, exist = _case(5)
    # Doubled costs at threshold T are straight-line distances within T / 2.
    table = euclidean_table(res, pd.concat([cand, exist]), 2 * T)
    table["cost_m"] *= 2
    _, best_half, _ = _brute(res, cand, exist, T / 2)
    _, best_full, _ = _brute(res, cand, exist, T)
    out = maximal_covering(res, cand, 2, T, exist, distance=CostTable(table))
    assert out.covered_after == pytest.approx(best_half[2])
    assert best_half[2] < best_full[2]
    # A table cut beyond the threshold is cut again at it.
    loose = euclidean_table(res, pd.concat([cand, exist]), 3 * T)
    assert maximal_covering(res, cand, 2, T, exist, distance=CostTable(loose)).covered_after == (
        pytest.approx(best_full[2])
    )


def test_table_with_unknown_ids_is_rejected():
    res, cand, exist = _case(0)
    table = euclidean_table(res, pd.concat([cand, exist]), T)
    table.loc[0, "destination_id"] = "nowhere"
    with pytest.raises(AnalysisInputError, match="nowhere"):
        maximal_covering(res, cand, 1, T, exist, distance=CostTable(table))
    with pytest.raises(LayerSchemaError, match="missing column 'cost_m'"):
        maximal_covering(res, cand, 1, T, exist, distance=CostTable(table.drop(columns="cost_m")))


def test_polygon_cells_and_polygon_existing():
    res, cand, exist = _case(2)
    cells = res.copy()
    cells.geometry = res.buffer(50, cap_style="square")  # 100 m cells, same centroids
    parks = exist.copy()
    parks.geometry = exist.buffer(100)  # polygons are measured to their edge
    edge = shapely.distance(
        np.asarray(res.geometry.values)[:, None], np.asarray(parks.geometry.values)
    )
    before = (edge <= T).any(axis=1)
    pop = res["population"].to_numpy()
    reach = _within(res, cand, T)
    best = max(pop[before | reach[:, list(c)].any(axis=1)].sum() for c in combinations(range(8), 2))
    out = maximal_covering(cells, cand, 2, T, parks)
    np.testing.assert_array_equal(out.residents["covered_before"], before)
    assert out.covered_after == pytest.approx(best)


# --------------------------------------------------------------------------
# Degenerate input
# --------------------------------------------------------------------------
def test_k_zero_needs_no_solver_or_candidates():
    res, cand, exist = _case(0)
    for candidates in (cand, cand.iloc[:0]):
        out = maximal_covering(res, candidates, 0, T, exist)
        assert len(out.chosen) == 0
        assert out.covered_after == out.covered_before
        assert out.objective == 0
        assert out.solve_seconds == 0
        assert out.status == "Optimal"


def test_no_existing_facilities():
    res, cand, _ = _case(0)
    out = maximal_covering(res, cand, 2, T)
    assert out.covered_before == 0
    assert out.covered_after > 0


def test_k_covering_all_reachable_returns_useful_sites_only():
    res, cand, exist = _case(0)
    _, best, _ = _brute(res, cand, exist, T)
    out = maximal_covering(res, cand, len(cand), T, exist)
    assert out.covered_after == pytest.approx(best[len(cand)])
    assert (out.chosen["new_covered_pop"] > 0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"k": 9}, "only 8 candidates"),
        ({"k": -1}, "whole number"),
        ({"k": 1.5}, "whole number"),
        ({"threshold_m": 0}, "> 0 metres"),
        ({"threshold_m": -5}, "thresholds must be"),
        ({"time_limit_s": 0}, "time_limit_s"),
    ],
)
def test_bad_arguments(kwargs, match):
    res, cand, exist = _case(0)
    args = {"k": 2, "threshold_m": T, "existing": exist} | kwargs
    with pytest.raises(AnalysisInputError, match=match):
        maximal_covering(res, cand, **args)


def test_no_candidates():
    res, cand, exist = _case(0)
    with pytest.raises(AnalysisInputError, match="no candidates"):
        maximal_covering(res, cand.iloc[:0], 1, T, exist)
    with pytest.raises(AnalysisInputError, match="no candidates"):
        set_covering(res, cand.iloc[:0], 0.5, T, exist)


def test_zero_population():
    res, cand, exist = _case(0)
    res["population"] = 0.0
    with pytest.raises(AnalysisInputError, match="sums to 0"):
        maximal_covering(res, cand, 1, T, exist)
    with pytest.raises(AnalysisInputError, match="no population column 'pop'"):
        maximal_covering(res, cand, 1, T, exist, population="pop")


@pytest.mark.parametrize("target", [0, -0.1, 1.01, float("nan")])
def test_bad_target_share(target):
    res, cand, exist = _case(0)
    with pytest.raises(AnalysisInputError, match="target_share"):
        set_covering(res, cand, target, T, exist)


def test_target_above_reachable_reports_the_reachable_share():
    res, cand, exist = _case(0)
    _, best, total = _brute(res, cand, exist, T)
    reachable = best[len(cand)] / total
    assert reachable < 0.99
    with pytest.raises(AnalysisInputError, match=f"{reachable:.4f}"):
        set_covering(res, cand, 0.99, T, exist)


def test_overlapping_ids_are_rejected():
    res, cand, exist = _case(0)
    clash = exist.set_axis(["c0", "e1"])
    with pytest.raises(AnalysisInputError, match=r"share index labels.*c0"):
        maximal_covering(res, cand, 1, T, clash)
    with pytest.raises(AnalysisInputError, match="unique"):
        maximal_covering(res, cand.set_axis(["c0"] * len(cand)), 1, T, exist)


def test_geographic_crs_is_rejected():
    res, cand, exist = (g.to_crs("EPSG:4326") for g in _case(0))
    with pytest.raises(CrsError, match="geographic"):
        maximal_covering(res, cand, 1, T, exist)
    with pytest.raises(CrsError):
        set_covering(res, cand.to_crs(CRS), 0.5, T, exist)


# --------------------------------------------------------------------------
# Candidate grid
# --------------------------------------------------------------------------
def test_candidate_grid_inside_area_outside_exclusions():
    x0, y0 = ORIGIN
    area = shapely.Polygon(
        [(x0, y0), (x0 + 2000, y0), (x0 + 2000, y0 + 800), (x0 + 800, y0 + 800),
         (x0 + 800, y0 + 2000), (x0, y0 + 2000)]
    )  # fmt: skip
    lake = gpd.GeoDataFrame(geometry=[shapely.Point(x0 + 400, y0 + 400).buffer(250)], crs=CRS)
    grid = candidate_grid(gpd.GeoDataFrame(geometry=[area], crs=CRS), 100, exclude=lake)
    pts = grid.geometry.values
    assert grid.crs == CRS
    assert shapely.contains(area, pts).all()
    assert not shapely.intersects(lake.geometry.iloc[0], pts).any()
    assert grid.index.tolist() == grid["candidate_id"].tolist()
    assert grid.index[0] == "cand-0" and grid.index.is_unique
    xy = shapely.get_coordinates(pts)
    dist, _ = cKDTree(xy).query(xy, k=2)
    np.testing.assert_allclose(dist[:, 1], 100.0)
    # Area 2.56 km2 less the lake, 1 point per hectare.
    expected = (area.area - lake.area.iloc[0]) / 100**2
    assert abs(len(grid) - expected) < 0.05 * expected
    # A bare geometry is taken to be in EPSG:4547 and gives the same grid.
    bare = candidate_grid(area, 100, exclude=lake)
    assert bare.geometry.geom_equals(grid.geometry).all()


def test_candidate_grid_bad_input():
    area = shapely.Point(*ORIGIN).buffer(500)
    with pytest.raises(AnalysisInputError, match="spacing_m"):
        candidate_grid(area, 0)
    with pytest.raises(AnalysisInputError, match="larger spacing"):
        candidate_grid(area, 0.1)
    with pytest.raises(CrsError, match="degrees"):
        candidate_grid(shapely.box(113.3, 23.1, 113.4, 23.2), 0.001)
    geo = gpd.GeoDataFrame(geometry=[area], crs=CRS).to_crs("EPSG:4326")
    with pytest.raises(CrsError, match="geographic"):
        candidate_grid(geo, 100)
    with pytest.raises(CrsError):
        candidate_grid(gpd.GeoDataFrame(geometry=[area], crs=CRS), 100, exclude=geo)
    with pytest.raises(AnalysisInputError, match="empty"):
        candidate_grid(shapely.Polygon(), 100)


def test_candidates_from_grid_feed_the_models():
    res, _, exist = _case(0)
    area = shapely.box(*(ORIGIN - 100), *(ORIGIN + 1600))
    grid = candidate_grid(area, 250)
    out = maximal_covering(res, grid, 3, T, exist)
    assert out.chosen["candidate_id"].isin(grid.index).all()
    assert out.stats["demand_groups"] <= out.stats["demand_rows"] <= len(res)
    assert out.stats["model_candidates"] <= len(grid)


def test_caller_solver_is_used():
    res, cand, exist = _case(2)
    _, best, _ = _brute(res, cand, exist, T)
    solver = pulp.COIN_CMD(path=pulp.PULP_CBC_CMD.pulp_cbc_path, msg=False)
    out = maximal_covering(res, cand, 2, T, exist, solver=solver)
    assert out.covered_after == pytest.approx(best[2])
    assert out.status == "Optimal"


# --------------------------------------------------------------------------
# Gap reading
# --------------------------------------------------------------------------
def test_cbc_gap_from_log():
    optimal = "Result - Optimal solution found\n\nObjective value:   120.00000000\n"
    assert _cbc_gap(optimal) == 0.0
    stopped = (
        "Result - Stopped on time limit\n\n"
        "Objective value:                100.00000000\n"
        "Lower bound:                    110.000\n"
        "Gap:                            0.10\n"
    )
    assert _cbc_gap(stopped) == pytest.approx(0.10)
    assert _cbc_gap("Gap:  0.25\n") == pytest.approx(0.25)
    # Maximising: CBC logs progress in its minimising sign; the tighter bound wins.
    maximising = (
        "Cbc0010I After 0 nodes, 1 on tree, -1000 best solution, best possible -1020 (2 s)\n"
        "Cbc0011I Exiting as integer gap (best possible -1010.5), took 3 s\n"
        "Result - Stopped on time limit\n\n"
        "Objective value:                1000.00000000\n"
        "Upper bound:                    1050.000\n"
        "Gap:                            -0.00\n"
    )
    assert _cbc_gap(maximising) == pytest.approx(0.0105)
    assert _cbc_gap("") is None
