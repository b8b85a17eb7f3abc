import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tianhe_geo import AnalysisInputError, CrsError, LayerSchemaError
from tianhe_geo.analysis.coverage import coverage
from tianhe_geo.analysis.distance import CostTable, DistanceMethod, StraightLine
from tianhe_geo.analysis.euclidean import euclidean_table, nearest_facility

CRS = "EPSG:4547"


def _pts(xy, prefix, **cols):
    xy = np.asarray(xy, dtype=float).reshape(-1, 2)
    idx = [f"{prefix}{i}" for i in range(len(xy))]
    return gpd.GeoDataFrame(cols, geometry=shapely.points(xy), crs=CRS, index=idx)


def _random_case(seed, n_res=200, n_fac=15, span=3000.0):
    rng = np.random.default_rng(seed)
    res = _pts(
        rng.uniform(0, span, (n_res, 2)) + 500_000,
        "r",
        population=rng.integers(0, 50, n_res),
        zone=rng.choice(["a", "b", "c"], n_res),
    )
    fac = _pts(rng.uniform(0, span, (n_fac, 2)) + 500_000, "f")
    return res, fac


def _brute(res, fac, t):
    r = shapely.get_coordinates(res.geometry.values)
    f = shapely.get_coordinates(fac.geometry.values)
    d = np.hypot(r[:, None, 0] - f[None, :, 0], r[:, None, 1] - f[None, :, 1])
    return d, (d <= t).sum(axis=1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_points_match_brute_force(seed):
    res, fac = _random_case(seed)
    out = coverage(res, fac, [300, 800], group="zone")
    d, n800 = _brute(res, fac, 800)
    _, n300 = _brute(res, fac, 300)
    assert np.allclose(out.residents["nearest_m"], d.min(axis=1))
    assert (out.residents["nearest_id"] == fac.index[d.argmin(axis=1)]).all()
    assert (out.residents["n_within_800"] == n800).all()
    assert (out.residents["n_within_300"] == n300).all()
    pop = res["population"].to_numpy()
    for zone in "abc":
        m = (res["zone"] == zone).to_numpy()
        expect = pop[m & (n800 > 0)].sum() / pop[m].sum()
        assert out.summary.loc[zone, "share_800"] == pytest.approx(expect)
    assert out.summary.loc["district", "covered_pop_300"] == pop[n300 > 0].sum()
    assert out.summary.loc["district", "population"] == pop.sum()


@pytest.mark.parametrize("detour", [1.0, 1.3])
def test_flags_stop_at_the_largest_radius_and_the_frame_stays_exact(detour):
    # A sparse layer, most residents beyond every radius: the shares come from a
    # search bounded by the largest radius; the frame's nearest facility stays exact.
    res, fac = _random_case(7, n_res=3000, n_fac=4, span=8000.0)
    d, _ = _brute(res, fac, 0)
    # One resident at exactly the largest radius (after the detour) from facility 0.
    f0 = shapely.get_coordinates(fac.geometry.values)[0]
    res.loc["r0", "geometry"] = shapely.Point(f0[0] + 400 / detour, f0[1])
    d, _ = _brute(res, fac, 0)
    out = coverage(res, fac, [200, 400], distance=StraightLine(detour), counts=False)
    pop = res["population"].to_numpy()
    for t in (200, 400):
        assert out.summary.loc["district", f"covered_pop_{t}"] == pop[d.min(1) * detour <= t].sum()
    flags = out.residents["covered_400"].to_numpy()
    assert (flags == (d.min(axis=1) * detour <= 400)).all()  # r0 included, however it rounds
    assert (d.min(axis=1) * detour > 400).mean() > 0.5  # mostly beyond: the bound matters
    assert np.allclose(out.residents["nearest_m"], d.min(axis=1) * detour)
    assert (out.residents["nearest_id"] == fac.index[d.argmin(axis=1)]).all()


def test_polygon_flags_stop_at_the_largest_radius_and_the_frame_stays_exact():
    rng = np.random.default_rng(3)
    parks = gpd.GeoDataFrame(
        geometry=[shapely.box(x, y, x + 80, y + 50) for x, y in rng.uniform(0, 4000, (3, 2))],
        crs=CRS,
    )
    res = _pts(rng.uniform(0, 4000, (500, 2)), "r", population=rng.integers(1, 9, 500))
    edge = np.array([[shapely.distance(p, q) for q in parks.geometry] for p in res.geometry])
    out = coverage(res, parks, [150], counts=False)
    pop = res["population"].to_numpy()
    assert out.summary.loc["district", "covered_pop_150"] == pop[edge.min(1) <= 150].sum()
    assert np.allclose(out.residents["nearest_m"], edge.min(axis=1))
    assert (out.residents["nearest_id"].to_numpy() == edge.argmin(axis=1)).all()


def test_table_is_cut_and_sorted():
    res, fac = _random_case(5)
    table = euclidean_table(res, fac, 500)
    d, _ = _brute(res, fac, 500)
    assert len(table) == int((d <= 500).sum())
    assert table["cost_m"].max() <= 500
    assert list(table.columns) == ["origin_id", "destination_id", "cost_m"]


def test_polygon_facilities_measure_to_edge():
    park = gpd.GeoDataFrame(geometry=[shapely.box(0, 0, 100, 100)], crs=CRS, index=["p"])
    res = _pts([[150, 50], [50, 50], [400, 400]], "r", population=[1, 2, 3])
    out = coverage(res, park, [60])
    assert out.residents["nearest_m"].tolist() == pytest.approx([50, 0, np.hypot(300, 300)])
    assert out.residents["covered_60"].tolist() == [True, True, False]
    assert out.summary.loc["district", "share_60"] == pytest.approx(3 / 6)


def test_hand_computed_grid_and_uncovered_layer():
    # 4x4 cells of 100 m, one facility at the centre (200, 200).
    cells = [
        shapely.box(x, y, x + 100, y + 100) for x in range(0, 400, 100) for y in range(0, 400, 100)
    ]
    res = gpd.GeoDataFrame({"population": [10.0] * 16}, geometry=cells, crs=CRS)
    fac = _pts([[200, 200]], "f")
    out = coverage(res, fac, [100])
    # Centroids at 50,150,250,350: within 100 m only the four at (150|250, 150|250) (~70.7 m).
    assert int(out.residents["covered_100"].sum()) == 4
    unc = out.uncovered.set_index("threshold_m").loc[100.0]
    assert unc["n_cells"] == 12
    assert unc.geometry.area == pytest.approx(12 * 100 * 100)


def test_detour_factor_scales_distances():
    res, fac = _random_case(3)
    a = nearest_facility(res, fac)
    b = nearest_facility(res, fac, detour_factor=1.3)
    assert np.allclose(b["nearest_m"], 1.3 * a["nearest_m"])
    out = coverage(res, fac, 500, distance=StraightLine(1.3))
    assert out.method == DistanceMethod("straight_line", detour_factor=1.3)
    assert np.allclose(out.residents["nearest_m"], b["nearest_m"])


def test_the_keywords_of_0_1_still_work_with_a_warning():
    res, fac = _random_case(3)
    with pytest.warns(DeprecationWarning, match="distance=StraightLine"):
        old = coverage(res, fac, 500, detour_factor=1.3)
    new = coverage(res, fac, 500, distance=StraightLine(1.3))
    assert old.summary.equals(new.summary) and old.method == new.method
    with pytest.raises(AnalysisInputError, match="not both"):
        coverage(res, fac, 500, distance=StraightLine(), detour_factor=1.3)
    with pytest.raises(TypeError, match="unexpected keyword"):
        coverage(res, fac, 500, detour=1.3)
    table = euclidean_table(res, fac, 800)
    with (
        pytest.raises(AnalysisInputError, match="straight lines only"),
        pytest.warns(DeprecationWarning),
    ):
        coverage(res, fac, 500, table=table, detour_factor=1.3)


def test_a_given_table_is_labelled_as_given_and_takes_no_detour_factor():
    # 0.1 called any table "street network" and ignored detour_factor beside it.
    res, fac = _random_case(4)
    table = CostTable(euclidean_table(res, fac, 800))
    out = coverage(res, fac, [800], distance=table)
    assert out.method.kind == "table" and out.method.detour_factor == 1.0
    with pytest.raises(AnalysisInputError, match="detour factor applies to straight lines"):
        DistanceMethod("table", detour_factor=1.3)
    with pytest.raises(LayerSchemaError, match="cost_m"):
        CostTable(table.pairs.drop(columns="cost_m"))


def test_empty_facilities_well_defined():
    res, fac = _random_case(4)
    out = coverage(res, fac.iloc[:0], [500])
    assert np.isinf(out.residents["nearest_m"]).all()
    assert not out.residents["covered_500"].any()
    assert out.summary.loc["district", "share_500"] == 0


def test_bad_input_messages():
    res, fac = _random_case(6)
    with pytest.raises(CrsError, match="geographic"):
        coverage(res.to_crs(4326), fac.to_crs(4326), 500)
    with pytest.raises(CrsError, match="facilities is in"):
        coverage(res, fac.to_crs(32649), 500)
    for bad in (-1, np.nan, [], [100, np.inf]):
        with pytest.raises(AnalysisInputError, match="threshold"):
            coverage(res, fac, bad)
    res2 = res.copy()
    res2.loc["r0", "population"] = np.nan
    with pytest.raises(AnalysisInputError, match=r"'population'.*r0"):
        coverage(res2, fac, 500)
    zero = res.assign(population=0)
    assert np.isnan(coverage(zero, fac, 500).summary.loc["district", "share_500"])
    # Coordinates that are not numbers are named, for residents and facilities alike.
    nan_point = shapely.Point(np.nan, np.nan)
    for name, frame in (("residents", res), ("facilities", fac)):
        broken = frame.copy()
        broken.loc[broken.index[1], "geometry"] = nan_point
        args = (broken, fac) if name == "residents" else (res, broken)
        with pytest.raises(AnalysisInputError, match=rf"{name}: rows \['.1'\] have NaN"):
            coverage(*args, 500)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), t1=st.floats(0, 2000), t2=st.floats(0, 2000))
def test_coverage_never_falls_when_threshold_rises(seed, t1, t2):
    res, fac = _random_case(seed, n_res=60, n_fac=5)
    lo, hi = sorted([t1, t2])
    out = coverage(res, fac, [lo, hi])
    s = out.summary.loc["district"]
    assert s[f"covered_pop_{hi:g}"] >= s[f"covered_pop_{lo:g}"]
    assert s["population"] == res["population"].sum()  # population conserved


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_row_order_does_not_matter(seed):
    res, fac = _random_case(seed, n_res=80, n_fac=6)
    rng = np.random.default_rng(seed)
    a = coverage(res, fac, [400])
    b = coverage(res.iloc[rng.permutation(len(res))], fac.iloc[rng.permutation(len(fac))], [400])
    pd.testing.assert_frame_equal(a.residents, b.residents.loc[a.residents.index])
    assert a.summary.loc["district", "share_400"] == pytest.approx(
        b.summary.loc["district", "share_400"]
    )


def test_flags_only_equals_counted_flags():
    res, fac = _random_case(9)
    a = coverage(res, fac, [250, 700])
    b = coverage(res, fac, [250, 700], counts=False)
    for t in (250, 700):
        assert (a.residents[f"covered_{t}"] == b.residents[f"covered_{t}"]).all()
    pd.testing.assert_frame_equal(a.summary, b.summary)
    assert "n_within_250" not in b.residents


def test_one_point_multipoints_count_as_points():
    crs = "EPSG:4547"
    geoms = [shapely.MultiPoint([(0, 0)]), shapely.Point(1000, 0), shapely.Point(30, 0)]
    res = gpd.GeoDataFrame({"population": [1, 2, 3]}, geometry=geoms, crs=crs)
    fac = gpd.GeoDataFrame(geometry=[shapely.Point(0, 10)], crs=crs)
    out = coverage(res, fac, [100])
    assert out.covered().tolist() == [True, False, True]
    assert out.residents["nearest_m"].iloc[0] == pytest.approx(10)
    assert shapely.get_num_geometries(out.uncovered.geometry.iloc[0]) == 1


def test_any_row_order_of_a_cost_table_gives_the_same_answer():
    res, fac = _random_case(8)
    table = euclidean_table(res, fac, 900)
    table = pd.concat([table, table.iloc[::7].assign(destination_id="tie")])  # equal costs
    from tianhe_geo.analysis.coverage import coverage_from_table

    expect = coverage_from_table(res, table.sort_values(["origin_id", "cost_m"]), [300, 900])
    shuffled = table.sample(frac=1.0, random_state=3)
    got = coverage_from_table(res, shuffled, [300, 900])
    pd.testing.assert_frame_equal(got.drop(columns="nearest_id"), expect.drop(columns="nearest_id"))
    # The nearest named is one at the nearest distance (ties may name either).
    d = table.set_index(["origin_id", "destination_id"])["cost_m"]
    named = got.dropna(subset=["nearest_id"])
    assert all(
        d.loc[(o, f)].min() == pytest.approx(m)
        for o, f, m in zip(named.index, named["nearest_id"], named["nearest_m"], strict=True)
    )
