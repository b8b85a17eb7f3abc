"""The report as a planner reads it: zh and en, on a phone, on paper, the same bytes twice."""

import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest

import tianhe_geo
from tianhe_geo.foundation.config import CHROMIUM, OutputOptions
from tianhe_geo.foundation.standards import PLAN_TARGETS, STANDARDS

needs_pdf = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and shutil.which("pdftotext")),
    reason="needs /usr/bin/chromium and pdftotext (make chromium report-tools)",
)


def _furthest_behind(built: Path, key: str) -> list[str]:
    """The three lowest shares on a standard, from the coverage CSV (ties: more left out)."""
    t = pd.read_csv(built / "coverage_by_subdistrict.csv", dtype={"subdistrict": str})
    t = t[(t["standard"] == key) & (t["subdistrict"] != "district")]
    t = t.assign(left=t["population"] - t["covered_pop"])
    t = t.sort_values(["share", "left", "subdistrict"], ascending=[True, False, True])
    return [n.split(" ")[0] for n in t["name"].head(3)]  # the Chinese name


@needs_pdf
def test_zh_pdf_is_chinese_and_its_first_page_names_the_subdistricts_furthest_behind(built_maps):
    pdf = built_maps / "report_zh.pdf"
    first = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert len(re.findall(r"[\u4e00-\u9fff]", first)) > 200
    assert "GB/T 51346" in first
    behind = _furthest_behind(built_maps, "gbt51346-park-500")
    for name in behind:
        assert name in first, (name, behind)
    assert "下限" in first  # the lower bound reads as one


def test_zh_report_carries_no_english_machine_ids(built_maps):
    md = (built_maps / "report_zh.md").read_text()
    page = (built_maps / "report_zh.html").read_text()
    text = re.sub(r"<iframe[^>]*>|<img[^>]*>", "", page)  # maps are their own pages
    md = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", md)  # chart files are named by key
    # The tiered standard's source text tells a developer how to override it.
    md, text = (b.replace("radii={'park-tiered'", "") for b in (md, text))
    text = text.replace("radii={&#x27;park-tiered&#x27;", "")
    for body in (md, text):
        for key in [*STANDARDS, *PLAN_TARGETS, "share_before", "uncovered_pop", "radius_m"]:
            assert key not in body.replace(f"share_{key}", ""), key
        assert not re.search(r"\bunknown\b|\bOptimal\b", body)  # data text may say "met"
    assert "元岗街道" in md and "结论" in md


def test_report_fits_a_phone(built_maps):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("no Chromium")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        try:
            tab = browser.new_page(viewport={"width": 390, "height": 844})
            tab.route(
                "**/*", lambda r: r.abort() if r.request.url.startswith("http") else r.continue_()
            )
            for name in ("report_zh.html", "report.html"):
                tab.goto((built_maps / name).as_uri())
                width = tab.evaluate("document.documentElement.scrollWidth")
                assert width <= 390, (name, width)
        finally:
            browser.close()


def test_same_inputs_and_timestamp_write_the_same_bytes(tmp_path):
    from tianhe_geo.pipeline import write_reports
    from tianhe_geo.plan.run import analyse

    layers = tianhe_geo.load_layers()
    result = analyse(layers)
    options = OutputOptions(langs=("zh",), tiles="none")
    files = []
    for d in ("a", "b"):
        written = write_reports(
            tmp_path / d, layers, result, options=options, generated="2026-12-02"
        )
        files.append({p.relative_to(tmp_path / d): p.read_bytes() for p in written})
    assert files[0] == files[1]
    assert any(p.suffix == ".pdf" for p in files[0]) or not Path(CHROMIUM).exists()
