"""Every figure says what it rests on: facilities counted against a planning norm."""

import pandas as pd
import pytest

import tianhe_geo
from tianhe_geo.foundation.config import DEFAULT_CONFIG
from tianhe_geo.foundation.standards import PROVISION_NORMS
from tianhe_geo.plan.completeness import completeness, completeness_table
from tianhe_geo.plan.selection import select_facilities
from tianhe_geo.present.tables import completeness_text


@pytest.fixture(scope="module")
def layers():
    return tianhe_geo.load_layers()


def test_counts_and_expectations_follow_the_norm(layers):
    std = DEFAULT_CONFIG.standard("life5-kindergarten")
    c = completeness(layers, std)
    pop = layers["residents"]["population"].sum()
    assert c.facilities == len(select_facilities(layers, std, DEFAULT_CONFIG)) == 13
    assert c.expected == int(pop // PROVISION_NORMS["kindergarten"].residents_per_facility)
    assert c.verdict == "sample_below_norm" and c.lower_bound
    text = completeness_text(c, std, "en")
    assert text.startswith("13 Kindergarten counted; at least 186 expected for 2,241,800")
    assert "lower bound" in text and "下限" in completeness_text(c, std, "zh")


def test_only_the_kinds_a_norm_covers_are_compared(layers):
    # Hospitals have no provision norm: 22 health centres are expected, hospitals aside.
    std = DEFAULT_CONFIG.standard("life15-health")
    c = completeness(layers, std)
    fac = select_facilities(layers, std, DEFAULT_CONFIG)
    assert c.facilities == len(fac) and c.normed == int(
        (fac["category"] == "community_health").sum()
    )
    rail = completeness(layers, DEFAULT_CONFIG.standard("sdg-11.2.1-rail"))
    assert rail.expected is None and rail.verdict == "as_given"
    assert "no provision norm" in completeness_text(
        rail, DEFAULT_CONFIG.standard("sdg-11.2.1-rail")
    )


def test_a_users_layer_is_taken_at_its_word(layers):
    own = {**layers, "facilities": layers["facilities"].drop(columns="layer_complete")}
    c = completeness(own, DEFAULT_CONFIG.standard("life5-kindergarten"))
    assert c.verdict == "as_given" and not c.lower_bound and c.expected == 186
    table = completeness_table(own)
    assert table.loc["life5-kindergarten", "verdict"] == "as_given"
    assert table.loc["park-500", "verdict"] == "sample_below_norm"  # parks still the sample
    assert pd.isna(table.loc["sdg-11.2.1-rail", "expected_min"])


def test_the_verdict_reaches_the_cli_the_csv_and_the_report(tmp_path, capsys):
    from tianhe_geo.cli import main
    from tianhe_geo.present.report import build_report

    out = tmp_path / "k.csv"
    argv = [
        "coverage",
        "--standard",
        "life5-kindergarten",
        "--group",
        "district",
        "--out",
        str(out),
    ]
    assert main(argv) == 0
    assert "13 Kindergarten counted; at least 186 expected" in capsys.readouterr().err
    row = pd.read_csv(out).iloc[0]
    assert row["facilities"] == 13 and row["expected_min"] == 186
    assert row["completeness"] == "sample_below_norm"
    layers = tianhe_geo.load_layers()
    result = tianhe_geo.analyse(layers)
    assert result.standards.loc["life5-kindergarten", "expected_min"] == 186
    md = build_report(layers, result).to_markdown()
    assert "13 Kindergarten counted; at least 186 expected" in md
