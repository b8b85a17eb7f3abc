"""The planning report: one self-contained HTML page and the same in Markdown.

Rendering only: the figures come in as :class:`~tianhe_geo.analysis.PlanAnalysis`,
:class:`ScenarioRun` and :class:`SitingRun`; :mod:`tianhe_geo.build` computes
them and decides what to write where.
"""

from __future__ import annotations

import base64
import html
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import geopandas as gpd
import pandas as pd

from . import charts
from .analysis import PlanAnalysis
from .config import DEFAULT_CONFIG, STANDARDS, AnalysisConfig
from .io import write_bytes, write_text
from .layers import describe_layers, subdistrict_names
from .scenario import Scenario, ScenarioComparison
from .siting import SitingResult

logger = logging.getLogger(__name__)

#: Standards charted per subdistrict in the report.
CHARTED = ("gbt51346-park-500", "life15-health", "life10-primary", "sdg-11.2.1-rail")


def coverage_by_subdistrict(result: PlanAnalysis, names: pd.Series) -> pd.DataFrame:
    """One row per subdistrict and standard: population, covered, share.

    Parameters
    ----------
    result : PlanAnalysis
        Output of :func:`tianhe_geo.analysis.analyse`.
    names : pandas.Series
        Subdistrict name by code (``district`` is added).

    Returns
    -------
    pandas.DataFrame
        Long table: ``subdistrict``, ``name``, ``standard``, ``radius_m``,
        ``population``, ``covered_pop``, ``share``.
    """
    frames = []
    for key, out in result.results.items():
        (radius,) = out.thresholds
        r = f"{radius:g}"
        s = out.summary
        frames.append(
            pd.DataFrame(
                {
                    "subdistrict": s.index,
                    "name": s.index.map(lambda c: names.get(c, "天河区 Tianhe District")),
                    "standard": key,
                    "radius_m": radius,
                    "population": s["population"].round(0).to_numpy(),
                    "covered_pop": s[f"covered_pop_{r}"].round(0).to_numpy(),
                    "share": s[f"share_{r}"].round(4).to_numpy(),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def method_notes(result: PlanAnalysis, config: AnalysisConfig) -> list[str]:
    """How the figures were obtained, one sentence each.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results (their distance method).
    config : AnalysisConfig
        Settings used.

    Returns
    -------
    list of str
        Plain-text notes.
    """
    if result.method == "street network":
        distance = (
            "Distance: walking distance along the street network given (OSM extract); "
            f"points farther than {config.max_snap_m:g} m from it are neither covered nor "
            "uncovered."
        )
    else:
        distance = (
            f"Distance: straight line × {config.detour_factor:g} (no street network given). "
            "Straight lines understate walking distance, so shares are upper bounds for the "
            "facilities recorded; pass an OSM extract or a detour factor of 1.2-1.4 for "
            "walking estimates."
        )
    return [
        distance,
        "Residents: modelled 100 m population grid from the 2020 census counts of the 21 "
        "subdistricts (dasymetric: parks and water hold nobody); subdistrict polygons are "
        "approximate.",
        f"Facilities up to {config.facility_buffer_m:g} m outside the district count, since "
        "they serve residents near the edge; only existing / operating facilities count.",
        "Standards (radius, target share, source) are the presets in tianhe_geo.config; "
        "each row of the standards table names its source.",
        f"2SFCA: doctors per 1,000 residents within {config.catchment_2sfca_m:g} m and "
        f"hospital beds per 1,000 within {config.catchment_beds_m:g} m, from the facilities "
        "whose capacity is recorded (none for doctors in the shipped data: not measured).",
        "The shipped park and facility layers are incomplete and their positions carry the "
        "stated accuracy (see the sources table and data/geo/SOURCES.md): shares are lower "
        "bounds of what the real facilities give; capacity indicators count only recorded "
        "capacities.",
    ]


@dataclass(frozen=True)
class ScenarioRun:
    """A scenario applied and compared, ready for the report.

    Attributes
    ----------
    key : str
        Short name used in file names (e.g. the scenario file's stem).
    scenario : Scenario
        The scenario.
    layers : dict
        Layers after the scenario.
    comparison : ScenarioComparison
        Before / after.
    """

    key: str
    scenario: Scenario
    layers: dict
    comparison: ScenarioComparison


@dataclass(frozen=True)
class SitingRun:
    """A siting question answered, ready for the report.

    Attributes
    ----------
    key : str
        Short name used in file names.
    question : str
        The question in words.
    standard : str
        Standard whose facilities were kept and whose radius covers.
    result : SitingResult
        The model's answer.
    existing : geopandas.GeoDataFrame
        Facilities kept fixed.
    """

    key: str
    question: str
    standard: str
    result: SitingResult
    existing: gpd.GeoDataFrame


def siting_table(runs: Sequence[SitingRun]) -> pd.DataFrame:
    """One row per siting question: sites, coverage before / after, solver status.

    Parameters
    ----------
    runs : sequence of SitingRun
        Answered questions.

    Returns
    -------
    pandas.DataFrame
        Indexed by question.
    """
    rows = {
        r.question: {
            "new_sites": len(r.result.chosen),
            "share_before": _pct(r.result.share_before),
            "share_after": _pct(r.result.share_after),
            "newly_covered": round(r.result.covered_after - r.result.covered_before),
            "status": r.result.status,
            "gap": f"{100 * r.result.gap:.2f} %",
            "solve_s": round(r.result.solve_seconds, 1),
        }
        for r in runs
    }
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("question")


def sites_lonlat(result: SitingResult) -> gpd.GeoDataFrame:
    """The chosen sites in WGS-84 with ``lon`` / ``lat`` columns (6 decimals, ~0.1 m).

    Parameters
    ----------
    result : SitingResult
        A siting answer.

    Returns
    -------
    geopandas.GeoDataFrame
        ``result.chosen`` in EPSG:4326 plus ``lon`` and ``lat``.
    """
    sites = result.chosen.to_crs("EPSG:4326")
    sites["lon"], sites["lat"] = sites.geometry.x.round(6), sites.geometry.y.round(6)
    return sites


SITING_NOTE = (
    "Siting: exact integer programmes (PuLP + CBC) over candidate points on a 250 m grid "
    "outside existing parks, existing facilities kept; the grid stands in for buildable "
    "land, which the shipped data does not hold, so the sites show where need is, not parcels."
)


def _pct(v: float) -> str:
    return "—" if pd.isna(v) else f"{100 * v:.1f} %"


def _standards_view(result: PlanAnalysis) -> pd.DataFrame:
    std = result.standards
    return pd.DataFrame(
        {
            "standard": std["name_en"],
            "radius_m": std["radius_m"].map("{:g}".format),
            "share": std["share"].map(_pct),
            "target": std["target"].map(lambda v: "—" if pd.isna(v) else f"> {100 * v:.0f} %"),
            "met": [
                "—" if pd.isna(t) else met_label(m)
                for t, m in zip(std["target"], std["met"], strict=True)
            ],
            "uncovered_pop": std["uncovered_pop"].round(0).astype(int),
            "source": std["source"],
        },
        index=std.index,
    )


def met_label(met: bool | None) -> str:
    """How an indicator's met flag reads in tables: yes, no or unknown."""
    if met is None or pd.isna(met):
        return "unknown"
    return "yes" if met else "no"


def _indicators_view(result: PlanAnalysis) -> pd.DataFrame:
    ind = result.indicators
    published = [
        "—" if pd.isna(v) else f"{v:,.2f} ({y}, {src})"
        for v, y, src in zip(
            ind["published"], ind["published_year"], ind["published_source"], strict=True
        )
    ]
    return ind[["value", "target", "unit", "gap", "met", "basis"]].assign(
        met=ind["met"].map(met_label),
        value=ind["value"].round(2),
        gap=ind["gap"].round(2),
        from_layers=ind["computed"].round(2),
        published=published,
    )


def _wide_shares(by_sub: pd.DataFrame) -> pd.DataFrame:
    return by_sub.pivot(index="name", columns="standard", values="share").mul(100).round(1)


def _scenario_view(run: ScenarioRun) -> pd.DataFrame:
    t = run.comparison.standards
    return pd.DataFrame(
        {
            "share_before": t["share_before"].map(_pct),
            "share_after": t["share_after"].map(_pct),
            "change_pp": t["change_pp"].round(2),
            "gained_pop": t["gained_pop"].round(0).astype(int),
            "lost_pop": t["lost_pop"].round(0).astype(int),
        }
    )


def report_charts(
    result: PlanAnalysis,
    layers: dict[str, gpd.GeoDataFrame],
    run: ScenarioRun | None = None,
) -> dict[str, bytes]:
    """Render the report's charts.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    layers : dict
        Loaded layers (subdistrict names).
    run : ScenarioRun, optional
        A scenario to chart.

    Returns
    -------
    dict
        File name (``*.png``) -> PNG bytes.
    """
    names = layers["subdistricts"].set_index("code")["name_en"].str.replace(" Subdistrict", "")
    out = {"indicators.png": charts.indicators_vs_target(result.indicators)}
    for key in CHARTED:
        if key not in result.results:
            continue
        std = STANDARDS[key]
        share = result.results[key].share().drop("district")
        out[f"share_{key}.png"] = charts.share_by_subdistrict(
            share.rename(index=names), std.name_en, std.target_share
        )
    if run is not None:
        out["scenario.png"] = charts.scenario_change(
            run.comparison.standards, f"Before / after: {run.scenario.name}"
        )
    return out


def markdown_report(
    result: PlanAnalysis,
    by_sub: pd.DataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    config: AnalysisConfig,
    run: ScenarioRun | None = None,
    chart_files: Sequence[str] = (),
    sitings: Sequence[SitingRun] = (),
) -> str:
    """The report as Markdown (charts referenced as files beside it).

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    by_sub : pandas.DataFrame
        Output of :func:`coverage_by_subdistrict`.
    layers : dict
        Loaded layers (for the sources table).
    config : AnalysisConfig
        Settings used.
    run : ScenarioRun, optional
        Scenario before / after.
    chart_files : sequence of str
        Relative paths of chart images to link.
    sitings : sequence of SitingRun
        Siting questions answered.

    Returns
    -------
    str
        Markdown text.
    """
    parts = ["# Tianhe planning report / 天河区规划评估报告", "", "## Method / 方法", ""]
    parts += [f"- {note}" for note in method_notes(result, config)]
    parts += ["", "## Plan indicators (2025 targets) / 规划指标", ""]
    parts += [_indicators_view(result).to_markdown(), ""]
    parts += ["## Standards (district) / 标准覆盖率", "", _standards_view(result).to_markdown()]
    parts += ["", "## Share covered by subdistrict (%) / 分街道覆盖率", ""]
    parts += [_wide_shares(by_sub).to_markdown(), ""]
    if run is not None:
        parts += [f"## Scenario: {run.scenario.name} / {run.scenario.name_zh}", ""]
        parts += [run.scenario.description, "", _scenario_view(run).to_markdown(), ""]
    if sitings:
        parts += ["## Where next: siting / 设施选址", "", SITING_NOTE, ""]
        parts += [siting_table(sitings).to_markdown(), ""]
    parts += [f"![{Path(f).stem}]({f})" for f in chart_files]
    parts += ["", "## Data sources and accuracy / 数据来源与精度", ""]
    parts += [describe_layers(layers).to_markdown(), "", "Details: data/geo/SOURCES.md.", ""]
    return "\n".join(parts)


def _table_html(df: pd.DataFrame) -> str:
    # to_html escapes cell text; the report is public.
    return df.to_html(escape=True, na_rep="—", border=0, classes="t")


def _img(name: str, png: bytes) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{data}"></figure>'


def _iframe(title: str, page: str) -> str:
    return (
        f"<h3>{html.escape(title)}</h3>"
        f'<iframe title="{html.escape(title)}" srcdoc="{html.escape(page, quote=True)}" '
        'loading="lazy"></iframe>'
    )


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table.t{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
table.t td,table.t th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}
td{vertical-align:top}
figure{margin:1em 0}img{max-width:100%}
iframe{width:100%;height:560px;border:1px solid #ccc}
.note{background:#fff8e1;padding:.5em 1em;border-left:4px solid #f9a825}
"""


def html_report(
    result: PlanAnalysis,
    by_sub: pd.DataFrame,
    layers: dict[str, gpd.GeoDataFrame],
    config: AnalysisConfig,
    pngs: dict[str, bytes],
    maps: dict[str, str],
    run: ScenarioRun | None = None,
    sitings: Sequence[SitingRun] = (),
) -> str:
    """The report as one self-contained HTML page (charts and maps inline).

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    by_sub : pandas.DataFrame
        Output of :func:`coverage_by_subdistrict`.
    layers : dict
        Loaded layers (for the sources table).
    config : AnalysisConfig
        Settings used.
    pngs : dict
        Chart name -> PNG bytes (from :func:`report_charts`).
    maps : dict
        Map title -> complete map HTML, embedded with ``iframe srcdoc``.
    run : ScenarioRun, optional
        Scenario before / after.
    sitings : sequence of SitingRun
        Siting questions answered.

    Returns
    -------
    str
        HTML text.
    """
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = [
        "<h1>Tianhe planning report / 天河区规划评估报告</h1>",
        f"<p>Generated {stamp} by tianhe-geo.</p>",
        '<div class="note"><h2>Method / 方法</h2><ul>',
        *[f"<li>{html.escape(n)}</li>" for n in method_notes(result, config)],
        "</ul></div>",
        "<h2>Plan indicators (2025 targets) / 规划指标</h2>",
        _table_html(_indicators_view(result)),
        _img("indicators", pngs["indicators.png"]),
        "<h2>Standards (district) / 标准覆盖率</h2>",
        _table_html(_standards_view(result)),
        "<h2>Share covered by subdistrict (%) / 分街道覆盖率</h2>",
        _table_html(_wide_shares(by_sub)),
        *[_img(k, v) for k, v in pngs.items() if k.startswith("share_")],
    ]
    if run is not None:
        body += [
            f"<h2>Scenario: {html.escape(run.scenario.name)} / "
            f"{html.escape(run.scenario.name_zh)}</h2>",
            f"<p>{html.escape(run.scenario.description)}</p>",
            _table_html(_scenario_view(run)),
            _img("scenario", pngs["scenario.png"]),
        ]
    if sitings:
        body += [
            "<h2>Where next: siting / 设施选址</h2>",
            f"<p>{html.escape(SITING_NOTE)}</p>",
            _table_html(siting_table(sitings)),
        ]
    body += ["<h2>Maps / 地图</h2>", *[_iframe(t, p) for t, p in maps.items()]]
    body += [
        "<h2>Data sources and accuracy / 数据来源与精度</h2>",
        "<p>accuracy_m: min / median / max stated positional accuracy in metres; "
        "approximate: rows flagged approximate, schematic or modelled. Details in "
        "data/geo/SOURCES.md.</p>",
        _table_html(describe_layers(layers)),
    ]
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Tianhe planning report</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>"
    )


def write_report(
    out_dir: str | os.PathLike[str],
    layers: dict[str, gpd.GeoDataFrame],
    result: PlanAnalysis,
    config: AnalysisConfig = DEFAULT_CONFIG,
    run: ScenarioRun | None = None,
    lang: str = "en",
    sitings: Sequence[SitingRun] = (),
) -> list[Path]:
    """Write ``report.html`` (self-contained) and ``report.md`` with ``charts/*.png``.

    Parameters
    ----------
    out_dir : path-like
        Output folder.
    layers : dict
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    config : AnalysisConfig
        Settings used.
    run : ScenarioRun, optional
        Scenario before / after to include.
    lang : {'zh', 'en'}
        Language of the embedded maps.
    sitings : sequence of SitingRun
        Siting questions answered; the first is also embedded as a map.

    Returns
    -------
    list of pathlib.Path
        Files written.
    """
    from .mapping import add_legends_and_controls, new_map, render_html
    from .maps import dashboard_map, parks_map, siting_map

    out = Path(out_dir)
    names = subdistrict_names(layers["subdistricts"])
    by_sub = coverage_by_subdistrict(result, names)
    pngs = report_charts(result, layers, run)
    written = [write_bytes(png, out / "charts" / name) for name, png in pngs.items()]

    def base():  # honours the offline / CDN choice
        return new_map(lang, config.tiles, config.offline)

    maps = {
        "Coverage by subdistrict": dashboard_map(layers, result, lang, config.tiles, base()),
        "Parks and their 500 m reach": parks_map(layers, result, lang, config.tiles, base()),
    }
    for r in sitings[:1]:
        radius = config.standard(r.standard).radius_m
        maps[r.question] = siting_map(
            layers, r.result, r.existing, radius, lang, config.tiles, base()
        )
    pages = {t: render_html(add_legends_and_controls(m)) for t, m in maps.items()}
    files = [f"charts/{n}" for n in pngs]
    md = markdown_report(result, by_sub, layers, config, run, files, sitings)
    written.append(write_text(md, out / "report.md"))
    page = html_report(result, by_sub, layers, config, pngs, pages, run, sitings)
    written.append(write_text(page, out / "report.html"))
    return written
