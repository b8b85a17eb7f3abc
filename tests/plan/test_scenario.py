"""Scenarios: applying changes, before / after checked against brute force."""

import json

import geopandas as gpd
import numpy as np
import pytest
import shapely

import tianhe_geo
from tianhe_geo import AnalysisInputError, DataSourceError, LayerSchemaError
from tianhe_geo.data.io import write_vector
from tianhe_geo.data.paths import data_dir
from tianhe_geo.data.scenario_spec import Change, Scenario, read_scenario
from tianhe_geo.foundation.crs import ANALYSIS_CRS
from tianhe_geo.foundation.standards import STANDARDS
from tianhe_geo.plan.scenario import apply_scenario, compare


@pytest.fixture(scope="module")
def layers():
    return tianhe_geo.load_layers()


def _new_park(x: float, y: float, pid: str = "park-new-1") -> gpd.GeoDataFrame:
    """A 1 ha square pocket park centred at (x, y) in EPSG:4547, returned in WGS-84."""
    sq = shapely.box(x - 50, y - 50, x + 50, y + 50)
    return gpd.GeoDataFrame(
        {
            "id": [pid],
            "name_zh": ["新口袋公园"],
            "name_en": ["New pocket park"],
            "tier": ["pocket"],
            "area_ha": [1.0],
            "approximate": [True],
            "source": ["test scenario"],
            "accuracy_m": [10.0],
        },
        geometry=[sq],
        crs=ANALYSIS_CRS,
    ).to_crs("EPSG:4326")


def _brute_covered(res: gpd.GeoDataFrame, parks: gpd.GeoDataFrame, radius: float) -> np.ndarray:
    cent = shapely.centroid(res.geometry.values)
    d = shapely.distance(cent[:, None], np.asarray(parks.geometry.values)[None, :]).min(axis=1)
    return d <= radius


def test_added_park_gains_exactly_the_brute_force_population(layers):
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    # Put the park where people live: the most populous cell.
    c = res.geometry.centroid[res["population"].idxmax()]
    sc = Scenario("one park", (Change("parks", "add", features=_new_park(c.x, c.y)),))
    after = apply_scenario(layers, sc)
    assert len(after["parks"]) == len(layers["parks"]) + 1
    assert after["facilities"] is layers["facilities"]  # untouched layers are shared
    out = compare(layers, after, standards=["green-300"])

    parks_b = layers["parks"].to_crs(ANALYSIS_CRS)
    parks_a = after["parks"].to_crs(ANALYSIS_CRS)
    b, a = _brute_covered(res, parks_b, 300), _brute_covered(res, parks_a, 300)
    pop = res["population"].to_numpy()
    row = out.standards.loc["green-300"]
    assert row["gained_pop"] == pytest.approx(pop[a & ~b].sum(), rel=1e-9)
    assert row["gained_pop"] > 0 and row["lost_pop"] == 0
    assert row["share_after"] == pytest.approx(pop[a].sum() / pop.sum(), rel=1e-9)
    per = out.by_subdistrict.set_index("subdistrict")
    assert per["gained_pop"].sum() == pytest.approx(row["gained_pop"])
    gained = out.diff[(out.diff["standard"] == "green-300") & (out.diff["change"] == "gained")]
    assert gained["population"].iloc[0] == pytest.approx(row["gained_pop"])
    assert list(out.changes["change"]) == ["added"]


def test_removed_park_loses_population(layers):
    biggest = layers["parks"].to_crs(ANALYSIS_CRS).area.idxmax()
    sc = Scenario("close", (Change("parks", "remove", ids=(biggest,)),))
    after = apply_scenario(layers, sc)
    out = compare(layers, after, standards=["park-500"])
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    keep = layers["parks"][layers["parks"]["tier"].isin(STANDARDS["park-500"].values)]
    b = _brute_covered(res, keep.to_crs(ANALYSIS_CRS), 500)
    a = _brute_covered(res, keep.drop(index=biggest).to_crs(ANALYSIS_CRS), 500)
    pop = res["population"].to_numpy()
    assert out.standards.loc["park-500", "lost_pop"] == pytest.approx(pop[b & ~a].sum())
    assert out.standards.loc["park-500", "gained_pop"] == 0


def test_shipped_plan_scenario_only_opens_planned_features(layers):
    sc = read_scenario(data_dir() / "scenarios" / "plan2025.yaml")
    after = apply_scenario(layers, sc)
    for name in ("transit", "facilities", "projects"):
        assert not after[name]["status"].isin(["planned", "under_construction"]).any()
    out = compare(layers, after, standards=["life15-health", "sdg-11.2.1-rail"])
    # Only additions: nobody can lose coverage when planned features open.
    assert (out.standards["lost_pop"] == 0).all()
    assert set(out.changes["change"]) == {"changed"}
    was = sum(
        int(layers[n]["status"].isin(["planned", "under_construction"]).sum())
        for n in ("transit", "facilities", "projects")
    )
    assert len(out.changes) == was


def test_geojson_scenario_add_remove_set(layers, tmp_path):
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    c = res.geometry.centroid.iloc[100]
    add = _new_park(c.x, c.y).assign(layer="parks", action="add")
    clinic = layers["facilities"][layers["facilities"]["category"] == "community_health"]
    remove = gpd.GeoDataFrame(
        {"id": [clinic.index[0]], "layer": ["facilities"], "action": ["remove"]},
        geometry=[None],
        crs="EPSG:4326",
    )
    planned = layers["facilities"][layers["facilities"]["status"] == "planned"]
    build = gpd.GeoDataFrame(
        {"id": [planned.index[0]], "layer": ["facilities"], "action": ["set"]},
        geometry=[None],
        crs="EPSG:4326",
    ).assign(status="existing")
    frame = gpd.GeoDataFrame(
        __import__("pandas").concat([add, remove, build], ignore_index=True), crs="EPSG:4326"
    )
    path = write_vector(frame, tmp_path / "edits.geojson")
    after = apply_scenario(layers, read_scenario(path))
    assert "park-new-1" in after["parks"].index
    assert clinic.index[0] not in after["facilities"].index
    assert after["facilities"].loc[planned.index[0], "status"] == "existing"
    # The geometry of a 'set' without geometry stays where it was.
    assert after["facilities"].loc[planned.index[0]].geometry.equals(planned.geometry.iloc[0])


def test_yaml_scenario_with_file(layers, tmp_path):
    res = layers["residents"].to_crs(ANALYSIS_CRS)
    c = res.geometry.centroid.iloc[2000]
    write_vector(_new_park(c.x, c.y, "park-yaml"), tmp_path / "new.geojson")
    (tmp_path / "s.yaml").write_text(
        "name: test\nchanges:\n  - {layer: parks, action: add, file: new.geojson}\n",
        encoding="utf-8",
    )
    sc = read_scenario(tmp_path / "s.yaml")
    assert sc.name == "test" and sc.changes[0].action == "add"
    assert "park-yaml" in apply_scenario(layers, sc)["parks"].index


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("changes: 3", "'changes' list"),
        ("changes:\n  - {layer: parks, action: add, file: nope.geojson}", "not found"),
        ("changes:\n  - {layer: parks, action: paint, ids: [x]}", "key 'action': expected one of"),
        ("changes:\n  - {layer: parkz, action: remove, ids: [x]}", "key 'layer': expected one of"),
        ("changes:\n  - {layer: parks, action: remove}", "needs 'ids' or 'where'"),
        ("changes:\n  - {layer: parks, action: remove, idz: [x]}", "unknown key 'idz'"),
        ("changes: [\n", "not valid YAML"),
    ],
)
def test_bad_yaml_scenarios(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises((DataSourceError, LayerSchemaError)) as info:
        read_scenario(path)
    assert expected in str(info.value) and "bad.yaml" in str(info.value)


def test_bad_changes_name_the_problem(layers):
    with pytest.raises(AnalysisInputError, match="no 'parks' features with ids"):
        apply_scenario(layers, Scenario("x", (Change("parks", "remove", ids=("nope",)),)))
    with pytest.raises(AnalysisInputError, match="matches no"):
        apply_scenario(
            layers, Scenario("x", (Change("parks", "remove", where={"tier": "galactic"}),))
        )
    first = layers["parks"].index[0]
    clash = _new_park(440000, 2560000, first)
    with pytest.raises(AnalysisInputError, match="already used"):
        apply_scenario(layers, Scenario("x", (Change("parks", "add", features=clash),)))
    # A change that breaks the layer's schema is reported with the change's label.
    bad = Change("parks", "set", ids=(first,), values={"tier": "megapark"}, label="my.yaml #2")
    with pytest.raises(LayerSchemaError) as info:
        apply_scenario(layers, Scenario("x", (bad,)))
    assert "megapark" in str(info.value) and "my.yaml #2" in str(info.value)
    far = _new_park(540000, 2560000, "park-far")  # 100 km east: outside the district
    with pytest.raises(LayerSchemaError, match="outside the district"):
        apply_scenario(layers, Scenario("x", (Change("parks", "add", features=far),)))


def test_scenario_file_is_valid_json_for_other_tools(tmp_path, layers):
    # A GeoJSON scenario written by the package is plain GeoJSON (lon, lat order).
    add = _new_park(440000, 2560000).assign(layer="parks", action="add")
    path = write_vector(add, tmp_path / "s.geojson")
    doc = json.loads(path.read_text())
    lon, lat = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert 112 < lon < 115 and 22 < lat < 24


@pytest.mark.parametrize("offline", [True, False])
def test_difference_maps_follow_the_offline_choice(layers, tmp_path, offline):
    from tianhe_geo.foundation.config import OutputOptions
    from tianhe_geo.pipeline import write_scenario
    from tianhe_geo.plan.run import ScenarioRun

    res = layers["residents"].to_crs(ANALYSIS_CRS)
    c = res.geometry.centroid[res["population"].idxmax()]
    sc = Scenario("one park", (Change("parks", "add", features=_new_park(c.x, c.y)),))
    after = apply_scenario(layers, sc)
    run = ScenarioRun("t", sc, after, compare(layers, after, standards=["green-300"]))
    options = OutputOptions(offline=offline, langs=("en",))
    written = write_scenario(tmp_path, run, options=options)
    page = (tmp_path / "scenario_t_green-300_en.html").read_text(encoding="utf-8")
    assert tmp_path / "scenario_t_green-300_en.html" in written
    # Self-contained by default; with --cdn the scripts are linked, not inlined.
    assert ("<script src=" in page) is not offline
