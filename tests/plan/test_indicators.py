"""Per-resident plan indicators when the population is 0 or missing (an OSM-only import)."""

import numpy as np
import pytest

from tianhe_geo.data.facts import no_plan_facts
from tianhe_geo.data.layers import load_layers
from tianhe_geo.plan.indicators import indicators, park_area_per_resident

PER_RESIDENT = ("park_m2_per_resident", "doctors_per_1000")


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.mark.parametrize("population", [0, np.nan])
def test_no_population_makes_per_resident_indicators_unknown(layers, population):
    sub = layers["subdistricts"].copy()
    sub["population"] = population
    table = indicators({**layers, "subdistricts": sub}, facts=no_plan_facts())
    for key in PER_RESIDENT:
        row = table.loc[key]
        assert np.isnan(row["value"]) and np.isnan(row["computed"]) and row["met"] is None
        assert "population" in row["basis"] and "人口" in row["basis_zh"]
    why = table.loc["park_m2_per_resident", "basis"]
    assert ("is 0" in why) if population == 0 else ("21 of 21" in why)
    # Totals are not per resident: still measured.
    assert np.isfinite(table.loc["new_public_school_places", "computed"])


def test_partly_missing_population_is_unknown_not_overstated(layers):
    sub = layers["subdistricts"].copy()
    sub.loc[sub.index[:3], "population"] = np.nan
    table = indicators({**layers, "subdistricts": sub}, facts=no_plan_facts())
    assert np.isnan(table.loc["park_m2_per_resident", "computed"])
    assert "3 of 21" in table.loc["park_m2_per_resident", "basis"]
    # With every population known the value is park area over the census total.
    full = indicators(layers, facts=no_plan_facts()).loc["park_m2_per_resident", "computed"]
    assert 0 < full < 50


def test_park_area_per_subdistrict_is_nan_where_nobody_lives(layers):
    sub = layers["subdistricts"].copy()
    sub.loc[sub.index[0], "population"] = 0
    sub.loc[sub.index[1], "population"] = np.nan
    per = park_area_per_resident({**layers, "subdistricts": sub})
    assert per.iloc[:2].isna().all()
    expected = park_area_per_resident(layers).iloc[2:]
    assert np.allclose(per.iloc[2:], expected)


def _other_area(layers):
    """The same layers under another study area's boundary id (an OSM import's)."""
    boundary = layers["boundary"].copy()
    boundary["id"] = "osm-r123"
    return {**layers, "boundary": boundary.set_index(boundary["id"].rename(None))}


def test_shipped_facts_only_for_the_shipped_boundary(layers):
    import pandas as pd

    from tianhe_geo import AnalysisConfig
    from tianhe_geo.data.facts import is_shipped_area, load_plan_facts

    with_facts = indicators(layers, facts=load_plan_facts())
    without = indicators(layers, facts=no_plan_facts())
    assert with_facts["published"].notna().any()  # the shipped facts do change the table
    assert not with_facts.equals(without)
    assert is_shipped_area(layers["boundary"]) and not is_shipped_area(None)
    # Tianhe's layers: the shipped facts by default.
    pd.testing.assert_frame_equal(indicators(layers), with_facts)
    # Another area's boundary: none by default; the caller may still ask for them.
    other = _other_area(layers)
    assert not is_shipped_area(other["boundary"])
    pd.testing.assert_frame_equal(indicators(other), without)
    forced = indicators(other, AnalysisConfig(shipped_facts=True))
    pd.testing.assert_frame_equal(forced, with_facts)
    pd.testing.assert_frame_equal(indicators(layers, AnalysisConfig(shipped_facts=False)), without)
