"""Reach and coverage_many: residents prepared once, many layers, lazy results.

Every figure is checked against an independent computation: networkx shortest
paths on the same edges (network) or a full numpy distance matrix (straight line).
"""

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from tianhe_geo import AnalysisInputError, coverage_many
from tianhe_geo.analysis.coverage import CoverageResult, Reach, coverage
from tianhe_geo.analysis.distance import OnNetwork, StraightLine
from tianhe_geo.analysis.network import from_edges

CRS = "EPSG:4547"
TS = (150.0, 300.0, 600.0)


@pytest.fixture(scope="module")
def case():
    return _build_case()


def _build_case():
    """A 25 x 25 jittered grid (60 m) with some edges removed, residents and three layers."""
    rng = np.random.default_rng(7)
    side, step = 25, 60.0
    i, j = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")
    xy = np.column_stack([i.ravel(), j.ravel()]) * step + rng.normal(0, 8, (side * side, 2))
    xy += [500_000.0, 2_560_000.0]
    node = (i * side + j).ravel()
    right = node[(i < side - 1).ravel()]
    up = node[(j < side - 1).ravel()]
    u = np.concatenate([right, up])
    v = np.concatenate([right + side, up + 1])
    keep = rng.random(len(u)) > 0.15
    net = from_edges(np.arange(side * side), xy, u[keep], v[keep], CRS)
    lo, hi = xy.min(axis=0), xy.max(axis=0)

    def pts(n, prefix, **cols):
        p = rng.uniform(lo - 100, hi + 100, (n, 2))  # some beyond the snap limit
        return gpd.GeoDataFrame(
            cols,
            geometry=gpd.points_from_xy(*p.T),
            crs=CRS,
            index=[f"{prefix}{k}" for k in range(n)],
        )

    res = pts(400, "r", population=rng.integers(0, 50, 400), sub=rng.choice(["a", "b", "c"], 400))
    layers = {"few": pts(3, "f"), "some": pts(12, "s"), "many": pts(40, "m")}
    return net, res, layers


def _nx_nearest(net, res, fac, max_snap):
    """Walking metres to the nearest facility by networkx, snaps by brute force."""
    g = nx.Graph()
    coo = net.matrix.tocoo()
    for a, b in zip(coo.row, coo.col, strict=True):
        g.add_edge(int(a), int(b), weight=float(np.hypot(*(net.xy[a] - net.xy[b]))))
    main = np.flatnonzero(net.in_main)

    def snap(gdf):
        p = np.column_stack([gdf.geometry.x, gdf.geometry.y])
        d = np.hypot(*(p[:, None, :] - net.xy[main][None, :, :]).transpose(2, 0, 1))
        k = d.argmin(axis=1)
        return main[k], d[np.arange(len(p)), k]

    f_node, f_d = snap(fac)
    for k, (n, d) in enumerate(zip(f_node, f_d, strict=True)):
        if d <= max_snap:
            g.add_edge(("fac", k), int(n), weight=float(d))
    g.add_node("src")
    for k in range(len(fac)):
        if g.has_node(("fac", k)):
            g.add_edge("src", ("fac", k), weight=0.0)
    # "src" -> facility edges are one-way in effect: a path through "src" costs at least
    # two snaps, never shorter than going to one facility directly.
    length = nx.single_source_dijkstra_path_length(g, "src", weight="weight")
    r_node, r_d = snap(res)
    out = np.array([length.get(int(n), np.inf) + d for n, d in zip(r_node, r_d, strict=True)])
    return np.where(r_d <= max_snap, out, np.nan)  # nan: unsnapped, unknown


def _shares(res, metres, ts):
    pop = res["population"].to_numpy(float)
    known = ~np.isnan(metres)
    return {t: pop[known & (metres <= t)].sum() / pop[known].sum() for t in ts}


def test_coverage_many_on_a_network_matches_networkx(case):
    net, res, layers = case
    table = coverage_many(res, layers, TS, distance=OnNetwork(net, 50.0), group="sub")
    assert list(table.columns) == [
        "layer", "group", "threshold_m", "population", "unknown_pop",
        "covered_pop", "uncovered_pop", "share",
    ]  # fmt: skip
    assert len(table) == 3 * 4 * 3  # layers x (3 groups + district) x thresholds
    for name, fac in layers.items():
        metres = _nx_nearest(net, res, fac, 50.0)
        assert np.isnan(metres).any() and not np.isnan(metres).all()
        expected = _shares(res, metres, TS)
        got = table[(table.layer == name) & (table.group == "district")].set_index("threshold_m")
        for t in TS:
            assert got.loc[t, "share"] == pytest.approx(expected[t], abs=1e-12)
        unknown = res["population"].to_numpy(float)[np.isnan(metres)].sum()
        assert got["unknown_pop"].iloc[0] == pytest.approx(unknown)


def test_per_layer_radii_and_straight_line_match_brute_force(case):
    _, res, layers = case
    radii = {"few": 400.0, "some": [100.0, 250.0], "many": 120.0}
    table = coverage_many(res, layers, radii, distance=StraightLine(1.25))
    r_xy = np.column_stack([res.geometry.x, res.geometry.y])
    for name, fac in layers.items():
        f_xy = np.column_stack([fac.geometry.x, fac.geometry.y])
        metres = 1.25 * np.hypot(*(r_xy[:, None] - f_xy[None]).transpose(2, 0, 1)).min(axis=1)
        ts = np.atleast_1d(radii[name])
        expected = _shares(res, metres, ts)
        got = table[(table.layer == name) & (table.group == "district")]
        assert sorted(got.threshold_m) == sorted(ts)
        for t, share in zip(got.threshold_m, got.share, strict=True):
            assert share == pytest.approx(expected[t], abs=1e-12)


def test_a_layer_without_radii_is_named(case):
    _, res, layers = case
    with pytest.raises(AnalysisInputError, match="'many'"):
        coverage_many(res, layers, {"few": 300, "some": 300})


def test_reach_gives_what_coverage_gives_and_snaps_once(case):
    net, res, layers = case
    distance = OnNetwork(net, 50.0)
    reach = Reach.prepare(res, distance, group="sub")
    for fac in layers.values():
        a = reach.coverage(fac, TS)
        b = coverage(res, fac, TS, distance=distance, group="sub", counts=False)
        pd.testing.assert_frame_equal(a.residents, b.residents)
        pd.testing.assert_frame_equal(a.summary, b.summary)
        assert a.uncovered.geometry.geom_equals(b.uncovered.geometry).all()
        metres = _nx_nearest(net, res, fac, 50.0)
        known = ~np.isnan(metres)
        cut = np.where(metres[known] <= TS[-1], metres[known], np.inf)  # searched to 600 m
        np.testing.assert_allclose(a.residents["nearest_m"][known], cut, rtol=1e-12)


def test_results_are_computed_when_first_read(case, monkeypatch):
    net, res, layers = case
    import tianhe_geo.analysis.coverage as cov

    calls = []
    real = cov._uncovered_areas
    monkeypatch.setattr(cov, "_uncovered_areas", lambda *a: calls.append(1) or real(*a))
    out = Reach.prepare(res, OnNetwork(net, 50.0)).coverage(layers["some"], TS)
    assert isinstance(out, CoverageResult)
    out.share(300.0)
    assert calls == []  # shares never dissolve the uncovered residents
    first = out.uncovered
    assert out.uncovered is first and calls == [1]  # computed once, then kept
    assert out.residents is out.residents


def test_counts_on_demand_match_networkx(case):
    net, res, layers = case
    fac = layers["many"]
    out = Reach.prepare(res, OnNetwork(net, 50.0)).coverage(fac, TS)
    assert "n_within_300" not in out.residents.columns
    per_fac = np.column_stack([_nx_nearest(net, res, fac.iloc[[k]], 50.0) for k in range(len(fac))])
    for t in TS:
        expected = np.nan_to_num(per_fac, nan=np.inf) <= t
        np.testing.assert_array_equal(out.n_within(t).to_numpy(), expected.sum(axis=1))
    eager = Reach.prepare(res, OnNetwork(net, 50.0)).coverage(fac, TS, counts=True)
    pd.testing.assert_series_equal(eager.n_within(300.0), out.n_within(300.0))


def _as_coordinates(gdf):
    return np.column_stack([gdf.geometry.x, gdf.geometry.y])


def test_coordinates_on_a_network_match_networkx(case):
    """Residents and facilities as arrays: the same shares as networkx, no frame needed."""
    net, res, layers = case
    xy = _as_coordinates(res)
    pop = res["population"].to_numpy()
    arrays = {k: _as_coordinates(f) for k, f in layers.items()}
    table = coverage_many(xy, arrays, TS, distance=OnNetwork(net, 50.0), population=pop, crs=CRS)
    for name, fac in layers.items():
        expected = _shares(res, _nx_nearest(net, res, fac, 50.0), TS)
        got = table[(table.layer == name) & (table.group == "district")].set_index("threshold_m")
        for t in TS:
            assert got.loc[t, "share"] == pytest.approx(expected[t], abs=1e-12)


def test_a_frame_of_x_y_keeps_its_index_groups_and_areas(case):
    net, res, layers = case
    frame = pd.DataFrame(
        {"x": res.geometry.x, "y": res.geometry.y, "people": res["population"], "g": res["sub"]}
    )
    reach = Reach.prepare(frame, OnNetwork(net, 50.0), population="people", group="g", crs=CRS)
    assert reach.origins.given is None  # no shapely point made for the shares
    fac = layers["some"]
    f_frame = pd.DataFrame({"x": fac.geometry.x, "y": fac.geometry.y}, index=fac.index)
    a = reach.coverage(f_frame, TS)
    b = coverage(res, fac, TS, distance=OnNetwork(net, 50.0), group="sub")
    pd.testing.assert_frame_equal(
        a.summary.rename_axis(None), b.summary.rename_axis(None), check_names=False
    )
    assert list(a.residents.index) == list(res.index)
    assert a.residents["nearest_id"].equals(b.residents["nearest_id"])
    assert a.uncovered.crs == res.crs
    for got, want in zip(a.uncovered.geometry, b.uncovered.geometry, strict=True):
        assert got.equals(want)


def test_straight_line_coordinates_match_brute_force(case):
    _, res, layers = case
    xy, pop = _as_coordinates(res), res["population"].to_numpy()
    fac = _as_coordinates(layers["many"])
    out = Reach.prepare(xy, population=pop, crs=CRS).coverage(fac, TS)
    metres = np.hypot(*(xy[:, None] - fac[None]).transpose(2, 0, 1)).min(axis=1)
    expected = _shares(res, metres, TS)
    for t in TS:
        assert out.share(t)["district"] == pytest.approx(expected[t], abs=1e-12)


@pytest.mark.parametrize("distance", ["straight", "network"])
def test_facility_coordinates_make_no_points(case, distance, monkeypatch):
    """Facilities as coordinates reach the kernels as coordinates, with the frames' answers."""
    import shapely

    net, res, layers = case
    how = StraightLine() if distance == "straight" else OnNetwork(net, 50.0)
    fac = layers["some"]
    want = Reach.prepare(res, how).coverage(fac, TS)
    frame = pd.DataFrame({"x": fac.geometry.x, "y": fac.geometry.y}, index=fac.index)
    reach = Reach.prepare(_as_coordinates(res), how, population=res["population"], crs=CRS)

    def no_points(*args, **kwargs):
        raise AssertionError("a shapely point was made")

    monkeypatch.setattr(shapely, "points", no_points)
    monkeypatch.setattr(gpd, "points_from_xy", no_points)
    got = reach.coverage(frame, TS)
    for t in TS:  # shares, nearest ids, metres and counts all from coordinates
        assert got.share(t)["district"] == pytest.approx(want.share(t)["district"], abs=1e-12)
        assert np.array_equal(got.n_within(t), want.n_within(t))
    assert list(got.residents["nearest_id"]) == list(want.residents["nearest_id"])
    assert np.allclose(got.residents["nearest_m"], want.residents["nearest_m"], equal_nan=True)


def test_facility_coordinates_snap_as_their_points(case):
    from tianhe_geo.analysis._inputs import read_coordinates
    from tianhe_geo.analysis.network import facility_sources

    net, _, layers = case
    fac = layers["many"]
    a = facility_sources(read_coordinates("facilities", _as_coordinates(fac), CRS), net, 50.0)
    b = facility_sources(fac, net, 50.0)
    for field in ("facility", "node", "distance_m", "snapped", "n_points"):
        assert np.array_equal(getattr(a, field), getattr(b, field)), field
    assert a.inside is None and b.inside is None


@pytest.mark.parametrize(
    ("facilities", "match"),
    [
        ([[0.0, 0.0]], "facilities must be a GeoDataFrame.*got list"),
        (np.array([[0.0, 0.0], [np.inf, 1.0]]), "facilities: rows \\[1\\] have NaN"),
        (np.zeros((2, 3)), "facilities: coordinates must be an \\(n, 2\\)"),
    ],
)
def test_bad_facility_coordinates_are_named(facilities, match):
    from tianhe_geo import TianheGeoError

    reach = Reach.prepare(np.zeros((4, 2)), population=np.ones(4), crs=CRS)
    with pytest.raises(TianheGeoError, match=match):
        reach.coverage(facilities, TS)


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ({"crs": None}, "need crs="),
        ({"crs": "EPSG:4326"}, "geographic"),
        ({"population": [1.0, 2.0]}, "each of the 4 rows"),
        ({"population": [1.0, -2.0, 0.0, 1.0]}, "rows \\[1\\]"),
        ({"residents": np.zeros((4, 3))}, "shape \\(4, 3\\)"),
        ({"residents": np.array([[0.0, 0], [np.nan, 1], [2, 2], [3, 3]])}, "rows \\[1\\]"),
        ({"residents": pd.DataFrame({"x": [1.0], "lat": [2.0]})}, "columns x and y"),
    ],
)
def test_bad_coordinates_are_named(args, match):
    from tianhe_geo import TianheGeoError

    given = {"residents": np.zeros((4, 2)), "population": np.ones(4), "crs": CRS} | args
    with pytest.raises(TianheGeoError, match=match):
        Reach.prepare(given.pop("residents"), **given)
