"""Plan analysis on the shipped layers, checked against independent computations."""

import numpy as np
import pytest
import shapely

import tianhe_geo
from tianhe_geo import AnalysisInputError
from tianhe_geo.foundation.crs import ANALYSIS_CRS
from tianhe_geo.foundation.vocab import BUILT_STATUSES as BUILT
from tianhe_geo.plan.compliance import select_features
from tianhe_geo.plan.indicators import capacity_2sfca


@pytest.fixture(scope="module")
def layers():
    return tianhe_geo.load_layers()


def test_beds_2sfca_matches_a_dense_computation(layers):
    cell, per_sub = capacity_2sfca(layers, "beds", ["hospital"], 3000)
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    fac = layers["facilities"].to_crs(ANALYSIS_CRS)
    fac = fac[(fac["category"] == "hospital") & fac["beds"].notna() & fac["status"].isin(BUILT)]
    area = layers["boundary"].to_crs(ANALYSIS_CRS).union_all()
    fac = fac[shapely.distance(fac.geometry.values, area) <= 2000]
    # Dense distance matrix: every cell centroid to every hospital.
    d = shapely.distance(
        shapely.centroid(res.geometry.values)[:, None], np.asarray(fac.geometry.values)[None, :]
    )
    reach = d <= 3000
    pop = res["population"].to_numpy()
    demand = (reach * pop[:, None]).sum(axis=0)
    ratio = np.where(demand > 0, fac["beds"].to_numpy() / np.where(demand > 0, demand, 1), 0)
    expect = 1000 * (reach * ratio[None, :]).sum(axis=1)
    assert np.allclose(cell.to_numpy(), expect)
    w = res.groupby("subdistrict")["population"].sum()
    mean = (res["population"] * expect).groupby(res["subdistrict"]).sum() / w
    assert np.allclose(per_sub.reindex(mean.index).to_numpy(), mean.to_numpy())
    # Every bed is shared out among residents in reach: total supply is conserved.
    reached = fac["beds"].to_numpy()[demand > 0].sum()
    assert (cell * res["population"]).sum() / 1000 == pytest.approx(reached)


def test_unrecorded_capacity_is_unknown_not_zero(layers):
    facilities = layers["facilities"].assign(doctors=np.nan)
    cell, per_sub = capacity_2sfca(
        {**layers, "facilities": facilities}, "doctors", ["hospital"], 1000
    )
    assert cell.isna().all() and per_sub.isna().all()


def test_select_features_filters_and_explains(layers):
    got = select_features(layers, "facilities", {"category": ["hospital"]})
    assert len(got) > 0 and set(got["category"]) == {"hospital"}
    assert set(got["status"]) <= set(BUILT) and got.crs.to_epsg() == 4547
    with pytest.raises(AnalysisInputError, match="never holds"):
        select_features(layers, "facilities", {"category": ["hospitl"]})
    with pytest.raises(AnalysisInputError, match="no column"):
        select_features(layers, "facilities", {"colour": ["red"]})
    with pytest.raises(AnalysisInputError, match="not loaded"):
        select_features(layers, "shops")


def test_siting_candidates_respect_parks_and_masks(layers):
    from tianhe_geo.plan.siting_questions import siting_candidates

    cand = siting_candidates(layers, 400)
    parks = layers["parks"].to_crs(ANALYSIS_CRS).union_all()
    assert len(cand) > 100 and not shapely.intersects(cand.geometry.values, parks).any()
    area = layers["boundary"].to_crs(ANALYSIS_CRS).union_all()
    x0, y0, x1, y1 = area.bounds
    west = (
        __import__("geopandas")
        .GeoDataFrame(geometry=[shapely.box(x0, y0, (x0 + x1) / 2, y1)], crs=ANALYSIS_CRS)
        .to_crs("EPSG:4326")
    )
    masked = siting_candidates(layers, 400, exclude=west)
    assert 0 < len(masked) < len(cand)
    assert (masked.geometry.x > (x0 + x1) / 2).all()


def test_park_area_per_subdistrict_adds_up_to_the_indicator(layers):
    from tianhe_geo.plan.indicators import indicators, park_area_per_resident

    per = park_area_per_resident(layers)
    pop = layers["subdistricts"].set_index("code")["population"]
    total_m2 = (per * pop.reindex(per.index)).sum()
    district = indicators(layers).loc["park_m2_per_resident", "computed"] * pop.sum()
    # Subdistricts tile the district, so the park area inside them is the district's.
    assert total_m2 == pytest.approx(district, rel=1e-6)


def test_a_share_below_target_from_a_shipped_layer_is_not_called_failed(layers):
    from dataclasses import replace

    from tianhe_geo.foundation.config import DEFAULT_CONFIG
    from tianhe_geo.plan.compliance import standards_table

    config = replace(DEFAULT_CONFIG, standards=("gbt51346-park-500", "green-300"))
    table, _ = standards_table(layers, config)
    row = table.loc["gbt51346-park-500"]
    # The shipped parks are incomplete: 30 % of 90 % is a lower bound, not a failure.
    assert row["share"] < row["target"] and row["met"] is None
    assert table.loc["green-300", "met"] is None  # no target at all
    own = layers["parks"].assign(layer_complete=True)  # the user's own, complete list
    table, _ = standards_table({**layers, "parks": own}, config)
    assert table.loc["gbt51346-park-500", "met"] is False


def _brute_force_tiered(layers, config, key):
    from tianhe_geo.plan.compliance import residents_in, select_facilities

    std = config.standard(key)
    res = residents_in(layers, config)
    fac = select_facilities(layers, std, config)
    # All pairs: residents count from their cell centroid, parks from their edge.
    origins = shapely.centroid(np.asarray(res.geometry.values))
    d = shapely.distance(origins[:, None], np.asarray(fac.geometry.values)[None, :])
    radius = np.array([dict(std.radius_by)[t] for t in fac["tier"]])
    return (d <= radius[None, :]).any(axis=1), res["population"].to_numpy()


def test_park_service_areas_by_tier_match_all_pairs(layers):
    from dataclasses import replace

    from tianhe_geo.foundation.config import DEFAULT_CONFIG
    from tianhe_geo.plan.compliance import run_standard

    for config in (
        DEFAULT_CONFIG,
        replace(DEFAULT_CONFIG, radii={"park-tiered": {"city": 300, "ecological": 700}}),
    ):
        out = run_standard(layers, "park-tiered", config)
        want, pop = _brute_force_tiered(layers, config, "park-tiered")
        np.testing.assert_array_equal(out.covered().to_numpy(), want)
        assert out.share()["district"] == pytest.approx(pop[want].sum() / pop.sum())
        assert out.method.per_facility_radius and out.method.kind == "straight_line"
    # Smaller radii for big parks can only lower the share.
    base = run_standard(layers, "park-tiered").share()["district"]
    assert out.share()["district"] < base


def test_radius_overrides_are_checked_and_siting_needs_one_radius(layers):
    from tianhe_geo.foundation.config import AnalysisConfig
    from tianhe_geo.plan.siting_questions import site_for_standard

    assert AnalysisConfig(radii={"park-500": 400}).standard("park-500").radius_m == 400
    with pytest.raises(AnalysisInputError, match="not in"):
        AnalysisConfig(radii={"park-tiered": {"zoo": 300}})
    with pytest.raises(AnalysisInputError, match="positive metres"):
        AnalysisConfig(radii={"park-500": -1})
    with pytest.raises(AnalysisInputError, match="unknown standards"):
        AnalysisConfig(radii={"park-5000": 400})
    with pytest.raises(AnalysisInputError, match="siting needs one radius"):
        site_for_standard(layers, "park-tiered", k=1)


def test_capacity_scores_say_how_many_facilities_they_rest_on(layers):
    result = tianhe_geo.analyse(layers)
    fac = layers["facilities"].to_crs(ANALYSIS_CRS)
    area = layers["boundary"].to_crs(ANALYSIS_CRS).union_all()
    near = shapely.distance(fac.geometry.values, area) <= 2000
    hospitals = fac[near & (fac["category"] == "hospital") & fac["status"].isin(BUILT)]
    beds = result.beds
    assert beds.facilities == len(hospitals) > beds.recorded == hospitals["beds"].notna().sum() > 0
    assert beds.complete is False  # the shipped layer is a sample: scores are lower bounds
