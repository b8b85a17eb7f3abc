"""Nothing half-written, nothing live (#15): full disks, killed builds, formula cells, exports.

Writes on a full disk use a small tmpfs, mounted only when the tests run as
root (skipped with a message otherwise). The killed build is a real
``tianhe-geo build`` process, killed with SIGKILL once its first files exist.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from markdown_it import MarkdownIt

import tianhe_geo
from tianhe_geo.cli import main
from tianhe_geo.data.io import csv_text, read_vector
from tianhe_geo.data.layers import read_layer_file
from tianhe_geo.data.staging import MANIFEST, check_manifest, read_manifest, recover
from tianhe_geo.pipeline import write_export
from tianhe_geo.present.maps import COLOURS
from tianhe_geo.present.report import Bullets, Report, Section, Table, Text


@pytest.fixture(scope="module")
def layers():
    return tianhe_geo.load_layers()


def _one_line(err: str, *words: str) -> None:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("tianhe-geo: error: "), err
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0], (word, lines[0])


# ---- a full disk ------------------------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A tmpfs of a few hundred kilobytes, or a skip saying why there is none."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("full-disk tests mount a tmpfs: run them as root")
    mounted = []

    def mount(size: str) -> Path:
        where = tmp_path / f"disk{len(mounted)}"
        where.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
            capture_output=True,
            check=False,
        )
        if done.returncode:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
        mounted.append(where)
        return where

    yield mount
    for where in mounted:
        subprocess.run(["umount", str(where)], check=False)


def _everything(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*"))  # hidden files too


@pytest.mark.parametrize(
    ("argv", "size", "words"),
    [
        (["export", "--format", "shp", "--out", "{disk}/export"], "1m", ["export/residents.shp"]),
        (["export", "--format", "gpkg", "--out", "{disk}/export"], "1m", ["/export/", ".gpkg"]),
        (
            ["coverage", "--standard", "park-500", "--out", "{disk}/cov.gpkg"],
            "120k",
            ["cov"],
        ),
    ],
    ids=["export-shp", "export-gpkg", "coverage-gpkg"],
)
def test_full_disk_one_line_and_nothing_left(small_disk, argv, size, words, capsys):
    disk = small_disk(size)
    code = main(["-q", *[a.format(disk=disk) for a in argv]])
    err = capsys.readouterr().err
    assert code == 1
    _one_line(err, *words, "no space left")
    assert "staging" not in err  # the file asked for is named, not its temporary copy
    assert _everything(disk) == []


def test_full_disk_over_earlier_outputs_keeps_them(small_disk, layers, capsys):
    """An export that runs out of room leaves the previous export as it was."""
    disk = small_disk("1m")
    write_export(disk / "ex", layers, ["facilities", "parks"], "geojson")
    before = {p.name: p.read_bytes() for p in (disk / "ex").iterdir()}
    assert main(["-q", "export", "--format", "geojson", "--out", str(disk / "ex")]) == 1
    _one_line(capsys.readouterr().err, "no space left")
    assert {p.name: p.read_bytes() for p in (disk / "ex").iterdir()} == before
    assert check_manifest(disk / "ex") == [] and _everything(disk) == ["ex", *sorted(before)]


# ---- a killed build -------------------------------------------------------------------


def test_killed_build_leaves_previous_outputs_intact(built_maps, tmp_path):
    out = tmp_path / "build"
    shutil.copytree(built_maps, out)
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert check_manifest(out) == [] and MANIFEST in {p.name for p in before}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tianhe_geo", "-q", "build", "--no-siting", "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        staged: list[Path] = []
        while time.monotonic() < deadline and proc.poll() is None and len(staged) < 3:
            time.sleep(0.1)
            staged = [p for p in tmp_path.glob(".build.*staging*/*") if p.is_file()]
        assert proc.poll() is None and len(staged) >= 3, "the build ended before it was killed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
    finally:
        proc.kill()
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # not one old file replaced, no new one mixed in
    assert not [p for p in out.rglob(".*")]  # no hidden files under the final folder
    # The killed run's staging folder, beside the outputs, goes on the next run.
    assert list(tmp_path.glob(".build.*staging*"))
    recover(out)
    assert not list(tmp_path.glob(".build.*staging*"))
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_a_move_cut_short_is_finished_next_run(tmp_path):
    """A run killed among its final renames: the next run completes them, manifest last."""
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.csv").write_text("old\n")
    (out / "mine.txt").write_text("the user's\n")
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    stage = tmp_path / f".out.tianhe-geo-staging-{dead.stdout.strip()}-x"
    (stage / "charts").mkdir(parents=True)
    (stage / "charts" / "c.png").write_bytes(b"png")
    (out / "b.csv").write_text("new b\n")  # b.csv was moved before the kill
    (stage / "a.csv").write_text("new a\n")
    entries = {
        n: {"bytes": len(t), "sha256": __import__("hashlib").sha256(t).hexdigest()}
        for n, t in {"a.csv": b"new a\n", "b.csv": b"new b\n", "charts/c.png": b"png"}.items()
    }
    (stage / MANIFEST).write_text(json.dumps({"files": entries}))
    (stage / ".ready").write_text(json.dumps(sorted(entries)))
    recover(out)
    assert not stage.exists()
    assert (out / "a.csv").read_text() == "new a\n" and (out / "mine.txt").exists()
    assert set(read_manifest(out)) == {"a.csv", "b.csv", "charts/c.png"}
    assert check_manifest(out) == []


# ---- CSV cells a spreadsheet would run --------------------------------------------------


def test_formula_cells_are_neutralised_numbers_kept():
    table = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x.example","y")', "+1", "-2", "@SUM(A1)", "\tx", "ok"],
            "count": [-1, 2, 3, 4, 5, 6],
            "share": [-0.5, 0.25, 1.0, 2.0, 3.0, 4.0],
        },
        index=pd.Index(["=a", "b", "c", "d", "e", "f"], name="id"),
    )
    rows = list(csv.reader(io.StringIO(csv_text(table))))
    assert [r[1] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x.example","y")', "'+1", "'-2", "'@SUM(A1)", "'\tx", "ok",
    ]  # fmt: skip
    assert rows[1][0] == "'=a"
    back = pd.read_csv(io.StringIO(csv_text(table)))
    assert back["count"].tolist() == [-1, 2, 3, 4, 5, 6] and back["share"].dtype == float


def test_coverage_csv_with_hostile_subdistrict_names(layers, tmp_path, capsys):
    sub = layers["subdistricts"].copy()
    sub.loc[sub.index[0], "name_zh"] = '=HYPERLINK("http://evil.example","click")'
    sub.loc[sub.index[1], "name_zh"] = "@cmd|' /C calc'!A0"
    sub.to_file(tmp_path / "sub.geojson", engine="pyogrio")
    argv = ["-q", "coverage", "--standard", "park-500", "--format", "csv"]
    capsys.readouterr()
    assert main([*argv, "--layer", f"subdistricts={tmp_path / 'sub.geojson'}"]) == 0
    text = capsys.readouterr().out  # the table as CSV on standard output
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert any(c.startswith("'=HYPERLINK") for c in cells)
    assert any(c.startswith("'@cmd") for c in cells)
    back = pd.read_csv(io.StringIO(text))
    assert pd.api.types.is_numeric_dtype(back["population"])
    assert back["population"].sum() == 2 * layers["subdistricts"]["population"].sum()


# ---- report.md --------------------------------------------------------------------------

HOSTILE = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "![x](javascript:alert(1))",
    "<a href='javascript:alert(1)'>a</a>",
    "# heading | cell",
]


def test_report_markdown_renders_no_live_markup():
    frame = pd.DataFrame({"name": HOSTILE, "n": range(len(HOSTILE))}, index=HOSTILE)
    report = Report(
        title=HOSTILE[0],
        lang="en",
        sections=(
            Section(HOSTILE[1], (Text(" ".join(HOSTILE)), Bullets(tuple(HOSTILE)), Table(frame))),
        ),
    )
    html = MarkdownIt("commonmark", {"html": True}).enable("table").render(report.to_markdown())
    assert "<a " not in html and "<img" not in html and "<script" not in html
    assert "&lt;script&gt;" in html  # shown as text


# ---- exports ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported(layers, tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    names = ["facilities", "parks", "residents", "transit"]
    small = dict(layers, residents=layers["residents"].head(50))
    for fmt in ("gpkg", "parquet", "shp", "geojson"):
        write_export(out / fmt, small, names, fmt)
    return out


@pytest.mark.parametrize("fmt", ["gpkg", "parquet", "shp"])
def test_export_keeps_schema_types_and_no_index_column(exported, fmt):
    path = exported / fmt / f"facilities.{fmt}"
    raw = gpd.read_parquet(path) if fmt == "parquet" else gpd.read_file(path, layer=0)
    assert raw["doctors"].dtype == float and raw["beds"].dtype == float
    for name in ("residents", "parks"):
        stem = exported / fmt / f"{name}.{fmt}"
        cols = (
            pq.read_schema(stem).names
            if fmt == "parquet"
            else pyogrio.read_info(stem, layer=0)["fields"]
        )
        assert not {"index", "level_0", "__index_level_0__"} & set(cols), cols


def test_geojson_export_reads_back_with_its_types(exported):
    back = read_layer_file(exported / "geojson" / "facilities.geojson", "facilities")
    assert back["doctors"].dtype == float


def test_geoparquet_has_a_bbox_covering(exported):
    path = exported / "parquet" / "parks.parquet"
    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    covering = geo["columns"]["geometry"]["covering"]["bbox"]
    assert covering["xmin"] == ["bbox", "xmin"]
    table = pq.read_table(path, columns=["bbox"]).to_pandas()
    bounds = gpd.read_parquet(path).geometry.bounds
    assert (table["bbox"].map(lambda b: b["xmin"]) - bounds["minx"]).abs().max() < 1e-6


def test_geopackage_is_plain_gpkg_with_qgis_styles(exported):
    path = exported / "gpkg" / "facilities.gpkg"
    with sqlite3.connect(path) as db:
        app = db.execute("pragma application_id").fetchone()[0]
        version = db.execute("pragma user_version").fetchone()[0]
        extensions = {r[0] for r in db.execute("select extension_name from gpkg_extensions")}
        styles = db.execute(
            "select f_table_name, f_geometry_column, useAsDefault, styleQML, styleSLD "
            "from layer_styles"
        ).fetchall()
    # GeoPackage 1.2-1.4 with no extension beyond the R-tree index: what QGIS LTR's GDAL reads.
    assert app == 0x47504B47 and 10200 <= version <= 10400
    assert extensions <= {"gpkg_rtree_index"}
    assert [(s[0], s[1], s[2]) for s in styles] == [("facilities", "geom", 1)]
    qml = ET.fromstring(styles[0][3].split("'SYSTEM'>", 1)[1])
    renderer = qml.find("renderer-v2")
    assert renderer is not None and renderer.get("attr") == "category"
    colours = {
        c.get("value"): qml.find(f".//symbol[@name='{c.get('symbol')}']//Option[@name='color']")
        for c in renderer.iter("category")
    }
    for value, option in colours.items():
        hexa = COLOURS["category"][value]
        rgb = ",".join(str(int(hexa[i : i + 2], 16)) for i in (1, 3, 5))
        assert option is not None and option.get("value") == rgb + ",255", value
    assert ET.fromstring(styles[0][4]).tag.endswith("StyledLayerDescriptor")
    read = pyogrio.read_dataframe(path, layer="layer_styles", read_geometry=False)
    assert read["f_table_name"].tolist() == ["facilities"]
    # The styles table is not taken for a layer of data when the file is read back.
    assert len(read_vector(path)) == len(gpd.read_file(path, layer="facilities"))
