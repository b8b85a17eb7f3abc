"""The main job, and the one place that writes outputs.

:func:`build_all` is what ``make maps`` / ``tianhe-geo build`` runs: load the
layers once (the boundary read once), analyse once, reuse that analysis for
the scenario's "before", answer the siting questions, then write the tables,
the report, the scenario and siting outputs and the maps. The ``write_*``
functions are what the command line's narrower commands call; nothing else in
the package writes a file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from .analysis.coverage import CoverageResult
from .analysis.network import WalkNetwork
from .data.io import driver_for, geometry_families, write_bytes, write_text, write_vector
from .data.layers import Overrides, load_layers
from .data.paths import LAYER_NAMES, PLAN_SCENARIO, plan_scenario_path
from .data.scenario_spec import Scenario, read_scenario
from .foundation.config import (
    CHROMIUM,
    DEFAULT_CONFIG,
    DEFAULT_OUTPUT,
    PDF_FORMAT,
    AnalysisConfig,
    OutputOptions,
)
from .foundation.crs import STORAGE_CRS
from .foundation.errors import TianheGeoError
from .plan.completeness import Completeness
from .plan.run import PlanAnalysis, ScenarioRun, analyse, run_scenario
from .plan.siting_questions import SitingRun, run_sitings
from .present.mapkit import finish, new_map, render_html
from .present.maps import MAP_NAMES, scenario_map, shipped_map, siting_map
from .present.report import Report, build_report
from .present.tables import area_label, coverage_by_subdistrict, sites_lonlat, subdistrict_names

logger = logging.getLogger(__name__)

Layers = Mapping[str, gpd.GeoDataFrame]
Step = Callable[[str], None]

#: Export formats: name -> file suffix.
EXPORT_FORMATS = {"gpkg": ".gpkg", "parquet": ".parquet", "geojson": ".geojson", "shp": ".shp"}


def _no_step(_label: str) -> None:
    """A progress callback that shows nothing."""


def write_tables(
    out_dir: str | os.PathLike[str], layers: Layers, result: PlanAnalysis
) -> list[Path]:
    """Write the analysis tables and the uncovered areas.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : mapping
        Loaded layers (subdistrict names).
    result : PlanAnalysis
        Analysis results.

    Returns
    -------
    list of pathlib.Path
        ``coverage_by_subdistrict.csv``, ``standards.csv``,
        ``indicators.csv``, ``uncovered.gpkg``.
    """
    out = Path(out_dir)
    names = subdistrict_names(layers["subdistricts"])
    by_sub = coverage_by_subdistrict(result, names, area_label(layers["boundary"]))
    return [
        write_text(by_sub.to_csv(index=False), out / "coverage_by_subdistrict.csv"),
        write_text(result.standards.to_csv(), out / "standards.csv"),
        write_text(result.indicators.to_csv(), out / "indicators.csv"),
        _write_uncovered(result.results, out / "uncovered.gpkg"),
    ]


def write_table(table: pd.DataFrame, path: str | os.PathLike[str], index: bool = True) -> Path:
    """Write one table as CSV (UTF-8), atomically.

    Parameters
    ----------
    table : pandas.DataFrame
        The table.
    path : path-like
        Destination ``.csv``.
    index : bool, default True
        Write the index as the first column.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    return write_text(table.to_csv(index=index), path)


def _write_uncovered(results: Mapping[str, CoverageResult], path: Path) -> Path:
    frames = [out.uncovered.assign(standard=key) for key, out in results.items()]
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    return write_vector(gdf.to_crs(STORAGE_CRS), path, layer="uncovered")


def write_report(
    out_dir: str | os.PathLike[str], report: Report, stem: str = "report", pdf: bool = True
) -> list[Path]:
    """Write a report: ``<stem>.html`` (self-contained), ``<stem>.md`` with ``charts/*.png``, a PDF.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    report : Report
        From :func:`tianhe_geo.present.report.build_report`.
    stem : str, default "report"
        File name without suffix.
    pdf : bool, default True
        Also print ``<stem>.pdf`` with headless Chromium (:func:`write_pdf`);
        left out, with a warning, when Chromium or playwright is missing.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    out = Path(out_dir)
    written = [write_bytes(png, out / "charts" / name) for name, png in report.charts.items()]
    written.append(write_text(report.to_markdown("charts"), out / f"{stem}.md"))
    written.append(write_text(report.to_html(), out / f"{stem}.html"))
    printed = write_pdf(written[-1], out / f"{stem}.pdf") if pdf else None
    return written + ([printed] if printed else [])


def write_pdf(
    page: str | os.PathLike[str], path: str | os.PathLike[str], chromium: str = CHROMIUM
) -> Path | None:
    """Print an HTML page to PDF with headless Chromium (playwright), offline, atomically.

    Every request other than the page's own file and inline data is refused,
    so printing never reaches the network. The PDF's dates and document id,
    which Chromium sets from the clock, are fixed (same length, so the file's
    offsets hold): the same page prints to the same bytes.

    Parameters
    ----------
    page : path-like
        The HTML file.
    path : path-like
        Destination ``.pdf``.
    chromium : str
        The Chromium executable (:data:`~tianhe_geo.foundation.config.CHROMIUM`).

    Returns
    -------
    pathlib.Path or None
        The destination; None when Chromium or playwright is missing or
        Chromium fails (a warning says which and how to install it).
    """
    if not os.access(chromium, os.X_OK):
        logger.warning("no PDF: Chromium not found at %s (install it: make chromium)", chromium)
        return None
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError:
        logger.warning("no PDF: the playwright package is missing (pip install playwright)")
        return None
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium)
            try:
                tab = browser.new_page()
                tab.route("**/*", _local_only)
                tab.goto(Path(page).resolve().as_uri(), wait_until="load")
                data = tab.pdf(format=PDF_FORMAT, print_background=True, prefer_css_page_size=True)
            finally:
                browser.close()
    except Error as exc:
        logger.warning("no PDF: Chromium failed to print %s: %s", page, exc)
        return None
    return write_bytes(stable_pdf(data), path)


def _local_only(route: Any) -> None:
    """Let the page's own file through; refuse anything from the network."""
    if route.request.url.startswith(("file:", "data:", "about:")):
        route.continue_()
    else:
        route.abort()


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate) ?\(D:([^)]*)\)")
_PDF_ID = re.compile(rb"/ID ?\[ ?<([0-9A-Fa-f]+)> ?<([0-9A-Fa-f]+)> ?\]")


def stable_pdf(data: bytes) -> bytes:
    """A PDF with its clock-set dates and document id made fixed, each at its own length.

    Parameters
    ----------
    data : bytes
        A PDF.

    Returns
    -------
    bytes
        The same PDF; dates read 2000-01-01 00:00 UTC, the id is a hash of the rest.
    """

    def date(m: re.Match[bytes]) -> bytes:
        fixed = b"20000101000000+00'00'".ljust(len(m[2]), b" ")[: len(m[2])]
        return m[0].replace(m[2], fixed)

    dated = _PDF_DATE.sub(date, data)
    digest = hashlib.sha256(_PDF_ID.sub(b"", dated)).hexdigest().upper().encode()

    def ident(m: re.Match[bytes]) -> bytes:
        out = m[0]
        for part in (m[1], m[2]):
            out = out.replace(part, (digest * 4)[: len(part)])
        return out

    return _PDF_ID.sub(ident, dated)


def report_stems(langs: Sequence[str]) -> dict[str, str]:
    """File stem of the report per language: ``report`` first (English), ``report_<lang>`` else."""
    first = "en" if "en" in langs else langs[0]
    return {lang: "report" if lang == first else f"report_{lang}" for lang in langs}


def write_reports(
    out_dir: str | os.PathLike[str],
    layers: Layers,
    result: PlanAnalysis,
    run: ScenarioRun | None = None,
    sitings: Sequence[SitingRun] = (),
    options: OutputOptions = DEFAULT_OUTPUT,
    generated: str | None = None,
) -> list[Path]:
    """Build and write the report in every language of ``options`` (see :func:`report_stems`).

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    run : ScenarioRun, optional
        The scenario to report.
    sitings : sequence of SitingRun
        Siting answers.
    options : OutputOptions
        Languages, basemap and offline choice of the embedded maps.
    generated : str, optional
        Timestamp printed in the reports; None leaves it out. Either way the
        same inputs write the same bytes.

    Returns
    -------
    list of pathlib.Path
        Each report's HTML, Markdown, charts and PDF.
    """
    stems = report_stems(options.langs)
    written: list[Path] = []
    for lang, stem in stems.items():
        other = next((s for k, s in stems.items() if k != lang), None)
        report = build_report(layers, result, run, sitings, lang, options, generated, other)
        written += write_report(out_dir, report, stem)
    return written


def write_maps(
    out_dir: str | os.PathLike[str],
    layers: Layers,
    result: PlanAnalysis,
    options: OutputOptions = DEFAULT_OUTPUT,
    only: Sequence[str] | None = None,
    on_step: Step | None = None,
) -> list[Path]:
    """Build, finish and write the shipped maps, each as ``<map>_<lang>.html``.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    options : OutputOptions
        Basemap, offline choice and languages.
    only : sequence of str, optional
        Map names (of :data:`~tianhe_geo.present.maps.MAP_NAMES`); all when omitted.
    on_step : callable, optional
        Called with each file name once it is written (progress display).

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    unknown = sorted(set(only or ()) - set(MAP_NAMES))
    if unknown:
        msg = f"unknown maps {unknown}; known: {list(MAP_NAMES)}"
        raise TianheGeoError(msg)
    step = on_step or _no_step
    written = []
    for name in [n for n in MAP_NAMES if not only or n in only]:
        for lang in options.langs:
            tm = shipped_map(name, layers, result, lang, options.tiles, options.offline)
            other = "en" if lang == "zh" else "zh"
            linked = f"{name}_{other}.html" if other in options.langs else None
            page = render_html(finish(tm, other_url=linked, locate=name == "resident"))
            written.append(write_text(page, Path(out_dir) / f"{name}_{lang}.html"))
            step(written[-1].name)
    return written


def write_scenario(
    out_dir: str | os.PathLike[str],
    run: ScenarioRun,
    config: AnalysisConfig = DEFAULT_CONFIG,
    options: OutputOptions = DEFAULT_OUTPUT,
) -> list[Path]:
    """Write a scenario's tables, difference layer and maps.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    run : ScenarioRun
        From :func:`tianhe_geo.plan.run.run_scenario`.
    config : AnalysisConfig
        The settings it was computed with (standards' radii in map titles).
    options : OutputOptions
        Basemap, offline choice and languages.

    Returns
    -------
    list of pathlib.Path
        ``scenario_<key>_standards.csv``, ``..._by_subdistrict.csv``,
        ``..._indicators.csv``, ``..._diff.gpkg``, ``..._changes.geojson``
        (when features changed) and ``scenario_<key>_<standard>_<lang>.html``
        for every standard the scenario changes.
    """
    out, c = Path(out_dir), run.comparison
    stem = f"scenario_{run.key}"
    written = [
        write_text(c.standards.to_csv(), out / f"{stem}_standards.csv"),
        write_text(c.by_subdistrict.to_csv(index=False), out / f"{stem}_by_subdistrict.csv"),
        write_text(c.indicators.to_csv(), out / f"{stem}_indicators.csv"),
        write_vector(c.diff, out / f"{stem}_diff.gpkg", layer="diff"),
    ]
    if len(c.changes):
        written.append(write_vector(c.changes, out / f"{stem}_changes.geojson"))
    moved = c.standards.index[(c.standards["gained_pop"] + c.standards["lost_pop"]) > 0]
    for key in moved:
        for lang in options.langs:
            tm = new_map(lang, options.tiles, options.offline)
            scenario_map(run.layers, c, key, lang, m=tm, config=config)
            written.append(write_text(render_html(finish(tm)), out / f"{stem}_{key}_{lang}.html"))
    return written


def write_siting(
    out_dir: str | os.PathLike[str],
    layers: Layers,
    run: SitingRun,
    options: OutputOptions = DEFAULT_OUTPUT,
) -> list[Path]:
    """Write a siting answer: the sites (GeoPackage, CSV) and a map per language.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : mapping
        Loaded layers.
    run : SitingRun
        The answer.
    options : OutputOptions
        Basemap, offline choice and languages.

    Returns
    -------
    list of pathlib.Path
        ``siting_<key>.gpkg``, ``siting_<key>.csv``, ``siting_<key>_<lang>.html``.
    """
    out, r = Path(out_dir), run.result
    sites = sites_lonlat(r)
    table = pd.DataFrame(sites.drop(columns="geometry")).to_csv()
    written = [
        write_vector(sites.reset_index(names="site"), out / f"siting_{run.key}.gpkg"),
        write_text(table, out / f"siting_{run.key}.csv"),
    ]
    for lang in options.langs:
        tm = new_map(lang, options.tiles, options.offline)
        siting_map(layers, r, run.existing, run.radius_m, lang, m=tm)
        written.append(write_text(render_html(finish(tm)), out / f"siting_{run.key}_{lang}.html"))
    return written


def write_coverage(
    path: str | os.PathLike[str],
    result: CoverageResult,
    layers: Layers,
    rests_on: Completeness | None = None,
) -> list[Path]:
    """Write a coverage answer: a CSV of the summary, or a vector file and its uncovered areas.

    Parameters
    ----------
    path : path-like
        ``.csv`` for the table; ``.gpkg``, ``.geojson``, ``.parquet`` or
        ``.shp`` for the subdistrict (or district) polygons with their shares,
        plus ``<name>_uncovered.<ext>``.
    result : CoverageResult
        The answer.
    layers : mapping
        Loaded layers (subdistrict and boundary polygons).
    rests_on : Completeness, optional
        What the shares rest on: written beside every row (``facilities``,
        ``expected_min``, ``completeness``).

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    out, summary = Path(path), result.summary
    if rests_on is not None:
        summary = summary.assign(
            facilities=rests_on.facilities,
            expected_min=pd.array([rests_on.expected] * len(summary), dtype="Int64"),
            completeness=rests_on.verdict,
        )
    if out.suffix.lower() == ".csv":
        return [write_text(summary.to_csv(index_label="group"), out)]
    driver_for(out)  # a clear message for an unknown suffix
    sub = layers["subdistricts"].set_index("code")
    district = gpd.GeoDataFrame(geometry=[layers["boundary"].union_all()], crs=sub.crs)
    district.index = pd.Index(["district"])
    polys = pd.concat([sub.geometry, district.geometry]).reindex(summary.index)
    frame = gpd.GeoDataFrame(
        summary.reset_index(names="group"), geometry=polys.to_numpy(), crs=sub.crs
    )
    unc = result.uncovered.to_crs(STORAGE_CRS)
    return [
        write_vector(frame, out, layer="coverage"),
        write_vector(unc, out.with_name(f"{out.stem}_uncovered{out.suffix}"), layer="uncovered"),
    ]


def write_export(
    out_dir: str | os.PathLike[str], layers: Layers, names: Sequence[str], fmt: str
) -> list[tuple[Path, int]]:
    """Write layers in a format for other tools (one file per layer; shapefiles per geometry type).

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : mapping
        Loaded layers.
    names : sequence of str
        Layers to write.
    fmt : {'gpkg', 'parquet', 'geojson', 'shp'}
        Format.

    Returns
    -------
    list of (pathlib.Path, int)
        Each file written and its number of features.
    """
    unknown = sorted(set(names) - set(LAYER_NAMES))
    if unknown:
        msg = f"unknown layers {unknown}; known: {list(LAYER_NAMES)}"
        raise TianheGeoError(msg)
    written = []
    for name in names:
        # The id is the index in memory; write it as the column the schema names.
        gdf = layers[name].reset_index(drop=True)
        parts = {name: gdf}
        families = geometry_families(gdf)
        if fmt == "shp" and len(families) > 1:
            parts = {f"{name}_{family}": part for family, part in families.items()}
        for stem, part in parts.items():
            path = write_vector(part, Path(out_dir) / f"{stem}{EXPORT_FORMATS[fmt]}", layer=name)
            written.append((path, len(part)))
    return written


def plan_scenario() -> tuple[str, Scenario]:
    """The shipped plan scenario and its key (``plan2025``)."""
    return PLAN_SCENARIO, read_scenario(plan_scenario_path())


def build_all(  # noqa: PLR0913 - the main job has this many choices
    out_dir: str | os.PathLike[str],
    overrides: Overrides | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
    options: OutputOptions = DEFAULT_OUTPUT,
    network: WalkNetwork | None = None,
    scenario: tuple[str, Scenario] | None = None,
    on_step: Step | None = None,
    siting: bool = True,
    generated: str | None = None,
    layers: Layers | None = None,
) -> list[Path]:
    """Run the analysis on the shipped (or overridden) layers and write every output.

    Parameters
    ----------
    out_dir : path-like
        Folder to write into (created if missing).
    overrides : mapping, optional
        Layer name -> replacement file.
    config : AnalysisConfig
        Analysis settings.
    options : OutputOptions
        Basemap, offline choice and languages of maps and reports.
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    scenario : (str, Scenario), optional
        Key and scenario to compare and report (e.g. :func:`plan_scenario`).
    on_step : callable, optional
        Called with a short label after each step (progress display).
    siting : bool, default True
        Answer the siting questions of
        :data:`~tianhe_geo.plan.siting_questions.SITING_QUESTIONS`.
    generated : str, optional
        Timestamp printed in the report; None for reproducible output.
    layers : mapping, optional
        The layers, already loaded (e.g. to clip a street network to their
        boundary first); loaded with ``overrides`` when omitted.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    step = on_step or _no_step
    out = Path(out_dir)
    layers = load_layers(overrides) if layers is None else layers
    result = analyse(layers, config, network, on_step=step)
    run = None
    if scenario is not None:
        run = run_scenario(layers, scenario[1], scenario[0], config, network, before=result)
        step(f"scenario {scenario[0]}")
    sitings = run_sitings(layers, config, network) if siting else []
    step("siting")
    written = write_tables(out, layers, result)
    written += write_reports(out, layers, result, run, sitings, options, generated)
    step("report")
    if run is not None:
        written += write_scenario(out, run, config, options)
    for s in sitings:
        written += write_siting(out, layers, s, options)
    written += write_maps(out, layers, result, options, on_step=step)
    logger.info("wrote %d files into %s", len(written), out)
    return written


__all__ = [
    "EXPORT_FORMATS",
    "build_all",
    "plan_scenario",
    "write_coverage",
    "write_export",
    "write_maps",
    "write_pdf",
    "write_report",
    "write_reports",
    "write_scenario",
    "write_siting",
    "write_table",
    "write_tables",
]
