import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import tianhe_geo
from tianhe_geo.foundation.crs import ANALYSIS_CRS
from tianhe_geo.foundation.standards import STANDARDS
from tianhe_geo.plan.compliance import run_standard


def test_main_job_outputs(built_maps):
    for name in (
        "report.md",
        "report.html",
        "charts/indicators_en.png",
        "charts/indicators_zh.png",
        "report_zh.html",
        "report_zh.pdf",
        "report.pdf",
        "scenario_plan2025_standards.csv",
        "scenario_plan2025_diff.gpkg",
        "siting_pocket_parks_300m.gpkg",
        "siting_health_centres_1000m_zh.html",
        "coverage_by_subdistrict.csv",
        "standards.csv",
        "indicators.csv",
        "uncovered.gpkg",
    ):
        assert (built_maps / name).stat().st_size > 0
    std = pd.read_csv(built_maps / "standards.csv", index_col=0)
    assert set(std.index) == set(STANDARDS)
    assert std["share"].between(0, 1).all()
    ind = pd.read_csv(built_maps / "indicators.csv", index_col=0)
    assert len(ind) == 5 and (ind["target"] > 0).all()
    by_sub = pd.read_csv(built_maps / "coverage_by_subdistrict.csv", dtype={"subdistrict": str})
    one = by_sub[by_sub["standard"] == "park-500"]
    parts = one[one["subdistrict"] != "district"]["population"].sum()
    assert parts == pytest.approx(
        one[one["subdistrict"] == "district"]["population"].iloc[0], abs=25
    )
    unc = gpd.read_file(built_maps / "uncovered.gpkg")
    assert len(unc) == len(STANDARDS)
    text = (built_maps / "report.md").read_text()
    assert "straight line" in text and "approximate" in text
    for chart in re.findall(r"\]\((charts/[^)]+\.png)\)", text):
        assert (built_maps / chart).read_bytes()[:4] == b"\x89PNG"
    page = (built_maps / "report.html").read_text()
    # Self-contained: no file or network reference outside the page itself.
    assert 'src="http' not in page and 'href="http' not in page and "charts/" not in page


def test_shipped_park_coverage_equals_brute_force():
    layers = tianhe_geo.load_layers()
    out = run_standard(layers, "park-500")
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    parks = layers["parks"].to_crs(ANALYSIS_CRS)
    parks = parks[parks["tier"].isin(STANDARDS["park-500"].values)]
    cent = shapely.centroid(res.geometry.values)
    d = shapely.distance(cent[:, None], np.asarray(parks.geometry.values)[None, :]).min(axis=1)
    pop = res["population"].to_numpy()
    expect = pop[d <= 500].sum() / pop.sum()
    assert out.summary.loc["district", "share_500"] == pytest.approx(expect, rel=1e-9)
    assert np.allclose(out.residents["nearest_m"].to_numpy(), d)


def test_siting_answers_in_the_main_job(built_maps):
    sites = gpd.read_file(built_maps / "siting_pocket_parks_300m.gpkg")
    assert len(sites) == 10 and sites.crs.to_epsg() == 4326
    assert (sites["new_covered_pop"] > 0).all()
    health = pd.read_csv(built_maps / "siting_health_centres_1000m.csv")
    assert len(health) > 0
    text = (built_maps / "report.md").read_text()
    assert "Where should 10 pocket parks go" in text and "optimal" in text


def test_indicator_chart_colours_follow_the_verdict_not_the_bar_length():
    from tianhe_geo.plan.indicators import indicators
    from tianhe_geo.present import charts

    table = indicators(tianhe_geo.load_layers())
    # School places exceed the target on paper but cover another window: grey, not green.
    row = table.loc["new_public_school_places"]
    assert row["value"] > row["target"] and row["met"] is None
    colours = dict(zip(table.index, charts.met_colours(table["met"]), strict=True))
    assert colours["new_public_school_places"] == charts.UNKNOWN
    assert colours["park_m2_per_resident"] == charts.SHORT  # 12.03 of 18.5, published
    assert charts.met_colours(pd.Series([True, False, None, pd.NA])) == [
        charts.COVERED,
        charts.SHORT,
        charts.UNKNOWN,
        charts.UNKNOWN,
    ]
    png = charts.indicators_vs_target(table)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_method_notes_follow_the_distance_method_whatever_the_first_standard():
    # 0.1 matched the first result's method text: with a street network and a per-tier
    # standard first ("street network, service radius per facility") it wrote "straight line".
    from dataclasses import replace
    from pathlib import Path

    from tianhe_geo.analysis.network import read_walk_network
    from tianhe_geo.foundation.config import DEFAULT_CONFIG
    from tianhe_geo.plan.run import analyse
    from tianhe_geo.present.report import method_notes

    layers = tianhe_geo.load_layers()
    net = read_walk_network(Path(__file__).parents[1] / "fixtures" / "grid.osm", ANALYSIS_CRS)
    config = replace(DEFAULT_CONFIG, standards=("park-tiered", "park-500"))
    result = analyse(layers, config, network=net)
    assert result.results["park-tiered"].method.per_facility_radius
    assert {r.method.kind for r in result.results.values()} == {"network"}
    notes = method_notes(result, "en")
    assert notes[0].startswith("Distance: walking distance along the street network")
    assert "straight line" not in notes[0]
    # Every measure says it uses the same distance, and how parks were reached (#12).
    assert "2SFCA catchments and the siting covering distance" in notes[1]
    assert "access points every 25 m" in notes[1]
    assert "nearest edge" in method_notes(analyse(layers, config), "en")[1]
    assert method_notes(analyse(layers, config), "en")[0].startswith("Distance: straight line")


def test_capacity_notes_say_what_the_scores_rest_on():
    from dataclasses import replace

    from tianhe_geo.plan.indicators import Capacity
    from tianhe_geo.present.tables import capacity_basis

    score = pd.Series([1.0])
    sample = Capacity(score, score, 3000.0, 12, 31, complete=False, capacity="beds")
    en = capacity_basis(sample, "en")
    assert en == (
        "rests on the 12 of 31 facilities whose beds are recorded; "
        "a lower bound, since the shipped layer is incomplete"
    )
    zh = capacity_basis(replace(sample, capacity="doctors"), "zh")
    assert "31" in zh and "12" in zh and "医生数" in zh and "下限" in zh
    whole = replace(sample, recorded=31, complete=True)
    assert "lower bound" not in capacity_basis(whole, "en")


def test_report_notes_carry_the_capacity_basis(built_maps):
    text = (built_maps / "report.md").read_text(encoding="utf-8")
    assert re.search(r"Beds: rests on the \d+ of \d+ facilities whose beds are recorded", text)
    zh = (built_maps / "report_zh.md").read_text(encoding="utf-8")
    assert "床位：依据图层" in zh
