"""The main job: each result computed once, every output written by the pipeline alone."""

from collections import Counter
from dataclasses import replace

import pytest

import tianhe_geo
from tianhe_geo import pipeline
from tianhe_geo.data.staging import read_manifest
from tianhe_geo.foundation.config import DEFAULT_CONFIG, OutputOptions
from tianhe_geo.plan import compliance, scenario
from tianhe_geo.plan.siting_questions import SITING_QUESTIONS, run_sitings
from tianhe_geo.present.report import build_report


def test_build_computes_each_standard_once_per_layer_set(tmp_path, monkeypatch):
    # 0.1 ran every standard three times (analysis, scenario before, scenario after).
    calls = Counter()

    def counting(real):
        def count(layers, key, *args, **kwargs):
            calls[getattr(key, "key", key)] += 1  # a key, or a Standard (residents prepared once)
            return real(layers, key, *args, **kwargs)

        return count

    monkeypatch.setattr(compliance, "_measure_one", counting(compliance._measure_one))
    monkeypatch.setattr(compliance, "run_standard", counting(compliance.run_standard))
    monkeypatch.setattr(scenario, "run_standard", counting(scenario.run_standard))
    options = OutputOptions(langs=("en",))
    written = pipeline.build_all(
        tmp_path, options=options, scenario=pipeline.plan_scenario(), siting=False
    )
    n = len(DEFAULT_CONFIG.standards)
    assert set(calls) == set(DEFAULT_CONFIG.standards) and max(calls.values()) <= 2
    # The plan changes facilities and transit, not parks: park standards are not run again.
    changed = {k for k, c in calls.items() if c == 2}
    assert changed and all(DEFAULT_CONFIG.standard(k).layer != "parks" for k in changed)
    assert sum(calls.values()) < 2 * n
    # Everything written is listed (and in the manifest, written last), and only
    # outputs are written (no timing files, no staging left).
    on_disk = {p for p in tmp_path.rglob("*") if p.is_file()}
    assert on_disk == set(written) | {tmp_path / "manifest.json"}
    assert set(read_manifest(tmp_path)) == {p.relative_to(tmp_path).as_posix() for p in written}
    assert not [p for p in tmp_path.parent.iterdir() if "staging" in p.name]
    assert not any("time" in p.name for p in on_disk)


def test_radius_overrides_reach_labels_questions_and_file_names():
    # 0.1 said "within 300 m" and wrote `_300m` files while computing the configured 400 m.
    layers = tianhe_geo.load_layers()
    config = replace(DEFAULT_CONFIG, radii={"green-300": 400}, standards=("green-300", "park-500"))
    result = tianhe_geo.analyse(layers, config)
    (run,) = run_sitings(layers, config, questions=SITING_QUESTIONS[:1])
    assert run.key == "pocket_parks_400m" and run.radius_m == 400
    assert "within 400 m of green space" in run.text("en") and "400米" in run.text("zh")
    report = build_report(layers, result, sitings=[run], lang="en")
    text = report.to_markdown()
    assert "Green space within 400 m" in text and "Green space within 300 m" not in text
    assert result.standards.loc["green-300", "name_zh"] == "400米见绿"
    assert result.results["green-300"].thresholds == (400.0,)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_report_headings_and_notes_follow_the_language(lang):
    layers = tianhe_geo.load_layers()
    config = replace(DEFAULT_CONFIG, standards=("park-500",), detour_factor=1.2)
    report = build_report(layers, tianhe_geo.analyse(layers, config), lang=lang)
    md = report.to_markdown()
    if lang == "zh":
        assert "## 方法" in md and "直线距离 × 1.2" in md and "Method" not in md
    else:
        assert "## Method" in md and "straight line × 1.2" in md
    assert report.generated is None and "Generated" not in md  # reproducible by default
