"""Published indicator values: the shipped table, bad tables, and how indicators use them."""

import numpy as np
import pandas as pd
import pytest

import tianhe_geo
from tianhe_geo.data.facts import FACT_COLUMNS, PLAN_TARGETS, load_plan_facts, read_plan_facts
from tianhe_geo.foundation.config import AnalysisConfig
from tianhe_geo.foundation.errors import DataSourceError, LayerSchemaError
from tianhe_geo.plan.indicators import indicators


def _write(tmp_path, rows, columns=FACT_COLUMNS):
    path = tmp_path / "facts.csv"
    pd.DataFrame(rows, columns=list(columns)).to_csv(path, index=False)
    return path


def _fact(indicator, value, year=2023, source="a bulletin, https://example.org"):
    return [indicator, value, "u", year, "Tianhe District", "stated in source", source, "official"]


def test_shipped_facts_are_complete_and_sourced():
    facts = load_plan_facts()
    assert set(facts.index) <= set(PLAN_TARGETS)
    found = facts[facts["value"].notna()]
    assert (found["source"].str.len() > 10).all()
    assert found["year"].between(2015, 2026).all()


def test_every_problem_of_a_bad_table_is_named_with_row_and_column(tmp_path):
    rows = [
        _fact("doctors_per_1000", "many"),
        _fact("parks_per_cat", 3),
        _fact("elderly_care_beds", 5000, year=""),
        _fact("elderly_care_beds", 5100, source=""),
    ]
    with pytest.raises(LayerSchemaError) as err:
        read_plan_facts(_write(tmp_path, rows))
    text = str(err.value)
    assert "row 2, column 'value': 'many' is not a number" in text
    assert "row 3, column 'indicator': unknown 'parks_per_cat'" in text
    assert "row 4, column 'year'" in text
    assert "row 5, column 'source'" in text
    assert "'elderly_care_beds' appears more than once" in text
    assert len(err.value.problems) == 5


def test_missing_columns_and_files_are_reported(tmp_path):
    with pytest.raises(LayerSchemaError, match=r"missing column\(s\) \['source', 'accuracy'\]"):
        read_plan_facts(_write(tmp_path, [], columns=FACT_COLUMNS[:-2]))
    with pytest.raises(DataSourceError, match=r"nowhere\.csv"):
        read_plan_facts(tmp_path / "nowhere.csv")


@pytest.fixture(scope="module")
def layers():
    return tianhe_geo.load_layers()


def test_a_published_value_fills_an_indicator_the_layers_cannot_measure(layers, tmp_path):
    path = _write(tmp_path, [_fact("doctors_per_1000", 4.9), _fact("park_m2_per_resident", 30)])
    table = indicators(layers, facts=read_plan_facts(path))
    doctors = table.loc["doctors_per_1000"]
    # No doctor counts in the shipped facilities: the published figure is the value.
    assert np.isnan(doctors["computed"])
    assert doctors["value"] == 4.9 and doctors["published"] == 4.9
    assert doctors["gap"] == pytest.approx(5.8 - 4.9) and not doctors["met"]
    assert "published figure for 2023" in doctors["basis"]
    # Park area from the shipped (incomplete) layer is only a lower bound: the published
    # figure is the value, the computed one sits beside it.
    parks = table.loc["park_m2_per_resident"]
    assert parks["value"] == parks["published"] == 30 and 0 < parks["computed"] < 30
    assert parks["met"] and "only a lower bound" in parks["basis"]
    # Without a fact the indicator is unknown, not zero; the config path is read the same way.
    table = indicators(layers, AnalysisConfig(plan_facts=str(path)))
    assert table.loc["doctors_per_1000", "value"] == 4.9
    assert np.isnan(
        indicators(layers, facts=read_plan_facts(path).iloc[:0]).loc["doctors_per_1000", "value"]
    )


def test_layers_with_capacities_take_precedence_over_the_published_value(layers, tmp_path):
    path = _write(tmp_path, [_fact("doctors_per_1000", 4.9)])
    fac = layers["facilities"].copy()
    health = fac["category"].isin(["hospital", "community_health"]) & (fac["status"] == "existing")
    fac.loc[health, "doctors"] = 100
    fac["layer_complete"] = True  # the analyst's own, complete facility list: taken at its word
    own = {**layers, "facilities": fac}
    table = indicators(own, facts=read_plan_facts(path))
    row = table.loc["doctors_per_1000"]
    pop = layers["subdistricts"]["population"].sum()
    # Only facilities inside the district (plus the edge buffer) count; at most all of them.
    assert 0 < row["value"] == row["computed"] <= 1000 * 100 * health.sum() / pop
    assert row["published"] == 4.9
    # The same counts on the shipped (incomplete) list are a lower bound: the figure wins.
    fac["layer_complete"] = False
    row = indicators({**layers, "facilities": fac}, facts=read_plan_facts(path)).loc[
        "doctors_per_1000"
    ]
    assert row["value"] == 4.9 and 0 < row["computed"] and "lower bound" in row["basis"]


def test_a_sum_over_a_shipped_layer_is_a_lower_bound(layers, tmp_path):
    empty = read_plan_facts(_write(tmp_path, []))
    shipped = indicators(layers, facts=empty).loc["park_m2_per_resident"]
    # The shipped parks layer is incomplete: below the target does not mean "not met".
    assert not tianhe_geo.is_complete(layers["parks"])
    assert shipped["value"] < 18.5 and shipped["met"] is None
    assert "lower bound" in shipped["basis"]
    # Parks the user gives as complete (their own list, without the sample's flag) are
    # taken at their word.
    path = tmp_path / "parks.gpkg"
    layers["parks"].drop(columns="layer_complete").to_file(path)
    own = tianhe_geo.load_layer("parks", overrides={"parks": path})
    assert tianhe_geo.is_complete(own)
    table = indicators({**layers, "parks": own}, facts=empty)
    assert table.loc["park_m2_per_resident", "met"] is False
    assert table.loc["park_m2_per_resident", "value"] == pytest.approx(shipped["value"])
    # Above the target a lower bound proves the target met.
    big = layers["parks"].copy()
    big.loc[big.index[0], "geometry"] = layers["boundary"].geometry.iloc[0]
    assert indicators({**layers, "parks": big}, facts=empty).loc["park_m2_per_resident", "met"]


def test_a_figure_off_the_plans_basis_cannot_decide_met(layers, tmp_path):
    columns = [*FACT_COLUMNS, "comparable"]
    path = _write(tmp_path, [[*_fact("elderly_care_beds", 9000), "no"]], columns)
    row = indicators(layers, facts=read_plan_facts(path)).loc["elderly_care_beds"]
    # Above the target, but over another window: shown, with neither gap nor verdict.
    assert row["value"] == 9000 and row["met"] is None and np.isnan(row["gap"])
    assert "not on the plan's basis" in row["basis"]
    # The shipped school-places figure (2018-2022, not 2021-2025) is marked so.
    shipped = indicators(layers).loc["new_public_school_places"]
    assert shipped["value"] == shipped["published"] and shipped["met"] is None
    bad = _write(tmp_path, [[*_fact("elderly_care_beds", 9000), "maybe"]], columns)
    with pytest.raises(LayerSchemaError, match="row 2, column 'comparable': 'maybe', not yes"):
        read_plan_facts(bad)
