"""The main job, and the one place that writes outputs.

:func:`build_all` is what ``make maps`` / ``tianhe-geo build`` runs: load the
layers once (the boundary read once), analyse once, reuse that analysis for
the scenario's "before", answer the siting questions, then write the tables,
the report, the scenario and siting outputs and the maps. The ``write_*``
functions are what the command line's narrower commands call; nothing else in
the package writes a file.
"""

from __future__ import annotations

import contextvars
import functools
import hashlib
import html
import logging
import os
import re
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar, cast

import geopandas as gpd
import pandas as pd

from .analysis.coverage import CoverageResult
from .analysis.distance import OnNetwork, StraightLine
from .analysis.network import WalkNetwork
from .analysis.partitioned import coverage_streamed
from .data.io import (
    csv_text,
    driver_for,
    geometry_families,
    write_bytes,
    write_text,
    write_vector,
)
from .data.layers import Overrides, load_layers
from .data.paths import LAYER_NAMES, PLAN_SCENARIO, plan_scenario_path
from .data.scenario_spec import Scenario, read_scenario
from .data.staging import staged_folder
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
from .foundation.i18n import standard_title
from .plan.completeness import Completeness
from .plan.run import PlanAnalysis, ScenarioRun, analyse, run_scenario
from .plan.siting_questions import SitingRun, run_sitings
from .present.mapkit import TianheMap, finish, new_map, render_html
from .present.maps import (
    MAP_NAMES,
    index_page,
    map_title,
    scenario_map,
    shipped_map,
    siting_map,
)
from .present.report import Report, build_report
from .present.styles import layer_style
from .present.tables import area_label, coverage_by_subdistrict, sites_lonlat, subdistrict_names

logger = logging.getLogger(__name__)

Layers = Mapping[str, gpd.GeoDataFrame]
Step = Callable[[str], None]

#: Export formats: name -> file suffix.
EXPORT_FORMATS = {"gpkg": ".gpkg", "parquet": ".parquet", "geojson": ".geojson", "shp": ".shp"}


def _bounds(layers: Layers) -> Sequence[float]:
    """Lon/lat bounds of the study area: maps centre on the data, not on Tianhe."""
    return tuple(layers["boundary"].to_crs(STORAGE_CRS).total_bounds)


def _no_step(_label: str) -> None:
    """A progress callback that shows nothing."""


# The staging folder being written into, so writers called by the main job
# write straight into its staging folder rather than staging again.
_STAGING: contextvars.ContextVar[Path | None] = contextvars.ContextVar("staging", default=None)
_Writer = TypeVar("_Writer", bound=Callable[..., Any])


def _staged(replace_manifest: bool = False) -> Callable[[_Writer], _Writer]:
    """Make a writer of a folder of outputs write into a staging folder moved in whole.

    See :mod:`tianhe_geo.data.staging`; the paths returned are the final ones.
    """

    def decorate(func: _Writer) -> _Writer:
        @functools.wraps(func)
        def wrapper(out_dir: str | os.PathLike[str], *args: Any, **kwargs: Any) -> Any:
            active, out = _STAGING.get(), Path(out_dir)
            if active is not None and out.absolute().is_relative_to(active):
                return func(out_dir, *args, **kwargs)
            with staged_folder(out, replace_manifest) as stage:
                token = _STAGING.set(stage)
                try:
                    written = func(stage, *args, **kwargs)
                finally:
                    _STAGING.reset(token)
            return [_final(item, stage, out) for item in written]

        return cast("_Writer", wrapper)

    return decorate


def _final(item: Any, stage: Path, out: Path) -> Any:
    """A written path (or a tuple holding one) moved from ``stage`` to ``out``."""
    if isinstance(item, tuple):
        return tuple(_final(x, stage, out) for x in item)
    if isinstance(item, Path) and item.is_relative_to(stage):
        return out / item.relative_to(stage)
    return item


@_staged()
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
        write_text(csv_text(by_sub, index=False), out / "coverage_by_subdistrict.csv"),
        write_text(csv_text(result.standards), out / "standards.csv"),
        write_text(csv_text(result.indicators), out / "indicators.csv"),
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
    return write_text(csv_text(table, index=index), path)


def _write_uncovered(results: Mapping[str, CoverageResult], path: Path) -> Path:
    frames = [out.uncovered.assign(standard=key) for key, out in results.items()]
    gdf = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    return write_vector(gdf.to_crs(STORAGE_CRS), path, layer="uncovered")


@_staged()
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


@_staged()
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


@_staged()
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
            page = render_html(_finished(tm, name, lang, options, locate=name == "resident"))
            written.append(write_text(page, Path(out_dir) / f"{name}_{lang}.html"))
            step(written[-1].name)
    written.append(write_map_index(out_dir, options))
    return written


def _finished(
    tm: TianheMap,
    stem: str,
    lang: str,
    options: OutputOptions,
    locate: bool = False,
    detail: str | None = None,
) -> TianheMap:
    """A map finished with its title, its language twin's link and the index link."""
    other = "en" if lang == "zh" else "zh"
    linked = f"{stem}_{other}.html" if other in options.langs else None
    title = map_title(stem, lang, detail)
    return finish(tm, other_url=linked, locate=locate, title=title, index_url=MAP_INDEX)


#: The page linking every map in an output folder.
MAP_INDEX = "index.html"


def write_map_index(
    out_dir: str | os.PathLike[str], options: OutputOptions = DEFAULT_OUTPUT
) -> Path:
    """Write ``index.html`` linking every map found in the folder (shipped, scenario, siting).

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    options : OutputOptions
        Languages the maps were written in.

    Returns
    -------
    pathlib.Path
        The index page.
    """
    out = Path(out_dir)
    lang = options.langs[0]
    found = {p.name[: -len(f"_{lang}.html")] for p in out.glob(f"*_{lang}.html")}
    found.discard("report")  # report_zh.html is the Chinese report, not a map
    shipped = [n for n in MAP_NAMES if n in found]
    stems = shipped + sorted(found - set(shipped))
    titles = {}
    for stem in stems:
        for lg in options.langs:
            page = out / f"{stem}_{lg}.html"
            head = page.read_text(encoding="utf-8")[:200_000] if page.exists() else ""
            found_title = re.search(r"<title>(.*?)</title>", head, re.S)
            if found_title:  # the page's own title, without the trailing " · index" part
                titles[stem, lg] = html.unescape(found_title.group(1)).rsplit(" · ", 1)[0]
    return write_text(index_page(stems, options.langs, titles), out / MAP_INDEX)


@_staged()
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
        write_text(csv_text(c.standards), out / f"{stem}_standards.csv"),
        write_text(csv_text(c.by_subdistrict, index=False), out / f"{stem}_by_subdistrict.csv"),
        write_text(csv_text(c.indicators), out / f"{stem}_indicators.csv"),
        write_vector(c.diff, out / f"{stem}_diff.gpkg", layer="diff"),
    ]
    if len(c.changes):
        written.append(write_vector(c.changes, out / f"{stem}_changes.geojson"))
    moved = c.standards.index[(c.standards["gained_pop"] + c.standards["lost_pop"]) > 0]
    for key in moved:
        for lang in options.langs:
            tm = new_map(lang, options.tiles, options.offline, bounds=_bounds(run.layers))
            scenario_map(run.layers, c, key, lang, m=tm, config=config)
            detail = standard_title(config.standard(key), lang)
            page = render_html(_finished(tm, f"{stem}_{key}", lang, options, detail=detail))
            written.append(write_text(page, out / f"{stem}_{key}_{lang}.html"))
    return written


@_staged()
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
    table = csv_text(pd.DataFrame(sites.drop(columns="geometry")))
    written = [
        write_vector(sites.reset_index(names="site"), out / f"siting_{run.key}.gpkg"),
        write_text(table, out / f"siting_{run.key}.csv"),
    ]
    for lang in options.langs:
        tm = new_map(lang, options.tiles, options.offline, bounds=_bounds(layers))
        siting_map(layers, r, run.existing, run.radius_m, lang, m=tm)
        detail = standard_title(run.standard, lang)
        page = render_html(_finished(tm, f"siting_{run.key}", lang, options, detail=detail))
        written.append(write_text(page, out / f"siting_{run.key}_{lang}.html"))
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
        return [write_text(csv_text(summary, index_label="group"), out)]
    driver_for(out)  # a clear message for an unknown suffix
    sub = layers["subdistricts"].set_index("code")
    district = gpd.GeoDataFrame(geometry=[layers["boundary"].union_all()], crs=sub.crs)
    district.index = pd.Index(["district"])
    polys = pd.concat([sub.geometry, district.geometry]).reindex(summary.index)
    frame = gpd.GeoDataFrame(
        summary.reset_index(names="group"), geometry=polys.to_numpy(), crs=sub.crs
    )
    unc = result.uncovered.to_crs(STORAGE_CRS)
    # The two files (a shapefile's parts too) are checked, then moved in together.
    with staged_folder(out.parent, manifest=False, beside=False) as stage:
        written = [
            write_vector(frame, stage / out.name, layer="coverage"),
            write_vector(unc, stage / f"{out.stem}_uncovered{out.suffix}", layer="uncovered"),
        ]
    return [out.with_name(p.name) for p in written]


@_staged()
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
    absent = [n for n in names if n not in layers]
    if absent:  # an optional layer (buildings, residential) the data lacks
        msg = f"layers {absent} are not loaded; loaded: {list(layers)}"
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
            style = layer_style(name, part) if fmt == "gpkg" else None  # QGIS opens it coloured
            dest = Path(out_dir) / f"{stem}{EXPORT_FORMATS[fmt]}"
            path = write_vector(part, dest, layer=name, style=style)
            written.append((path, len(part)))
    return written


#: Files an import writes beside its layers.
IMPORT_UNMAPPED = "import_unmapped.csv"
IMPORT_NOTES = "IMPORT.txt"
#: The walk network source in a data folder (the extract itself, see :func:`write_osm_import`).
NETWORK_STEM = "network"


def write_osm_import(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    boundary_relation: int | None = None,
) -> list[tuple[Path, int]]:
    """Import an OpenStreetMap extract into a data folder (``--data DIR`` reads it).

    Writes one GeoJSON per layer the extract holds (see
    :func:`tianhe_geo.data.osm_import.import_osm`), ``import_unmapped.csv``
    (objects no category fits), ``IMPORT.txt`` (attribution and notes) and a
    copy of the extract as ``network.osm.pbf`` / ``network.osm``: the walk
    network source, read with the walk rule when a command measures walking.

    Parameters
    ----------
    path : path-like
        ``.osm`` or ``.osm.pbf`` extract.
    out_dir : path-like
        Data folder (created).
    boundary_relation : int, optional
        OSM relation id of the study area.

    Returns
    -------
    list of (pathlib.Path, int)
        Each file written and its number of rows (features, unmapped objects,
        notes; 0 for the network copy).
    """
    from .data.osm_import import ATTRIBUTION, import_osm

    result = import_osm(path, boundary_relation)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        (write_vector(gdf.to_crs(STORAGE_CRS), out / f"{name}.geojson"), len(gdf))
        for name, gdf in result.layers.items()
    ]
    written.append(
        (write_table(result.unmapped, out / IMPORT_UNMAPPED, index=False), len(result.unmapped))
    )
    lines = [f"Imported from {Path(path).name}. Data {ATTRIBUTION}.", *result.notes]
    written.append((write_text("\n".join(lines) + "\n", out / IMPORT_NOTES), len(result.notes)))
    suffix = ".osm.pbf" if str(path).endswith(".pbf") else ".osm"
    written.append((write_bytes(Path(path).read_bytes(), out / f"{NETWORK_STEM}{suffix}"), 0))
    return written


POIS_UNMAPPED = "pois_unmapped.csv"


def write_poi_import(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    datum: str | None = None,
    replace: bool = False,
) -> tuple[list[tuple[Path, int]], list[str]]:
    """Import a POI table as the ``facilities`` layer of a data folder.

    The study area is the folder's ``boundary.geojson`` when it has one (an
    earlier ``import osm``), else the shipped boundary.

    Parameters
    ----------
    path : path-like
        ``.csv`` / ``.xlsx`` table.
    out_dir : path-like
        Data folder (created).
    datum : {'wgs84', 'gcj02', 'bd09'}, optional
        Datum of the table's coordinates (None: checked for GCJ-02, see
        :func:`tianhe_geo.data.poi_import.import_pois`).
    replace : bool, default False
        Overwrite the folder's ``facilities.geojson``.

    Returns
    -------
    (list of (pathlib.Path, int), list of str)
        Files written with their rows (``facilities.geojson``,
        ``pois_unmapped.csv``), and notes.

    Raises
    ------
    DataSourceError
        The folder already has facilities and ``replace`` is False.
    """
    from .data.layers import load_layer, read_layer_file
    from .data.poi_import import import_pois
    from .foundation.errors import DataSourceError

    out = Path(out_dir)
    dest = out / "facilities.geojson"
    if dest.exists() and not replace:
        msg = f"{dest} exists (an earlier import); give --replace to overwrite it"
        raise DataSourceError(msg)
    own = out / "boundary.geojson"
    boundary = read_layer_file(own, "boundary") if own.exists() else load_layer("boundary")
    result = import_pois(path, datum, boundary)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        (write_vector(result.facilities, dest), len(result.facilities)),
        (write_table(result.unmapped, out / POIS_UNMAPPED, index=False), len(result.unmapped)),
    ]
    return written, result.notes


def _folder_land(out: Path) -> gpd.GeoDataFrame | None:
    """Residential land from a data folder's ``residential`` / ``buildings`` layers, if any.

    The same land :func:`~tianhe_geo.data.census_import.residential_land` reads
    from an extract: all of ``residential``, and the buildings whose ``building``
    tag is a residential one; None when the folder holds neither layer.
    """
    import geopandas as gpd
    import pandas as pd

    from .data.census_import import RESIDENTIAL_TAGS
    from .data.layers import data_folder, read_layer_file
    from .foundation.errors import DataSourceError

    try:
        found = data_folder(out)[0]
    except DataSourceError:  # no folder yet, or one without layer files
        return None
    files = {n: found[n] for n in ("residential", "buildings") if n in found}
    if not files:
        return None
    boundary = read_layer_file(found["boundary"], "boundary") if "boundary" in found else None
    parts = []
    for name, file in files.items():
        gdf = read_layer_file(file, name, boundary=boundary)
        if name == "buildings":
            gdf = gdf[gdf["building"].isin(dict(RESIDENTIAL_TAGS)["building"])]
        ids = gdf["osm_id"] if "osm_id" in gdf.columns else pd.Series(gdf.index, index=gdf.index)
        parts.append(
            gpd.GeoDataFrame(
                {"osm_id": ids.astype(str).to_numpy()},
                geometry=gdf.geometry.to_numpy(),
                crs=gdf.crs,
            )
        )
    land = pd.concat(parts, ignore_index=True)
    return gpd.GeoDataFrame(land, geometry="geometry", crs=parts[0].crs).to_crs(STORAGE_CRS)


def write_census_import(
    path: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    column: str,
    land: str | os.PathLike[str] | None = None,
    datum: str | None = None,
) -> tuple[Path, int, float]:
    """Allocate a census table to residential land and write ``residents.geojson``.

    Parameters
    ----------
    path : path-like
        Census units (see :func:`tianhe_geo.data.census_import.read_units`).
    out_dir : path-like
        Data folder; its ``subdistricts`` (else the shipped ones) code the residents.
    column : str
        Population column.
    land : path-like, optional
        OSM extract to take residential land from (default: the folder's
        ``residential`` / ``buildings`` layers when present, else its
        ``network.osm.pbf`` / ``.osm``; none: units keep their areas).
    datum : {'wgs84', 'gcj02', 'bd09'}, optional
        Datum of a table's coordinates.

    Returns
    -------
    (pathlib.Path, int, float)
        The file, its number of pieces, and the population written.
    """
    import geopandas as gpd

    from .data.census_import import allocate, read_units, residential_land
    from .data.layers import load_layer, read_layer_file

    out = Path(out_dir)
    own = out / "subdistricts.geojson"
    sub = (
        read_layer_file(
            own, "subdistricts", boundary=read_layer_file(out / "boundary.geojson", "boundary")
        )
        if own.exists()
        else load_layer("subdistricts")
    )
    parcels = _folder_land(out) if land is None else None
    if parcels is None and land is None:
        land = next(
            (
                p
                for p in (out / f"{NETWORK_STEM}.osm.pbf", out / f"{NETWORK_STEM}.osm")
                if p.exists()
            ),
            None,
        )
    if parcels is None:
        empty = gpd.GeoDataFrame(geometry=[], crs=STORAGE_CRS)
        parcels = residential_land(land) if land else empty
    residents = allocate(read_units(path, datum), column, parcels, sub, Path(path).name)
    out.mkdir(parents=True, exist_ok=True)
    dest = write_vector(residents, out / "residents.geojson")
    return dest, len(residents), float(residents["population"].sum())


def plan_scenario() -> tuple[str, Scenario]:
    """The shipped plan scenario and its key (``plan2025``)."""
    return PLAN_SCENARIO, read_scenario(plan_scenario_path())


@_staged(replace_manifest=True)
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


def coverage_to_parquet(
    residents: Any,
    layers: Mapping[str, gpd.GeoDataFrame],
    thresholds: float | Sequence[float] | Mapping[str, float | Sequence[float]],
    out: str | os.PathLike[str],
    *,
    distance: StraightLine | OnNetwork | None = None,
    population: str = "population",
    group: str | None = None,
    crs: Any = None,
) -> pd.DataFrame:
    """Streamed coverage of a partitioned frame: per-resident results to partitioned GeoParquet.

    Each partition writes ``out/part.<n>.parquet`` on its worker
    (:func:`~tianhe_geo.analysis.partitioned.coverage_streamed`) and returns only
    its sums; read the results back with ``dask_geopandas.read_parquet(out)``.

    Parameters
    ----------
    residents : dask_geopandas.GeoDataFrame or dask.dataframe.DataFrame
        Residents with a population column, projected CRS; or a dask frame
        with ``x`` and ``y`` columns in ``crs`` (coordinates).
    layers : mapping
        Layer name -> facilities.
    thresholds : float, sequence of float, or mapping
        Metres for every layer, or per layer.
    out : path-like
        Folder of the GeoParquet dataset (created).
    distance : StraightLine or OnNetwork, optional
        How to measure; straight line when omitted.
    population : str, default "population"
        Column of persons.
    group : str, optional
        Column to summarise by.
    crs : str, int or pyproj.CRS, optional
        The projected CRS of residents given as coordinates.

    Returns
    -------
    pandas.DataFrame
        The shares, as :func:`~tianhe_geo.analysis.coverage.coverage_many`.
    """
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    sink = functools.partial(write_partition, folder)
    return coverage_streamed(
        residents, layers, thresholds, distance=distance, population=population, group=group,
        sink=sink, crs=crs,
    )  # fmt: skip


def write_partition(folder: Path, number: int, frame: gpd.GeoDataFrame) -> Path:
    """Write one partition's per-resident results as ``folder/part.<number>.parquet``.

    Parameters
    ----------
    folder : pathlib.Path
        The dataset's folder.
    number : int
        Partition number (>= 0).
    frame : geopandas.GeoDataFrame
        The partition's results.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    return write_vector(frame, folder / f"part.{number:05d}.parquet", index=None)  # residents' ids


__all__ = [
    "EXPORT_FORMATS",
    "build_all",
    "coverage_to_parquet",
    "plan_scenario",
    "write_coverage",
    "write_export",
    "write_map_index",
    "write_maps",
    "write_partition",
    "write_pdf",
    "write_report",
    "write_reports",
    "write_scenario",
    "write_siting",
    "write_table",
    "write_tables",
]
