"""The map kit: safe, bilingual, self-contained interactive maps on any folium map.

A :class:`TianheMap` is a ``folium.Map`` with what tianhe-geo adds to it, kept
as plain data rather than hidden on the map: the language, the datum overlays
are drawn in, and the legends. :func:`as_map` wraps any ``folium.Map`` a user
hands over. Map functions add to a map and return it; they never save (the
pipeline writes pages) and never compute coverage. Every
attribute shown in a tooltip, popup, legend or search result is
HTML-escaped in Python before it reaches the page, so a feature named
``<img src=x onerror=alert(1)>`` shows as text.

With ``offline=True`` (the default) Leaflet's script and stylesheet are
inlined from the ``xstatic-leaflet`` package and folium's CDN links
(jQuery, Bootstrap, Font Awesome, awesome-markers) are dropped: the page
opens with no network at all. Basemap tiles still load when online and the
page shows our layers on a plain background when they do not.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import Element, Figure, MacroElement
from jinja2 import Template

from ..foundation.config import LANGS, SMALL_SCREEN_PX, TILES
from ..foundation.crs import ANALYSIS_CRS, STORAGE_CRS, from_wgs84_to
from ..foundation.i18n import label as i18n_label

logger = logging.getLogger(__name__)

BASEMAPS: dict[str, dict[str, Any]] = {
    "osm": {
        "url": "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        "attr": "&copy; OpenStreetMap contributors",
        "datum": "wgs84",
    },
    "gaode": {
        "url": "https://webrd0{s}.is.autonavi.com/appmaptile?lang=zh_cn&size=1&scale=1&style=8&x={x}&y={y}&z={z}",
        "attr": "&copy; 高德地图 AutoNavi (GCJ-02; overlays shifted to match)",
        "datum": "gcj02",
        "subdomains": "1234",
    },
    # No basemap at all: the page makes no request, for kiosks and print.
    "none": {"url": None, "attr": "", "datum": "wgs84"},
}

CENTRE = (23.165, 113.37)


def leaflet_assets() -> tuple[str, str]:
    """Return Leaflet's JavaScript and CSS from the installed xstatic-leaflet package.

    Returns
    -------
    tuple of str
        ``(javascript, css)`` text of Leaflet 1.9.
    """
    import xstatic.pkg.leaflet as xl

    base = Path(xl.BASE_DIR)
    return (base / "leaflet.js").read_text("utf-8"), (base / "leaflet.css").read_text("utf-8")


@dataclass
class Legend:
    """A legend bound to one layer: shown while the layer is on.

    Attributes
    ----------
    title : str
        The layer's name, as shown.
    items : dict
        Label -> colour.
    layer : str
        The folium name (JavaScript variable) of the layer it follows.
    letters : dict
        Label -> the letter its markers carry (point layers drawn with letters).
    dashed : bool
        The layer is drawn as dashed outlines (its swatches are too).
    note : str or None
        A line under the rows: what the layer's figures rest on and how
        complete its data is (so the legend, and a snapshot of the map, never
        show a data gap as a finding without saying so).
    """

    title: str
    items: dict[str, str]
    layer: str
    letters: dict[str, str] = field(default_factory=dict)
    dashed: bool = False
    note: str | None = None


@dataclass
class TianheMap:
    """A folium map and what tianhe-geo adds to it.

    Attributes
    ----------
    map : folium.Map
        The map itself (render it, save it, add your own elements).
    lang : {'zh', 'en'}
        Language of the map's own controls.
    datum : {'wgs84', 'gcj02'}
        Datum overlays are drawn in: ``gcj02`` under Gaode tiles, so they line up.
    legends : list of Legend
        Legends of the layers added, shown by :func:`finish`.
    notes : list of str
        What the map could not show as given (a layer too large to embed,
        drawn simplified or as counts), shown by :func:`finish`.
    entries : list of (str, str, bool)
        Layers added, as (escaped name, JavaScript variable, exclusive): the
        layer control lists exclusive ones (choropleths) as one radio group.
    title : str
        The page's title (set by :func:`finish`).
    extras : list of branca.element.Element
        Page parts drawn after the map's controls (the resident map's "near me").
    """

    map: folium.Map
    lang: str = "en"
    datum: str = "wgs84"
    legends: list[Legend] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    entries: list[tuple[str, str, bool]] = field(default_factory=list)
    title: str = ""
    extras: list[MacroElement] = field(default_factory=list)

    def _repr_html_(self) -> str:  # drawn inline in Jupyter, like the folium map
        return str(self.map._repr_html_())


def new_map(
    lang: str = "en",
    tiles: str = "osm",
    offline: bool = True,
    location: tuple[float, float] = CENTRE,
    zoom: int = 12,
    bounds: Sequence[float] | None = None,
) -> TianheMap:
    """Create an empty map with scale bar, full-screen button and search box.

    Parameters
    ----------
    lang : {'zh', 'en'}
        Language of the map's own controls.
    tiles : {'osm', 'gaode', 'none'}
        Basemap; with ``gaode`` every overlay is shifted to GCJ-02; ``none``
        draws no basemap (no tile requests at all).
    offline : bool, default True
        Inline Leaflet and drop every CDN link.
    location : (float, float), default Tianhe
        Centre (lat, lon, WGS-84).
    zoom : int, default 12
        Initial zoom level.
    bounds : (west, south, east, north), optional
        The study area's lon/lat bounds (``boundary.total_bounds``): the map
        centres on them and fits them, overriding ``location`` and ``zoom``.

    Returns
    -------
    TianheMap
        The map.
    """
    _check(lang, tiles)
    spec = BASEMAPS[tiles]
    if bounds is not None:
        west, south, east, north = (float(v) for v in bounds)
        location = ((south + north) / 2, (west + east) / 2)
    m = folium.Map(location=location, zoom_start=zoom, tiles=None, control_scale=True)
    if bounds is not None:
        m.fit_bounds([[south, west], [north, east]])
    if spec["url"]:
        folium.TileLayer(
            spec["url"],
            attr=spec["attr"],
            name="OpenStreetMap" if tiles == "osm" else "高德 Gaode",
            subdomains=spec.get("subdomains", "abc"),
            max_zoom=18,
            # OSM serves tiles with CORS: so fetched, the PNG snapshot may draw them.
            **({"crossOrigin": True} if tiles == "osm" else {}),
        ).add_to(m)
    if offline:
        js, css = leaflet_assets()
        m.default_js = []
        m.default_css = []
        page = _page(m)
        page.header.add_child(Element(f"<style>{css}</style>"), name="leaflet_css")
        # Loaded before folium's own script so that L exists when the map is built.
        page.header.add_child(Element(f"<script>{js}</script>"), name="leaflet_js")
    return as_map(m, lang, str(spec["datum"]))


def as_map(m: TianheMap | folium.Map | None, lang: str = "en", datum: str = "wgs84") -> TianheMap:
    """Any map as a :class:`TianheMap`: a new one, a user's ``folium.Map``, or itself.

    Parameters
    ----------
    m : TianheMap, folium.Map or None
        The map to draw on; a new Tianhe map (OSM tiles) when None.
    lang : {'zh', 'en'}
        Language, for a map that does not carry one.
    datum : {'wgs84', 'gcj02'}
        Datum of a user's map tiles (``gcj02`` for Gaode or Tencent tiles).

    Returns
    -------
    TianheMap
        The map, ready for :func:`add_layer`.
    """
    if isinstance(m, TianheMap):
        return m
    if m is None:
        return new_map(lang)
    if not isinstance(m, folium.Map):
        msg = f"m must be a folium.Map or TianheMap, got {type(m).__name__}"
        raise TypeError(msg)
    _check(lang, "osm")
    if datum not in ("wgs84", "gcj02"):
        msg = f"datum must be 'wgs84' or 'gcj02', got {datum!r}"
        raise ValueError(msg)
    root = _page(m)
    root.header.add_child(Element(_PAGE_CSS), name="tianhe_css")
    root.header.add_child(
        Element('<meta name="viewport" content="width=device-width, initial-scale=1">'),
        name="viewport",
    )
    return TianheMap(m, lang, datum)


def _page(m: folium.Map) -> Figure:
    """The HTML page a map is drawn in (folium's root element)."""
    root = m.get_root()
    if not isinstance(root, Figure):
        msg = "the map must be drawn in a page of its own (a folium.Map, not part of another)"
        raise TypeError(msg)
    return root


def _check(lang: str, tiles: str) -> None:
    if lang not in LANGS:
        msg = f"lang must be one of {LANGS}, got {lang!r}"
        raise ValueError(msg)
    if tiles not in TILES:
        msg = f"tiles must be one of {sorted(TILES)}, got {tiles!r}"
        raise ValueError(msg)


def _escape(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return "—"
    if isinstance(value, float):
        value = f"{value:,.1f}" if abs(value) < 1e6 else f"{value:,.0f}"
    return html.escape(str(value), quote=True)


def _prepare(gdf: gpd.GeoDataFrame, datum: str, tolerance_m: float) -> gpd.GeoDataFrame:
    """Reproject to 4326 (shifted for GCJ-02 tiles), simplify, round to 1e-5 deg."""
    g = gdf.to_crs(ANALYSIS_CRS)
    if tolerance_m > 0:
        g = g.set_geometry(g.geometry.simplify(tolerance_m, preserve_topology=True))
    g = g.to_crs(STORAGE_CRS)
    if datum == "gcj02":
        g = from_wgs84_to(g, "gcj02")
    g = g.set_geometry(shapely.set_precision(g.geometry.values, 1e-5))
    return g[~g.geometry.is_empty]


#: Most features one map layer embeds: each costs about 0.5 kB of page, and a
#: browser stalls on pages of a few hundred megabytes. Above it the layer is
#: drawn as counts on a square grid (and the map says so).
MAX_FEATURES = 20_000
#: Most vertices one map layer embeds (about 20 bytes each); above it outlines
#: are simplified further, then counted on a grid.
MAX_COORDINATES = 400_000
#: The coarsest simplification tried before a layer is counted instead (metres).
MAX_TOLERANCE_M = 200.0


@dataclass(frozen=True)
class _Drawn:
    """A layer as it will be embedded: features, popup fields, name column, note."""

    gdf: gpd.GeoDataFrame
    fields: Sequence[tuple[str, str]]
    label: str | None
    note: tuple[str, dict[str, Any]] | None = None  # label key and its values


def _n_coordinates(geoms: np.ndarray) -> int:
    return int(shapely.get_num_coordinates(geoms).sum())


def _within_budget(
    gdf: gpd.GeoDataFrame,
    tm: TianheMap,
    name: str,
    drawn: _Drawn,
    tolerance_m: float,
    budget: tuple[int, int],
) -> _Drawn:
    """The layer simplified, or counted on a grid, so that the page stays openable."""
    max_features, max_coordinates = budget
    if len(gdf) > max_features:
        return _counted(gdf, tm, name, max_features)
    metric = gdf.to_crs(ANALYSIS_CRS)
    geoms = metric.geometry.values
    simple = shapely.simplify(geoms, tolerance_m, preserve_topology=True) if tolerance_m else geoms
    tol = max(tolerance_m, 5.0)
    while _n_coordinates(simple) > max_coordinates and tol < MAX_TOLERANCE_M:
        tol = min(4 * tol, MAX_TOLERANCE_M)
        simple = shapely.simplify(geoms, tol, preserve_topology=True)
    if _n_coordinates(simple) > max_coordinates:
        return _counted(gdf, tm, name, max_features)
    note = ("map_simplified", {"layer": name, "tol": tol}) if tol > max(tolerance_m, 5.0) else None
    g = _prepare(metric.set_geometry(simple), tm.datum, 0.0)
    return _Drawn(g, drawn.fields, drawn.label, note)


def _counted(gdf: gpd.GeoDataFrame, tm: TianheMap, name: str, max_features: int) -> _Drawn:
    """Features counted per grid square, the square doubling until few enough remain."""
    geoms = gdf.to_crs(ANALYSIS_CRS).geometry.values
    geoms = geoms[~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)]
    xy = shapely.get_coordinates(shapely.point_on_surface(geoms))
    cell = 250.0
    while True:
        cells, counts = np.unique(np.floor(xy / cell).astype(np.int64), axis=0, return_counts=True)
        if len(cells) <= max_features:
            break
        cell *= 2
    x0, y0 = cells[:, 0] * cell, cells[:, 1] * cell
    squares = shapely.box(x0, y0, x0 + cell, y0 + cell)
    text = {lg: [i18n_label("cell_name", lg, n=int(c)) for c in counts] for lg in LANGS}
    g = gpd.GeoDataFrame(
        {"_count": counts, "name_zh": text["zh"], "name_en": text["en"]},
        geometry=squares,
        crs=ANALYSIS_CRS,
    )
    note = ("map_cells", {"layer": name, "n": len(gdf), "cap": max_features, "cell": cell})
    fields = [("_count", i18n_label("cell_count", tm.lang))]
    return _Drawn(_prepare(g, tm.datum, 0.0), fields, None, note)


def add_layer(  # noqa: PLR0913 - a layer has this many presentation knobs
    m: TianheMap | folium.Map,
    gdf: gpd.GeoDataFrame,
    name: str,
    fields: Sequence[tuple[str, str]],
    color: str | Callable[[pd.Series], str] = "#3388ff",
    legend: dict[str, str] | None = None,
    label: str | None = None,
    show: bool = True,
    tolerance_m: float = 10.0,
    radius: float = 5.0,
    fill_opacity: float = 0.45,
    max_features: int | None = None,
    max_coordinates: int | None = None,
    exclusive: bool = False,
    letter: str | Callable[[pd.Series], str] = "",
    dash: bool = False,
    legend_note: str | None = None,
) -> TianheMap:
    """Add a vector layer with escaped tooltip and popup, and its legend.

    Parameters
    ----------
    m : TianheMap or folium.Map
        Map from :func:`new_map`, or any folium map (see :func:`as_map`).
    gdf : geopandas.GeoDataFrame
        Features with a CRS.
    name : str
        Layer name shown in the layer control (already in the map's language).
    fields : sequence of (column, alias)
        Columns shown in tooltip and popup, with their display names.
    color : str or callable
        A colour, or a function from a row to a colour.
    legend : dict, optional
        Label -> colour; shown while the layer is on.
    label : str, optional
        Column used as the feature's name in tooltips and search.
    show : bool, default True
        Whether the layer starts switched on.
    tolerance_m : float, default 10
        Simplification tolerance in metres (0 keeps every vertex).
    radius : float, default 5
        Circle radius in pixels for point features.
    fill_opacity : float, default 0.45
        Fill opacity of polygons (0 = outline only).
    max_features, max_coordinates : int, optional
        What the layer may embed (default :data:`MAX_FEATURES`,
        :data:`MAX_COORDINATES`). A larger layer is simplified further or
        drawn as counts per grid square; the map's notes and the log say so.
    exclusive : bool, default False
        An area shading (choropleth): at most one exclusive layer is on at a
        time (a radio group in the layer control), drawn under every other
        layer. Only the first one added with ``show=True`` starts on.
    letter : str or callable, default ''
        Letter drawn on point markers (or a function from a row to it).
        Points are drawn as filled markers with a 44 px tap target, above areas.
    dash : bool, default False
        Draw polygons as a dashed outline only (no fill, clicks pass through
        to the shading under them).
    legend_note : str, optional
        A line under the legend (already in the map's language): what the
        figures rest on and how complete the layer is.

    Returns
    -------
    TianheMap
        The map (the same one when a TianheMap was given).
    """
    tm = as_map(m)
    budget = (max_features or MAX_FEATURES, max_coordinates or MAX_COORDINATES)
    drawn = _within_budget(gdf, tm, name, _Drawn(gdf, fields, label), tolerance_m, budget)
    g = drawn.gdf
    if drawn.note is not None:
        key, values = drawn.note
        tm.notes.append(i18n_label(key, tm.lang, **values))
        logger.warning("map too large to embed as given: %s", i18n_label(key, "en", **values))
        if drawn.label is None:  # counted: one colour, and the legend says what it shows
            color = color if isinstance(color, str) else "#636363"
            legend = {i18n_label("cell_count", tm.lang): color} if legend else None
    colours = g.apply(color, axis=1) if callable(color) else pd.Series(color, index=g.index)
    letters = g.apply(letter, axis=1) if callable(letter) else pd.Series(letter, index=g.index)
    props = pd.DataFrame(index=g.index)
    props["_color"] = colours.astype(str)
    props["_letter"] = letters.astype(str).map(html.escape) if len(g) else ""
    props["_dash"] = bool(dash)
    props["_label"] = g[drawn.label].map(_escape) if drawn.label else ""
    props["_group"] = html.escape(name)
    props["_fo"] = float(fill_opacity)
    props["_html"] = _popup_tables(g, drawn.fields)
    data = json.loads(
        gpd.GeoDataFrame(props, geometry=g.geometry.values, crs=STORAGE_CRS).to_json()
    )
    if exclusive:
        already_on = [
            getattr(tm.map._children.get(v), "show", False) for _n, v, ex in tm.entries if ex
        ]
        show = show and not any(already_on)
    group = folium.FeatureGroup(name=html.escape(name), show=show, control=False)
    points = len(g) > 0 and bool((g.geom_type == "Point").all())
    layer = folium.GeoJson(
        data,
        style_function=_pin_style if points else _style,
        marker=_pin()
        if points
        else folium.CircleMarker(radius=radius, weight=1, fill_opacity=0.85),
        zoom_on_click=False,
    )
    if exclusive:  # Leaflet hands a GeoJSON layer's options on to its polygons
        layer.options["pane"] = _choropleth_pane(tm)
    layer.add_child(_Bindings())
    layer.add_to(group)
    group.add_to(tm.map)
    tm.entries.append((html.escape(name), group.get_name(), exclusive))
    if legend:
        shown = {k: str(v) for k, v in zip(colours, letters, strict=True)} if points else {}
        marks = {lbl: shown.get(col, "") for lbl, col in legend.items()} if points else {}
        tm.legends.append(Legend(name, dict(legend), group.get_name(), marks, dash, legend_note))
    return tm


#: Pane of area shadings: above the basemap (200), under every other overlay (400).
CHOROPLETH_PANE = "thShading"


def _choropleth_pane(tm: TianheMap) -> str:
    if CHOROPLETH_PANE not in tm.map._children:
        pane = folium.map.CustomPane(CHOROPLETH_PANE, z_index=350, pointer_events=True)
        tm.map.add_child(pane, name=CHOROPLETH_PANE)
    return CHOROPLETH_PANE


def _pin() -> folium.Marker:
    """A marker whose 44 px box is the tap target around a filled 22 px disc."""
    icon = folium.DivIcon(class_name="th-pin", icon_size=(44, 44), icon_anchor=(22, 22))
    return folium.Marker(icon=icon)


def _pin_style(feature: dict[str, Any]) -> dict[str, Any]:
    # folium copies these into the marker's icon options: the disc's colour and letter.
    p = feature["properties"]
    return {"html": f"<span style='background:{p['_color']}'>{p['_letter']}</span>"}


def _popup_tables(g: pd.DataFrame, fields: Sequence[tuple[str, str]]) -> pd.Series:
    """One escaped HTML table per feature, built column by column (no loop over features)."""
    rows = pd.Series("", index=g.index, dtype=str)
    for col, alias in fields:
        cells = g[col].map(_escape).astype(str)  # str even when there are no rows
        row = f"<tr><th>{_escape(alias)}</th><td>" + cells + "</td></tr>"
        # No empty rows: a school has no beds, so its popup does not list them.
        rows = rows + row.where(g[col].notna().to_numpy() & cells.ne("").to_numpy(), "")
    return "<table class='th-popup'>" + rows + "</table>"


def _style(feature: dict[str, Any]) -> dict[str, Any]:
    p = feature["properties"]
    c = p["_color"]
    if p.get("_dash"):
        return {"color": c, "weight": 2, "dashArray": "6 4", "fill": False}
    return {"color": c, "fillColor": c, "weight": 2, "fillOpacity": p["_fo"]}


class _Bindings(MacroElement):
    """Bind the pre-escaped tooltip and popup, and register features for search."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.eachLayer(function (l) {
            var p = l.feature.properties;
            if (p._label) { l.bindTooltip(p._label); }
            l.bindPopup(p._html, {maxWidth: 320});
            window.tianheSearch = window.tianheSearch || [];
            if (p._label) { window.tianheSearch.push(l); }
        });
        {% endmacro %}"""
    )


def finish(
    m: TianheMap | folium.Map,
    other_url: str | None = None,
    locate: bool = False,
    title: str | None = None,
    index_url: str | None = None,
) -> TianheMap:
    """Add the layer control, the folding panel (legends, search, full screen) and the view hash.

    On screens up to :data:`~tianhe_geo.foundation.config.SMALL_SCREEN_PX`
    wide the layer list and the panel start folded (one tap opens each); the
    zoom buttons stay visible. Exclusive layers (area shadings) form one radio
    group. The view (zoom, centre, layers on) is kept in the URL hash, and
    links to the other language and to the index carry it along.

    Parameters
    ----------
    m : TianheMap or folium.Map
        Map with its layers added.
    other_url : str, optional
        Link to the same map in the other language.
    locate : bool, default False
        Add the "what is near me" button (the map needs the near-me data of
        :func:`tianhe_geo.present.nearme.add_near_me`).
    title : str, optional
        Page title (escaped here).
    index_url : str, optional
        Link to the page listing every map.

    Returns
    -------
    TianheMap
        The map.
    """
    tm = as_map(m)

    def ui(key: str) -> str:
        return html.escape(i18n_label(key, tm.lang))

    if title:
        tm.title = title
        _page(tm.map).title = html.escape(title)
    _unlisted_layers(tm)
    tm.map.add_child(_LayerControl(tm.entries, i18n_label("layers_none", tm.lang)))
    link = (
        f"<a class='th-keep' href='{html.escape(other_url)}'>{ui('other_lang')}</a>"
        if other_url
        else ""
    )
    if index_url:
        link += f"<a class='th-view' href='{html.escape(index_url)}'>{ui('map_index')}</a>"
    notes = "".join(f"<div class='th-note th-cap'>{html.escape(n)}</div>" for n in tm.notes)
    locate_button = (
        f"<button id='th-locate' type='button'>{ui('locate')}</button>" if locate else ""
    )
    panel = (
        "<div id='th-panel'><div id='th-head'>"
        f"<button id='th-fold' type='button' aria-expanded='true'>{ui('panel')}</button>"
        f"{locate_button}</div><div id='th-near'></div><div id='th-body'>"
        f"<input id='th-search' type='search' placeholder='{ui('search')}'>"
        f"<button id='th-full' type='button'>{ui('fullscreen')}</button>"
        f"<button id='th-png' type='button'>{ui('snapshot')}</button>{link}"
        f"<div id='th-legends'>{_legends_html(tm)}</div>{notes}"
        f"<div class='th-note'>{ui('approx')}</div></div></div>"
    )
    _page(tm.map).html.add_child(Element(panel))
    tm.map.add_child(_Snapshot())
    tm.map.add_child(_Controls(i18n_label("nomatch", tm.lang), [v for _n, v, _e in tm.entries]))
    return tm


def _legends_html(tm: TianheMap) -> str:
    out = []
    for lg in tm.legends:
        rows = "".join(
            f"<div><i class='{'th-disc' if lbl in lg.letters else ''}'"
            f" style='{_swatch(col, lg.dashed)}'>{html.escape(lg.letters.get(lbl, ''))}</i>"
            f"{html.escape(lbl)}</div>"
            for lbl, col in lg.items.items()
        )
        note = "" if lg.note is None else f"<p class='th-note'>{html.escape(lg.note)}</p>"
        out.append(
            f"<div class='th-legend' data-layer='{lg.layer}'><b>{html.escape(lg.title)}</b>"
            f"{rows}{note}</div>"
        )
    return "".join(out)


def _swatch(colour: str, dashed: bool) -> str:
    c = html.escape(colour)
    return f"border:2px dashed {c};background:none" if dashed else f"background:{c}"


def _unlisted_layers(tm: TianheMap) -> None:
    """Overlays a user added to the folium map directly are listed too (as checkboxes)."""
    listed = {v for _n, v, _e in tm.entries}
    for child in list(tm.map._children.values()):
        if (
            isinstance(child, folium.map.Layer)
            and not isinstance(child, folium.TileLayer)
            and child.control
            and child.overlay
            and child.get_name() not in listed
        ):
            tm.entries.append((html.escape(child.layer_name), child.get_name(), False))


class _LayerControl(MacroElement):
    """Leaflet's layer control: shadings as one radio group (with "none"), the rest checkboxes.

    Folded to a button on small screens (one tap opens it, a tap on the map
    folds it again); open and scrolling within the screen on larger ones.
    """

    def __init__(self, entries: Sequence[tuple[str, str, bool]], none: str) -> None:
        super().__init__()
        self.entries = [(_js(n), v, ex) for n, v, ex in entries]
        self.none = _js(html.escape(none))
        self.small = SMALL_SCREEN_PX

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
          var bases = {}, overlays = {}, shades = [];
          {% for name, var, ex in this.entries %}
          {% if ex %}shades.push([{{ name }}, {{ var }}]);{% else %}overlays[{{ name }}] = {{ var }};{% endif %}
          {% endfor %}
          if (shades.length) {
            var none = L.layerGroup();
            bases[{{ this.none }}] = none;
            shades.forEach(function (s) { bases[s[0]] = s[1]; });
            if (!shades.some(function (s) { return map.hasLayer(s[1]); })) { none.addTo(map); }
            window.tianheNoShade = none;
          }
          var small = window.matchMedia('(max-width: {{ this.small }}px)').matches;
          window.tianheLayers = L.control.layers(bases, overlays, {collapsed: small}).addTo(map);
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


def _js(text: str) -> str:
    """A JSON string literal safe inside a <script> element."""
    return json.dumps(text).replace("<", "\\u003c")


class _Snapshot(MacroElement):
    """``window.tianheSnapshot``: the map as drawn (readable tiles, areas, markers) to a PNG.

    The picture carries its key, as the page does: the legends of the layers
    shown, the panel's notes (how complete each layer is, positions
    approximate) and the attribution (ODbL asks for it wherever OSM data is
    shown). ``window.tianheSnapshotKey`` returns that key as data, read from
    the page's own elements, so the picture says no more and no less. Tiles
    are drawn only when the tile server allowed it (CORS); the page fetches
    nothing for the picture. Text goes to the canvas with ``fillText``, which
    never interprets markup.
    """

    _template = Template(
        """{% macro script(this, kwargs) %}
        window.tianheSnapshotKey = function () {
          var legends = [];
          document.querySelectorAll('.th-legend').forEach(function (el) {
            if (el.style.display === 'none') { return; }  // its layer is hidden
            var title = el.querySelector('b'), rows = [];
            el.querySelectorAll(':scope > div').forEach(function (row) {
              var sw = row.querySelector('i'), cs = getComputedStyle(sw);
              rows.push({label: row.textContent.slice(sw.textContent.length), letter: sw.textContent,
                         disc: sw.classList.contains('th-disc'), fill: cs.backgroundColor,
                         line: cs.borderTopColor, dashed: cs.borderTopStyle === 'dashed'});
            });
            var note = el.querySelector(':scope > .th-note');
            legends.push({title: title ? title.textContent : '', rows: rows,
                          note: note ? note.textContent.trim() : ''});
          });
          var notes = Array.prototype.map.call(document.querySelectorAll('#th-body > .th-note'),
            function (n) { return n.textContent.trim(); }).filter(Boolean);
          var attr = document.querySelector('.leaflet-control-attribution');
          return {legends: legends, notes: notes,
                  attribution: attr ? attr.textContent.replace(/\\s+/g, ' ').trim() : ''};
        };
        function tianheDrawKey(ctx, key, W, H) {
          var pad = 8, lh = 17, inner = Math.min(300, W - 40) - 2 * pad, lines = [];
          function font(l) { return (l.bold ? 'bold ' : '') + (l.note ? '11px' : '12px') + ' sans-serif'; }
          function wrap(text, style, indent) {  // words, and CJK characters one by one
            ctx.font = font(style);
            var parts = text.match(/[\\u2e80-\\u9fff\\uf900-\\uffef]|[^\\s\\u2e80-\\u9fff\\uf900-\\uffef]+|\\s+/g) || [];
            var out = [], cur = '';
            parts.forEach(function (w) {
              if (cur.trim() && ctx.measureText(cur + w).width > inner - indent) {
                out.push(cur.trim()); cur = w.trim() ? w : '';
              } else { cur += w; }
            });
            if (cur.trim()) { out.push(cur.trim()); }
            return out.map(function (t) { return Object.assign({text: t}, style); });
          }
          key.legends.forEach(function (lg) {
            lines = lines.concat(wrap(lg.title, {bold: true}, 0));
            lg.rows.forEach(function (r) { lines = lines.concat(wrap(r.label, {swatch: r}, 20)); });
            if (lg.note) { lines = lines.concat(wrap(lg.note, {note: true}, 0)); }
          });
          key.notes.forEach(function (n) { lines = lines.concat(wrap(n, {note: true}, 0)); });
          var room = Math.floor((H - 40 - 2 * pad) / lh);
          if (lines.length > room) { lines = lines.slice(0, Math.max(0, room - 1)).concat([{text: '…'}]); }
          if (lines.length) {
            var h = lines.length * lh + 2 * pad, y0 = H - 24 - h;
            ctx.fillStyle = '#fff'; ctx.fillRect(8, y0, inner + 2 * pad, h);
            ctx.textBaseline = 'middle'; ctx.textAlign = 'left';
            lines.forEach(function (l, i) {
              var y = y0 + pad + i * lh + lh / 2, x = 8 + pad, r = l.swatch;
              if (r && r.disc) {
                ctx.beginPath(); ctx.arc(x + 7, y, 7, 0, 2 * Math.PI); ctx.fillStyle = r.fill; ctx.fill();
                ctx.fillStyle = '#fff'; ctx.font = 'bold 9px sans-serif'; ctx.textAlign = 'center';
                ctx.fillText(r.letter, x + 7, y); ctx.textAlign = 'left';
              } else if (r && r.dashed) {
                ctx.setLineDash([3, 2]); ctx.lineWidth = 2; ctx.strokeStyle = r.line;
                ctx.strokeRect(x + 1, y - 6, 12, 12); ctx.setLineDash([]);
              } else if (r) {
                ctx.fillStyle = r.fill; ctx.fillRect(x, y - 6, 13, 13);
                ctx.lineWidth = 1; ctx.strokeStyle = '#555'; ctx.strokeRect(x, y - 6, 13, 13);
              }
              ctx.font = font(l); ctx.fillStyle = l.note ? '#555' : '#222';
              ctx.fillText(l.text, x + (r ? 20 : 0), y);
            });
          }
          if (key.attribution) {
            ctx.font = '11px sans-serif'; var w = ctx.measureText(key.attribution).width + 10;
            ctx.fillStyle = 'rgba(255,255,255,0.85)'; ctx.fillRect(W - w, H - 18, w, 18);
            ctx.fillStyle = '#333'; ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
            ctx.fillText(key.attribution, W - 5, H - 9); ctx.textAlign = 'left';
          }
        }
        window.tianheSnapshot = function (map, name) {
          var size = map.getSize(), box = map.getContainer().getBoundingClientRect();
          var cv = document.createElement('canvas'), ctx = cv.getContext('2d');
          cv.width = size.x; cv.height = size.y;
          ctx.fillStyle = '#eef1f4'; ctx.fillRect(0, 0, size.x, size.y);
          function at(el) {
            var r = el.getBoundingClientRect();
            return [r.left - box.left, r.top - box.top, r.width, r.height];
          }
          var tiles = document.querySelectorAll('.leaflet-tile-pane img.leaflet-tile-loaded');
          tiles.forEach(function (img) {
            if (img.crossOrigin === null) { return; }  // it would taint the canvas
            var r = at(img); ctx.drawImage(img, r[0], r[1], r[2], r[3]);
          });
          function z(s) { return +getComputedStyle(s.parentNode).zIndex || 0; }
          var svgs = Array.prototype.slice.call(map.getContainer().querySelectorAll('svg'))
            .filter(function (s) { return !s.closest('.leaflet-control'); })
            .sort(function (a, b) { return z(a) - z(b); });
          var images = svgs.map(function (svg) {
            return new Promise(function (done) {
              var img = new Image(), text = new XMLSerializer().serializeToString(svg);
              img.onload = function () { done([img, at(svg)]); };
              img.onerror = function () { done(null); };
              img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(text);
            });
          });
          return Promise.all(images).then(function (drawn) {
            drawn.forEach(function (d) { if (d) { ctx.drawImage(d[0], d[1][0], d[1][1], d[1][2], d[1][3]); } });
            document.querySelectorAll('.th-pin span').forEach(function (dot) {
              var r = at(dot), x = r[0] + r[2] / 2, y = r[1] + r[3] / 2;
              if (x < 0 || y < 0 || x > size.x || y > size.y) { return; }
              ctx.beginPath(); ctx.arc(x, y, r[2] / 2, 0, 2 * Math.PI);
              ctx.fillStyle = dot.style.background; ctx.fill();
              ctx.lineWidth = 2; ctx.strokeStyle = '#fff'; ctx.stroke();
              ctx.fillStyle = '#fff'; ctx.font = 'bold 12px sans-serif';
              ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
              ctx.fillText(dot.textContent, x, y);
            });
            tianheDrawKey(ctx, window.tianheSnapshotKey(), size.x, size.y);
            var a = document.createElement('a');
            a.download = name.replace(/[^\\w\\u4e00-\\u9fff .-]+/g, '_') + '.png';
            a.href = cv.toDataURL('image/png');
            document.body.appendChild(a); a.click(); a.remove();
            return a.href;
          });
        };
        {% endmacro %}"""
    )


class _Controls(MacroElement):
    """Legends follow layers; panel folding; search; full screen; the view in the URL hash."""

    def __init__(self, nomatch: str, layers: list[str]) -> None:
        super().__init__()
        self.nomatch = _js(nomatch)
        self.layers = layers
        self.small = SMALL_SCREEN_PX

    _template = Template(
        """{% macro script(this, kwargs) %}
        (function (map) {
          var layers = [{{ this.layers | join(', ') }}];
          function sync() {
            document.querySelectorAll('.th-legend').forEach(function (el) {
              var layer = window[el.dataset.layer];
              el.style.display = (layer && map.hasLayer(layer)) ? 'block' : 'none';
            });
          }
          var panel = document.getElementById('th-panel'), fold = document.getElementById('th-fold');
          function setFolded(f) {
            panel.classList.toggle('th-folded', f); fold.setAttribute('aria-expanded', String(!f));
          }
          window.tianheFold = setFolded;
          setFolded(window.matchMedia('(max-width: {{ this.small }}px)').matches);
          fold.addEventListener('click', function () { setFolded(!panel.classList.contains('th-folded')); });
          L.DomEvent.disableClickPropagation(panel); L.DomEvent.disableScrollPropagation(panel);
          // The view in the hash: #z/lat/lon/on where "on" lists the indices of layers shown.
          function state() {
            var c = map.getCenter(), on = [];
            layers.forEach(function (l, i) { if (map.hasLayer(l)) { on.push(i); } });
            return '#' + map.getZoom() + '/' + c.lat.toFixed(5) + '/' + c.lng.toFixed(5) + '/' + on.join('.');
          }
          function restore() {
            var p = location.hash.slice(1).split('/');
            if (p.length < 3 || !isFinite(+p[0]) || !isFinite(+p[1]) || !isFinite(+p[2])) { return; }
            map.setView([+p[1], +p[2]], +p[0]);
            if (p.length < 4) { return; }
            var on = p[3] ? p[3].split('.').map(Number) : [];
            layers.forEach(function (l, i) {
              if (on.indexOf(i) >= 0) { map.addLayer(l); } else { map.removeLayer(l); }
            });
            if (window.tianheNoShade) {
              var shade = window.tianheLayers._layers.some(function (o) { return !o.overlay && o.layer !== window.tianheNoShade && map.hasLayer(o.layer); });
              if (shade) { map.removeLayer(window.tianheNoShade); } else { map.addLayer(window.tianheNoShade); }
            }
            if (window.tianheLayers) { window.tianheLayers._update(); }
          }
          restore();
          function save() { history.replaceState(null, '', state()); }
          map.on('moveend overlayadd overlayremove baselayerchange', save);
          map.on('overlayadd overlayremove baselayerchange', sync); sync();
          // The language twin has the same layers: it gets all; other pages only the view.
          document.querySelectorAll('a.th-keep, a.th-view').forEach(function (a) {
            a.addEventListener('click', function () {
              var s = state();
              if (a.classList.contains('th-view')) { s = s.split('/').slice(0, 3).join('/'); }
              a.href = a.href.split('#')[0] + s;
            });
          });
          var box = document.getElementById('th-search');
          box.addEventListener('keydown', function (e) {
            if (e.key !== 'Enter') { return; }
            var q = box.value.trim().toLowerCase(); if (!q) { return; }
            var hit = (window.tianheSearch || []).find(function (l) {
              var t = document.createElement('div'); t.innerHTML = l.feature.properties._label;
              return t.textContent.toLowerCase().indexOf(q) >= 0 && map.hasLayer(l);
            });
            if (!hit) { box.setCustomValidity({{ this.nomatch }}); box.reportValidity(); return; }
            box.setCustomValidity('');
            if (hit.getLatLng) { map.setView(hit.getLatLng(), 16); } else { map.fitBounds(hit.getBounds()); }
            hit.openPopup();
          });
          document.getElementById('th-png').addEventListener('click', function () {
            window.tianheSnapshot(map, document.title || 'map');
          });
          document.getElementById('th-full').addEventListener('click', function () {
            var el = document.documentElement;
            if (document.fullscreenElement) { document.exitFullscreen(); }
            else if (el.requestFullscreen) { el.requestFullscreen(); }
          });
        })({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


_PAGE_CSS = """<style>
html, body { width: 100%; height: 100%; margin: 0; padding: 0; }
.folium-map { background: #eef1f4; }
#th-panel { position: absolute; z-index: 1000; bottom: 52px; left: 8px; max-width: 280px;
  max-height: calc(100% - 140px); overflow-y: auto; background: rgba(255,255,255,.95);
  padding: 6px 8px; border-radius: 4px; font: 12px/1.4 system-ui, sans-serif;
  box-shadow: 0 1px 4px rgba(0,0,0,.3); }
#th-panel button { min-height: 32px; margin: 2px 4px 2px 0; }
#th-panel.th-folded #th-body { display: none; }
#th-panel input { width: 150px; min-height: 28px; } #th-panel a { margin-left: 6px; }
#th-near:empty { display: none; }
#th-near { max-width: 270px; max-height: 40vh; overflow-y: auto; }
#th-near .th-plan { color: #777; padding-left: 8px; } #th-near .th-msg { color: #b2182b; }
#th-near .th-close { float: right; min-height: 28px; min-width: 32px; }
.th-legend i { display: inline-block; width: 12px; height: 12px; margin-right: 5px;
  vertical-align: middle; border: 1px solid #555; font-style: normal; }
.th-legend i.th-disc { width: 16px; height: 16px; border-radius: 50%; color: #fff;
  font: bold 10px/16px system-ui, sans-serif; text-align: center; border-color: #fff; }
.th-note { color: #555; margin-top: 4px; font-size: 11px; }
.th-legend p.th-note { margin: 2px 0 6px; }
.th-popup th { text-align: left; padding-right: 6px; }
.th-pin { display: flex; align-items: center; justify-content: center; background: none; }
.th-pin span { display: block; width: 22px; height: 22px; border-radius: 50%; border: 2px solid #fff;
  box-shadow: 0 0 2px rgba(0,0,0,.7); color: #fff; text-align: center;
  font: bold 12px/22px system-ui, sans-serif; }
.leaflet-control-layers-list { max-height: 60vh; overflow-y: auto; }
.leaflet-control-layers-toggle { width: 44px; height: 44px;
  background: url("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 26 26'%3E%3Cpath d='M13 3 2 9l11 6 11-6z' fill='%23333'/%3E%3Cpath d='m2 13 11 6 11-6M2 17l11 6 11-6' fill='none' stroke='%23333' stroke-width='2'/%3E%3C/svg%3E") center / 28px no-repeat; }
.leaflet-control-layers-expanded { max-width: 340px; }
.leaflet-control-layers label { margin: 4px 0; }
@media (max-width: 600px) {
  #th-panel { max-width: 70%; font-size: 12px; bottom: 52px; }
  .leaflet-control-layers-expanded { max-width: 75vw; }
}
</style>"""


def render_html(m: TianheMap | folium.Map) -> str:
    """Render a map to a complete HTML page (string).

    Parameters
    ----------
    m : TianheMap or folium.Map
        The map.

    Returns
    -------
    str
        The page.
    """
    fm = m.map if isinstance(m, TianheMap) else m
    return str(fm.get_root().render())
