"""The planning report: an ordered list of sections, rendered as one HTML page or as Markdown.

:func:`build_report` assembles a :class:`Report` from a planning run (pure: it
renders charts and maps into memory, never writes). :meth:`Report.to_html`
and :meth:`Report.to_markdown` each walk the sections once; every piece of
text is escaped for its format there, so a hostile name in the data shows as
text in both. The pipeline writes the files.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath

import geopandas as gpd
import pandas as pd

from ..foundation.config import DEFAULT_OUTPUT, OutputOptions
from ..foundation.i18n import label, standard_title
from ..plan.run import PlanAnalysis, ScenarioRun
from ..plan.siting_questions import SitingRun
from . import charts
from .mapkit import TianheMap, finish, new_map, render_html
from .maps import dashboard_map, parks_map, siting_map
from .tables import (
    area_label,
    coverage_by_subdistrict,
    describe_layers,
    indicators_view,
    method_text,
    scenario_view,
    siting_table,
    standards_view,
    subdistrict_names,
    wide_shares,
)

Layers = Mapping[str, gpd.GeoDataFrame]

#: Standards charted per subdistrict in the report.
CHARTED = ("gbt51346-park-500", "life15-health", "life10-primary", "sdg-11.2.1-rail")

#: Grid spacing of the siting candidates the report's questions use, metres.
SITING_SPACING_M = 250.0


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Bullets:
    """A list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Table:
    """A table (cells are plain text or numbers)."""

    frame: pd.DataFrame


@dataclass(frozen=True)
class Figure:
    """A chart, by its file name in :attr:`Report.charts`."""

    name: str


@dataclass(frozen=True)
class Frame:
    """A live map: its title and its complete HTML page."""

    title: str
    page: str


Block = Text | Bullets | Table | Figure | Frame


@dataclass(frozen=True)
class Section:
    """A titled part of the report."""

    title: str
    blocks: tuple[Block, ...]
    note: bool = False


@dataclass(frozen=True)
class Report:
    """A report ready to render.

    Attributes
    ----------
    title : str
        The report's title.
    lang : {'zh', 'en'}
        Its language.
    sections : tuple of Section
        In order.
    charts : dict
        Chart file name (``*.png``) -> PNG bytes.
    generated : str, optional
        When it was made (shown when given; leave out for reproducible output).
    """

    title: str
    lang: str
    sections: tuple[Section, ...]
    charts: dict[str, bytes] = field(default_factory=dict)
    generated: str | None = None

    def to_markdown(self, chart_dir: str = "charts") -> str:
        """The report as Markdown, charts linked as ``<chart_dir>/<name>``; maps are left out."""
        parts = [f"# {_md(self.title)}", ""]
        if self.generated:
            parts += [_md(self.generated), ""]
        for section in self.sections:
            parts += [f"## {_md(section.title)}", ""]
            for block in section.blocks:
                parts += [*_block_md(block, chart_dir), ""]
        return "\n".join(parts)

    def to_html(self) -> str:
        """The report as one self-contained HTML page (charts and maps inline)."""
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        if self.generated:
            body.append(f"<p>{html.escape(self.generated)}</p>")
        for section in self.sections:
            inner = "".join(_block_html(b, self.charts) for b in section.blocks)
            heading = f"<h2>{html.escape(section.title)}</h2>"
            body.append(
                f'<div class="note">{heading}{inner}</div>' if section.note else heading + inner
            )
        return (
            f'<!DOCTYPE html><html lang="{self.lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(self.title)}</title><style>{_CSS}</style></head><body>"
            + "\n".join(body)
            + "</body></html>"
        )


# Inline syntax that could turn text into markup: emphasis, code, links and images,
# table cells. HTML is escaped separately, so no tag or autolink survives either.
_MD_INLINE = re.compile(r"([\\`*_\[\]|~])")
# Syntax that only counts at the start of a line: headings, lists, quotes.
_MD_LEADING = re.compile(r"^(\s*)([#+\-=]|\d+[.)])")


def _md(text: object) -> str:
    """Plain text made inert in Markdown: HTML escaped, markup characters backslashed."""
    flat = html.escape(str(text), quote=False).replace("\r", " ").replace("\n", " ")
    inline = _MD_INLINE.sub(r"\\\1", flat)
    return _MD_LEADING.sub(lambda m: m[1] + _leading(m[2]), inline)


def _leading(mark: str) -> str:
    r"""``#`` -> ``\#``; ``1.`` -> ``1\.``: the form Markdown reads as text."""
    return mark[:-1] + "\\" + mark[-1] if mark[0].isdigit() else "\\" + mark


def _block_md(block: Block, chart_dir: str) -> list[str]:
    if isinstance(block, Text):
        return [_md(block.text)]
    if isinstance(block, Bullets):
        return [f"- {_md(item)}" for item in block.items]
    if isinstance(block, Table):
        frame = block.frame.copy()
        frame.index = frame.index.map(_md)
        frame.columns = frame.columns.map(_md)
        cells = frame.map(lambda v: _md(v) if isinstance(v, str) else v)
        return [cells.to_markdown()]
    if isinstance(block, Figure):
        stem = PurePosixPath(block.name).stem
        return [f"![{_md(stem)}]({chart_dir}/{block.name})"]
    return []  # a live map has no Markdown form


def _block_html(block: Block, pngs: Mapping[str, bytes]) -> str:
    if isinstance(block, Text):
        return f"<p>{html.escape(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        # to_html escapes cell text; the report is public.
        return str(block.frame.to_html(escape=True, na_rep="—", border=0, classes="t"))
    if isinstance(block, Figure):
        data = base64.b64encode(pngs[block.name]).decode("ascii")
        alt = html.escape(PurePosixPath(block.name).stem)
        return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>'
    title, page = html.escape(block.title), html.escape(block.page, quote=True)
    return f'<h3>{title}</h3><iframe title="{title}" srcdoc="{page}" loading="lazy"></iframe>'


_CSS = """
body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}
table.t{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
table.t td,table.t th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left}
td{vertical-align:top}
figure{margin:1em 0}img{max-width:100%}
iframe{width:100%;height:560px;border:1px solid #ccc}
.note{background:#fff8e1;padding:.5em 1em;border-left:4px solid #f9a825}
"""


def method_notes(result: PlanAnalysis, lang: str = "en") -> list[str]:
    """How the figures were obtained, one sentence each, from the run's own settings.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results (their distance method and settings).
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    list of str
        Plain-text notes.
    """
    method, config = result.method, result.config
    if method.kind == "network":
        distance = label("note_distance_network", lang, snap=method.max_snap_m or 0)
    elif method.kind == "straight_line":
        distance = label("note_distance_straight", lang, detour=method.detour_factor)
    else:
        distance = label("note_distance_table", lang)
    doctors = "note_2sfca" if result.doctors.measured else "note_2sfca_no_doctors"
    return [
        distance,
        label("note_all_measures", lang, method=method_text(method, lang)),
        label("note_residents", lang),
        label("note_buffer", lang, buffer=config.facility_buffer_m),
        label("note_standards", lang),
        label(doctors, lang, doctors=result.doctors.catchment_m, beds=result.beds.catchment_m),
        label("note_incomplete", lang),
    ]


def report_charts(
    result: PlanAnalysis, layers: Layers, run: ScenarioRun | None = None
) -> dict[str, bytes]:
    """Render the report's charts.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    layers : mapping
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
        std = result.config.standard(key)
        share = result.results[key].share().drop("district")
        out[f"share_{key}.png"] = charts.share_by_subdistrict(
            share.rename(index=names), standard_title(std, "en"), std.target_share
        )
    if run is not None:
        out["scenario.png"] = charts.scenario_change(
            run.comparison.standards, f"Before / after: {run.scenario.name}"
        )
    return out


def report_maps(
    layers: Layers,
    result: PlanAnalysis,
    sitings: Sequence[SitingRun] = (),
    lang: str = "en",
    options: OutputOptions = DEFAULT_OUTPUT,
) -> list[Frame]:
    """The live maps the report embeds: coverage by subdistrict, parks, the first siting answer.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    sitings : sequence of SitingRun
        Siting answers; the first is embedded.
    lang : {'zh', 'en'}
        Language.
    options : OutputOptions
        Basemap and offline choice.

    Returns
    -------
    list of Frame
        Title and finished page of each map.
    """

    def base() -> TianheMap:  # honours the offline / CDN choice
        return new_map(lang, options.tiles, options.offline)

    park = standard_title(result.config.standard("park-500"), lang)
    maps = [
        (label("map_dashboard", lang), dashboard_map(layers, result, lang, m=base())),
        (label("map_parks", lang, standard=park), parks_map(layers, result, lang, m=base())),
    ]
    for r in sitings[:1]:
        answer = siting_map(layers, r.result, r.existing, r.radius_m, lang, m=base())
        maps.append((r.text(lang), answer))
    return [Frame(title, render_html(finish(m))) for title, m in maps]


def build_report(
    layers: Layers,
    result: PlanAnalysis,
    run: ScenarioRun | None = None,
    sitings: Sequence[SitingRun] = (),
    lang: str = "en",
    options: OutputOptions = DEFAULT_OUTPUT,
    generated: str | None = None,
) -> Report:
    """The planning report of a run, ready to render.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    run : ScenarioRun, optional
        Scenario before / after to include.
    sitings : sequence of SitingRun
        Siting questions answered; the first is also embedded as a map.
    lang : {'zh', 'en'}
        Language of the headings, notes and maps.
    options : OutputOptions
        Basemap and offline choice of the embedded maps.
    generated : str, optional
        A timestamp to print (e.g. ``"2026-12-02 06:00 UTC"``); None for
        reproducible output.

    Returns
    -------
    Report
        The sections and charts.
    """
    names = subdistrict_names(layers["subdistricts"])
    by_sub = coverage_by_subdistrict(result, names, area_label(layers["boundary"]))
    pngs = report_charts(result, layers, run)
    shares = tuple(Figure(k) for k in pngs if k.startswith("share_"))
    sections = [
        Section(label("h_method", lang), (Bullets(tuple(method_notes(result, lang))),), note=True),
        Section(
            label("h_indicators", lang),
            (Table(indicators_view(result)), Figure("indicators.png")),
        ),
        Section(label("h_standards", lang), (Table(standards_view(result, lang)),)),
        Section(label("h_by_subdistrict", lang), (Table(wide_shares(by_sub)), *shares)),
    ]
    if run is not None:
        name = run.scenario.name_zh if lang == "zh" and run.scenario.name_zh else run.scenario.name
        blocks = (Text(run.scenario.description), Table(scenario_view(run)), Figure("scenario.png"))
        sections.append(Section(label("h_scenario", lang, name=name), blocks))
    if sitings:
        note = Text(label("siting_note", lang, spacing=SITING_SPACING_M))
        sections.append(
            Section(label("h_siting", lang), (note, Table(siting_table(sitings, lang))))
        )
    sections.append(
        Section(label("h_maps", lang), tuple(report_maps(layers, result, sitings, lang, options)))
    )
    sources = (Text(label("sources_note", lang)), Table(describe_layers(dict(layers))))
    sections.append(Section(label("h_sources", lang), sources))
    generated_text = label("generated", lang, when=generated) if generated else None
    return Report(label("report_title", lang), lang, tuple(sections), pngs, generated_text)
