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
from . import answer, charts
from .mapkit import TianheMap, finish, new_map, render_html
from .maps import dashboard_map, parks_map, siting_map
from .report_views import (
    indicators_plain,
    scenario_plain,
    siting_plain,
    sources_plain,
    standards_plain,
    subdistricts_plain,
)
from .tables import (
    area_label,
    capacity_basis,
    coverage_by_subdistrict,
    method_text,
    subdistrict_names,
)

Layers = Mapping[str, gpd.GeoDataFrame]

#: Standards charted per subdistrict in the report.
CHARTED = ("gbt51346-park-500", "life15-health", "life10-primary", "sdg-11.2.1-rail")

#: Grid spacing of the siting candidates the report's questions use, metres.
SITING_SPACING_M = 250.0


@dataclass(frozen=True)
class Text:
    """A paragraph of plain text; ``print_only`` shows it on paper only (e.g. in place of maps)."""

    text: str
    print_only: bool = False


@dataclass(frozen=True)
class Bullets:
    """A list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class Heading:
    """A sub-heading inside a section."""

    text: str


@dataclass(frozen=True)
class Table:
    """A table (cells are plain text or numbers).

    ``stack``: on a narrow screen each row becomes a card of labelled cells;
    otherwise a wide table scrolls inside its own box, never the page.
    """

    frame: pd.DataFrame
    stack: bool = False


@dataclass(frozen=True)
class Figure:
    """A chart, by its file name in :attr:`Report.charts`."""

    name: str


@dataclass(frozen=True)
class Frame:
    """A live map: its title and its complete HTML page."""

    title: str
    page: str


Block = Text | Heading | Bullets | Table | Figure | Frame


@dataclass(frozen=True)
class Section:
    """A titled part of the report."""

    title: str
    blocks: tuple[Block, ...]
    note: bool = False
    key: str = ""


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
    other : (str, str), optional
        The same report in the other language: link text and file name.
    """

    title: str
    lang: str
    sections: tuple[Section, ...]
    charts: dict[str, bytes] = field(default_factory=dict)
    generated: str | None = None
    other: tuple[str, str] | None = None

    def to_markdown(self, chart_dir: str = "charts") -> str:
        """The report as Markdown, charts linked as ``<chart_dir>/<name>``; maps are left out."""
        parts = [f"# {_md(self.title)}", ""]
        if self.other:
            parts += [f"[{_md(self.other[0])}](<{self.other[1]}.md>)", ""]
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
        if self.other:
            href = html.escape(f"{self.other[1]}.html", quote=True)
            body.append(f'<p class="other"><a href="{href}">{html.escape(self.other[0])}</a></p>')
        if self.generated:
            body.append(f"<p>{html.escape(self.generated)}</p>")
        for section in self.sections:
            inner = "".join(_block_html(b, self.charts) for b in section.blocks)
            heading = f"<h2>{html.escape(section.title)}</h2>"
            cls = " ".join(c for c in ("note" if section.note else "", section.key) if c)
            attrs = f' class="{html.escape(cls, quote=True)}"' if cls else ""
            body.append(f"<section{attrs}>{heading}{inner}</section>")
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
        return [] if block.print_only else [_md(block.text)]
    if isinstance(block, Heading):
        return [f"### {_md(block.text)}"]
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
        cls = ' class="print-only"' if block.print_only else ""
        return f"<p{cls}>{html.escape(block.text)}</p>"
    if isinstance(block, Heading):
        return f"<h3>{html.escape(block.text)}</h3>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in block.items) + "</ul>"
    if isinstance(block, Table):
        return _table_html(block.frame, block.stack)
    if isinstance(block, Figure):
        data = base64.b64encode(pngs[block.name]).decode("ascii")
        alt = html.escape(PurePosixPath(block.name).stem)
        return f'<figure><img alt="{alt}" src="data:image/png;base64,{data}"></figure>'
    title, page = html.escape(block.title), html.escape(stable_ids(block.page), quote=True)
    return (
        f'<div class="map"><h3>{title}</h3>'
        f'<iframe title="{title}" srcdoc="{page}" loading="lazy" '
        'allow="geolocation; fullscreen"></iframe></div>'
    )


def _cell(value: object) -> str:
    return "—" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def _table_html(frame: pd.DataFrame, stack: bool) -> str:
    """A table, every text escaped; each cell carries its column name for the stacked layout."""
    heads = [_cell(frame.index.name or ""), *map(_cell, frame.columns)]
    head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in heads)
    cols = [html.escape(_cell(c), quote=True) for c in frame.columns]
    rows = []
    for idx, values in zip(frame.index, frame.itertuples(index=False), strict=True):
        cells = "".join(
            f'<td data-label="{c}">{html.escape(_cell(v))}</td>'
            for c, v in zip(cols, values, strict=True)
        )
        rows.append(f'<tr><th scope="row">{html.escape(_cell(idx))}</th>{cells}</tr>')
    cls = "t stack" if stack else "t"
    table = (
        f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
    )
    return table if stack else f'<div class="scroll" tabindex="0">{table}</div>'


# Folium names every element after a random uuid4 ("map_3f2a..."): renumbered in order of
# first appearance, the same map is the same text on every run.
_UUID = re.compile(r"(?<=_)[0-9a-f]{32}(?![0-9a-f])")


def stable_ids(page: str) -> str:
    """A rendered map page with its random element ids renumbered in order of appearance.

    Parameters
    ----------
    page : str
        A folium page.

    Returns
    -------
    str
        The page, each distinct 32-hex id replaced by a 32-character counter.
    """
    seen: dict[str, str] = {}
    return _UUID.sub(lambda m: seen.setdefault(m[0], f"{len(seen):032x}"), page)


_CSS = """
*{box-sizing:border-box}
body{font-family:system-ui,"Noto Sans CJK SC","Noto Sans",sans-serif;max-width:1100px;
margin:1.5em auto;padding:0 1em;color:#222;line-height:1.45;overflow-wrap:anywhere}
h1{font-size:1.6em}h2{font-size:1.3em;margin-top:1.6em}h3{font-size:1.05em}
.scroll{overflow-x:auto;max-width:100%;margin:.5em 0 1.5em;-webkit-overflow-scrolling:touch}
table.t{border-collapse:collapse;font-size:13px;margin:.5em 0 1.5em}
.scroll table.t{margin:0}
table.t td,table.t th{border-bottom:1px solid #ddd;padding:3px 8px;text-align:left;
vertical-align:top}
.scroll table.t td,.scroll table.t th{min-width:5em}
table.t thead th{background:#f5f5f5}
figure{margin:1em 0}img{max-width:100%;height:auto}
iframe{width:100%;height:560px;border:1px solid #ccc}
.note{background:#fff8e1;padding:.5em 1em;border-left:4px solid #f9a825}
.answer{border-bottom:3px solid #31a354;padding-bottom:.5em}
.other{float:right;margin-top:-3em}
.print-only{display:none}
@media (max-width:640px){
body{margin:.5em auto;padding:0 .6em}h1{font-size:1.3em}.other{float:none;margin:0}
table.stack,table.stack tbody,table.stack tr,table.stack td,table.stack th{display:block;width:100%}
table.stack thead{display:none}
table.stack tr{border:1px solid #ddd;border-radius:4px;margin:0 0 .8em;padding:.3em .5em}
table.stack th[scope=row]{font-size:14px;border-bottom:1px solid #eee}
table.stack td{border:0;padding:2px 0}
table.stack td::before{content:attr(data-label);display:block;font-weight:600;color:#555;
font-size:12px}
iframe{height:420px}
}
@page{size:A4;margin:12mm}
@media print{
body{max-width:none;margin:0;padding:0;font-size:10pt}
.scroll{overflow:visible}
table.t{font-size:8pt;width:100%}
.scroll table.t{font-size:6.5pt}
.scroll table.t td,.scroll table.t th{min-width:0;padding:1px 3px}
tr,figure,img{break-inside:avoid}h2,h3{break-after:avoid}
.answer{break-after:page;border:0}
.map,iframe,.other{display:none}.print-only{display:block}
a{color:inherit;text-decoration:none}
}
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
    colon = "：" if lang == "zh" else ": "
    capacities = [
        label(c.capacity, lang) + colon + capacity_basis(c, lang)
        for c in (result.doctors, result.beds)
        if c.measured
    ]
    return [
        distance,
        label("note_all_measures", lang, method=method_text(method, lang)),
        label("note_residents", lang),
        label("note_buffer", lang, buffer=config.facility_buffer_m),
        label("note_standards", lang),
        label(doctors, lang, doctors=result.doctors.catchment_m, beds=result.beds.catchment_m),
        *capacities,
        label("note_incomplete", lang),
    ]


def report_charts(
    result: PlanAnalysis,
    layers: Layers,
    run: ScenarioRun | None = None,
    lang: str = "en",
) -> dict[str, bytes]:
    """Render the report's charts in ``lang``.

    Parameters
    ----------
    result : PlanAnalysis
        Analysis results.
    layers : mapping
        Loaded layers (subdistrict names).
    run : ScenarioRun, optional
        A scenario to chart.
    lang : {'zh', 'en'}
        Language of every word on them.

    Returns
    -------
    dict
        File name (``<chart>_<lang>.png``) -> PNG bytes; empty when ``lang``
        needs a font this machine lacks (:func:`~tianhe_geo.present.charts.can_draw`).
    """
    if not charts.can_draw(lang):
        return {}
    names = subdistrict_names(layers["subdistricts"])
    out = {f"indicators_{lang}.png": charts.indicators_vs_target(result.indicators, lang)}
    for key in CHARTED:
        if key not in result.results:
            continue
        std = result.config.standard(key)
        share = result.results[key].share().drop("district")
        out[f"share_{key}_{lang}.png"] = charts.share_by_subdistrict(
            share.rename(index=names), standard_title(std, lang), std.target_share, lang
        )
    if run is not None:
        t = run.comparison.standards
        t = t.rename(index=lambda k: standard_title(result.config.standard(str(k)), lang))
        title = label("chart_scenario", lang, name=_scenario_name(run, lang))
        out[f"scenario_{lang}.png"] = charts.scenario_change(t, title, lang)
    return out


def _scenario_name(run: ScenarioRun, lang: str) -> str:
    return run.scenario.name_zh if lang == "zh" and run.scenario.name_zh else run.scenario.name


def _figures(pngs: Mapping[str, bytes], prefix: str, lang: str) -> tuple[Block, ...]:
    """The charts whose names start with ``prefix``; a note when the language has no font."""
    found = tuple(Figure(k) for k in pngs if k.startswith(prefix))
    return found or (Text(label("charts_no_font", lang)),)


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
        return new_map(lang, options.tiles, options.offline, bounds=layers["boundary"].total_bounds)

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
    other_stem: str | None = None,
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
    other_stem : str, optional
        File name (without suffix) of the same report in the other language,
        linked at the top.

    Returns
    -------
    Report
        The sections and charts.
    """
    names = subdistrict_names(layers["subdistricts"])
    total = area_label(layers["boundary"])
    by_sub = coverage_by_subdistrict(result, names, total)
    pngs = report_charts(result, layers, run, lang)
    sections = [
        _answer_section(layers, result, sitings, names, lang),
        Section(label("h_method", lang), (Bullets(tuple(method_notes(result, lang))),), note=True),
        Section(
            label("h_indicators", lang),
            (Table(indicators_plain(result, lang)), *_figures(pngs, "indicators_", lang)),
        ),
        Section(label("h_standards", lang), (Table(standards_plain(result, lang)),)),
        Section(
            label("h_by_subdistrict", lang),
            (
                Table(subdistricts_plain(by_sub, result, lang, total)),
                *_figures(pngs, "share_", lang),
            ),
        ),
    ]
    if run is not None:
        blocks = (
            Text(run.scenario.description),
            Table(scenario_plain(run, result, lang)),
            *_figures(pngs, "scenario_", lang),
        )
        sections.append(Section(label("h_scenario", lang, name=_scenario_name(run, lang)), blocks))
    if sitings:
        note = Text(label("siting_note", lang, spacing=SITING_SPACING_M))
        sections.append(
            Section(label("h_siting", lang), (note, Table(siting_plain(sitings, lang))))
        )
    maps: tuple[Block, ...] = (Text(label("maps_not_printed", lang), print_only=True),)
    maps += tuple(report_maps(layers, result, sitings, lang, options))
    sections.append(Section(label("h_maps", lang), maps))
    sources = (Text(label("sources_note", lang)), Table(sources_plain(dict(layers), lang)))
    sections.append(Section(label("h_sources", lang), sources))
    generated_text = label("generated", lang, when=generated) if generated else None
    other = (label("other_report", lang), other_stem) if other_stem else None
    # The study area's own name (the boundary layer's), never a hard-coded district.
    area = str(layers["boundary"].iloc[0]["name_zh" if lang == "zh" else "name_en"])
    title = label("report_title", lang, area=area)
    return Report(title, lang, tuple(sections), pngs, generated_text, other)


def _answer_section(
    layers: Layers,
    result: PlanAnalysis,
    sitings: Sequence[SitingRun],
    names: pd.Series,
    lang: str,
) -> Section:
    """The first page: the answer, the targets, the ranked standards, the next steps."""
    blocks: list[Block] = [Text(t) for t in answer.lead(result, names, lang)]
    blocks += [
        Heading(label("h_answer_targets", lang)),
        Table(answer.targets_answer(result, names, lang), stack=True),
        Heading(label("h_answer_standards", lang)),
        Table(answer.standards_answer(result, names, lang), stack=True),
        Heading(label("h_next", lang)),
        Bullets(tuple(answer.next_steps(sitings, layers, lang, SITING_SPACING_M))),
    ]
    return Section(label("h_answer", lang), tuple(blocks), key="answer")
