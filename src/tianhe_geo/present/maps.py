"""The shipped maps, each in Chinese and English.

Plan overview, parks, health, education and elderly care, the subdistrict
dashboard, the resident map, and the scenario and siting maps. Each builder
takes layers and results, draws on a :class:`~tianhe_geo.present.mapkit.TianheMap`
(a new one, or any ``folium.Map`` given as ``m``) and returns it; the pipeline
finishes and writes them. Layers are described by :class:`LayerSpec` rows, so
a layer drawn on several maps is defined once, and every coded value shown
(a status, a tier, a category) is translated in one place, :func:`_shown`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..analysis.coverage import dissolve_residents
from ..analysis.siting import SitingResult
from ..data.schemas import is_complete
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.i18n import CODES, LABELS, code_label, label, standard_title
from ..foundation.standards import PLAN_TARGETS
from ..foundation.vocab import HEALTH_CATEGORIES, SCHOOL_CATEGORIES
from ..plan.run import PlanAnalysis
from ..plan.scenario import ScenarioComparison
from .mapkit import TianheMap, add_layer, as_map, new_map
from .nearme import add_near_me
from .tables import capacity_basis, completeness_text

#: Colour of every coded value drawn by category (column -> code -> colour).
COLOURS: Mapping[str, Mapping[str, str]] = {
    "category": {
        "hospital": "#d7191c",
        "community_health": "#fdae61",
        "primary_school": "#2b83ba",
        "middle_school": "#5e3c99",
        "kindergarten": "#abdda4",
        "elderly_care": "#e66101",
        "library_culture": "#7b3294",
        "sports": "#008837",
    },
    "tier": {
        "ecological": "#1a9641",
        "city": "#66bd63",
        "community": "#a6d96a",
        "pocket": "#d9ef8b",
    },
    "kind": {"axis": "#e31a1c", "belt": "#ff7f00", "zone": "#6a3d9a"},
    "change": {"added": "#1a9850", "removed": "#d73027", "changed": "#4575b4"},
}
RAMP = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
GREENS = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"]

Layers = Mapping[str, gpd.GeoDataFrame]
MapArg = TianheMap | folium.Map | None


@dataclass(frozen=True)
class LayerSpec:
    """How one layer is drawn.

    Attributes
    ----------
    layer : str
        Name of the layer in the layers mapping.
    title : str
        Label key of the layer's name (:data:`tianhe_geo.foundation.i18n.LABELS`).
    fields : tuple of str
        Columns shown in tooltip and popup; each column's label key is its
        name, and coded columns (status, tier, category, kind) show labels.
    colour : str
        Fixed colour, unless ``colour_by`` is given.
    colour_by : str, optional
        Coded column whose value picks the colour (:data:`COLOURS`); its
        legend lists the values present.
    colour_column : str, optional
        Column holding each feature's own colour (``#RRGGBB``, e.g. a metro
        line's); features without one, or a layer without the column, use
        ``colour``. Its legend lists each feature's name with its colour.
    select : callable, optional
        Row filter on the layer.
    legend : bool
        Show a legend while the layer is on.
    letter : str, optional
        Letter of point markers: a label key (``pin_station``), or ``"category"``
        for each facility's category letter (``pin_<category>``).
    tolerance_m, radius, fill_opacity : float
        As :func:`~tianhe_geo.present.mapkit.add_layer`.
    """

    layer: str
    title: str
    fields: tuple[str, ...] = ("name",)
    colour: str = "#3388ff"
    colour_by: str | None = None
    colour_column: str | None = None
    select: Callable[[gpd.GeoDataFrame], pd.Series] | None = None
    legend: bool = True
    letter: str | None = None
    tolerance_m: float = 10.0
    radius: float = 5.0
    fill_opacity: float = 0.45


def _name(lang: str) -> str:
    return "name_zh" if lang == "zh" else "name_en"


def _shown(gdf: gpd.GeoDataFrame, fields: tuple[str, ...], lang: str) -> tuple:
    """The frame with a display column per field (names, translated codes) and its aliases."""
    g = gdf.copy()
    out = []
    for col in fields:
        if col == "name":
            out.append((_name(lang), label("name", lang)))
            continue
        shown = f"_{col}_t"
        g[shown] = g[col].map(lambda v, c=col: code_label(c, v, lang)) if col in CODES else g[col]
        out.append((shown, label(col, lang)))
    return g, out


def _cat_legend(column: str, lang: str, codes: list[str] | None = None) -> dict[str, str]:
    table = COLOURS[column]
    return {code_label(column, k, lang): c for k, c in table.items() if codes is None or k in codes}


def _add_spec(tm: TianheMap, spec: LayerSpec, layers: Layers) -> TianheMap:
    if spec.layer not in layers:  # a data folder of another study area may lack it
        return tm
    gdf = layers[spec.layer]
    if spec.select is not None:
        gdf = gdf[spec.select(gdf).to_numpy()]
    if gdf.empty:
        return tm
    lang = tm.lang
    g, fields = _shown(gdf, spec.fields, lang)
    title = label(spec.title, lang)
    if spec.colour_by:
        column, table = spec.colour_by, COLOURS[spec.colour_by]
        present = sorted(set(gdf[column]) & set(table), key=list(table).index)
        colour: str | Callable[[pd.Series], str] = _colour_of(column, table)
        legend = _cat_legend(column, lang, present)
    elif spec.colour_column and spec.colour_column in g.columns:
        own = g[spec.colour_column]
        own = own.where(own.notna() & own.astype(str).str.strip().ne(""), spec.colour)
        g = g.assign(_own_colour=own)
        colour = _colour_of_row
        legend = dict(zip(g[_name(lang)], own, strict=True))
    else:
        colour, legend = spec.colour, {title: spec.colour}
    add_layer(
        tm,
        g,
        title,
        fields,
        color=colour,
        legend=legend if spec.legend else None,
        label=_name(lang),
        tolerance_m=spec.tolerance_m,
        radius=spec.radius,
        fill_opacity=spec.fill_opacity,
        letter=_letter(spec.letter, lang),
    )
    return tm


def _letter(key: str | None, lang: str) -> str | Callable[[pd.Series], str]:
    if key is None:
        return ""
    if key == "category":
        return lambda row: label(f"pin_{row['category']}", lang)
    return label(key, lang)


def _colour_of_row(row: pd.Series) -> str:
    return str(row["_own_colour"])


def _colour_of(column: str, table: Mapping[str, str]) -> Callable[[pd.Series], str]:
    return lambda row: table.get(row[column], "#999999")


def _kind(*kinds: str) -> Callable[[gpd.GeoDataFrame], pd.Series]:
    return lambda g: g["kind"].isin(kinds)


def _category(*cats: str) -> Callable[[gpd.GeoDataFrame], pd.Series]:
    return lambda g: g["category"].isin(cats)


def _lines(operating: bool) -> Callable[[gpd.GeoDataFrame], pd.Series]:
    return lambda g: (g["kind"] == "line") & ((g["status"] == "operating") == operating)


#: Layers drawn on several maps, each defined once.
SUBDISTRICTS = LayerSpec(
    "subdistricts", "subdistricts", ("name", "population"), "#555555",
    legend=False, tolerance_m=30, fill_opacity=0.05,
)  # fmt: skip
PARKS = LayerSpec("parks", "parks", ("name", "tier", "area_ha"), colour_by="tier")
STATIONS = LayerSpec(
    "transit", "stations", ("name", "line"), "#08306b", select=_kind("station", "rail_station"),
    radius=4, letter="pin_station",
)  # fmt: skip

OVERVIEW = (
    SUBDISTRICTS,
    LayerSpec("structure", "structure", ("name", "kind", "role"), colour_by="kind", tolerance_m=20),
    PARKS,
    LayerSpec("rivers", "rivers", ("name",), "#4393c3"),
    LayerSpec(
        "transit", "transit_built", ("name", "line", "status"), "#08519c",
        colour_column="colour", select=_lines(True), tolerance_m=2,
    ),
    LayerSpec(
        "transit", "transit_planned", ("name", "line", "status"), "#9ecae1",
        select=_lines(False), tolerance_m=2,
    ),
    LayerSpec(
        "transit", "stations", ("name", "line", "status"), "#08306b",
        select=_kind("station", "rail_station"), legend=False, radius=4, letter="pin_station",
    ),
    LayerSpec("projects", "projects", ("name", "status"), "#ff00ff", tolerance_m=0),
)  # fmt: skip


def _facility_spec(title: str, categories: tuple[str, ...]) -> LayerSpec:
    return LayerSpec(
        "facilities", title, ("name", "category", "status", "beds", "doctors"),
        colour_by="category", select=_category(*categories), letter="category",
    )  # fmt: skip


def _draw(
    m: MapArg, lang: str, tiles: str, specs: tuple[LayerSpec, ...], layers: Layers
) -> TianheMap:
    bounds = layers["boundary"].total_bounds if "boundary" in layers else None
    tm = new_map(lang, tiles, bounds=bounds) if m is None else as_map(m, lang)
    for spec in specs:
        _add_spec(tm, spec, _with_roles(layers, tm.lang))
    return tm


def _with_roles(layers: Layers, lang: str) -> Layers:
    """The structure layer's role in the map's language, as the column ``role``."""
    if "structure" not in layers:
        return layers
    s = layers["structure"]
    return {**layers, "structure": s.assign(role=s["role_zh" if lang == "zh" else "role_en"])}


def overview_map(
    layers: Layers, lang: str = "en", tiles: str = "osm", m: MapArg = None
) -> TianheMap:
    """Plan overview: structure, transit (built vs planned), projects, parks, rivers, subdistricts.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map (not finished, not saved).
    """
    return _draw(m, lang, tiles, OVERVIEW, layers)


def _choropleth(
    tm: TianheMap,
    gdf: gpd.GeoDataFrame,
    column: str,
    name: str,
    colours: list[str],
    fmt: str = "{:.0%}",
    show: bool = True,
    basis: str | None = None,
) -> TianheMap:
    values = gdf[column].astype(float)
    finite = values[np.isfinite(values)]
    top = len(colours) + 1
    edges = np.linspace(finite.min(), finite.max(), top) if len(finite) else np.zeros(top)

    def colour(row: pd.Series) -> str:
        v = row[column]
        if not np.isfinite(v):
            return "#cccccc"
        return colours[min(int(np.searchsorted(edges, v, side="right")) - 1, len(colours) - 1)]

    legend = {
        f"{fmt.format(edges[i])} – {fmt.format(edges[i + 1])}": c for i, c in enumerate(colours)
    }
    g = gdf.copy()
    g[column + "_t"] = values.map(lambda v: fmt.format(v) if np.isfinite(v) else "—")
    n = _name(tm.lang)
    fields = [(n, label("name", tm.lang)), (column + "_t", name)]
    if basis is not None:  # what the figure rests on, on every area's popup
        g["_basis"] = basis
        fields.append(("_basis", label("rests_on_title", tm.lang)))
    add_layer(tm, g, name, fields, colour, legend, n, show, 30, exclusive=True, legend_note=basis)
    return tm


def _surface(
    tm: TianheMap, cells: gpd.GeoDataFrame, score: pd.Series, name: str, basis: str | None = None
) -> TianheMap:
    """A per-cell score drawn as a few dissolved classes: 13,000 cells would weigh megabytes."""
    values = score.reindex(cells.index).astype(float)
    finite = values[np.isfinite(values)]
    edges = np.quantile(finite, np.linspace(0, 1, len(GREENS) + 1)) if len(finite) else []
    edges = np.unique(edges)
    if len(edges) < 2:
        return tm
    cls = np.clip(np.searchsorted(edges, values.to_numpy(), side="right") - 1, 0, len(edges) - 2)
    rows = []
    for i in range(len(edges) - 1):
        mask = (cls == i) & np.isfinite(values.to_numpy())
        if mask.any():
            text = f"{edges[i]:.2f} – {edges[i + 1]:.2f}"
            geom = dissolve_residents(cells, mask)
            rows.append({"name_zh": text, "name_en": text, "c": GREENS[i], "geometry": geom})
    g = gpd.GeoDataFrame(rows, crs=cells.crs)
    legend = {r["name_en"]: r["c"] for r in rows}
    fields = [(_name(tm.lang), name)]
    add_layer(
        tm, g, name, fields, lambda r: r["c"], legend, tolerance_m=20, fill_opacity=0.6,
        exclusive=True, legend_note=basis,
    )  # fmt: skip
    return tm


def _title(result: PlanAnalysis, key: str, lang: str) -> str:
    return standard_title(result.config.standard(key), lang)


def _share_layer(
    tm: TianheMap, layers: Layers, result: PlanAnalysis, key: str, name: str, show: bool = True
) -> TianheMap:
    """Choropleth of the share of residents a standard covers, per subdistrict."""
    sub = layers["subdistricts"]
    share = result.results[key].share()
    g = sub.assign(share=share.reindex(sub["code"]).to_numpy())
    basis = completeness_text(result.rests_on[key], result.config.standard(key), tm.lang)
    return _choropleth(tm, g, "share", name, GREENS, show=show, basis=basis)


def _coverage_layers(
    tm: TianheMap, layers: Layers, result: PlanAnalysis, keys: list[str], show_first: bool = True
) -> TianheMap:
    lang = tm.lang
    for i, key in enumerate(k for k in keys if k in result.results):
        title = _title(result, key, lang)
        on = show_first and i == 0
        # One choropleth at a time: stacked translucent fills mix into unreadable colours.
        _share_layer(tm, layers, result, key, f"{title}: {label('share', lang)}", show=on)
        one = label("uncovered_one", lang)
        unc = result.results[key].uncovered.assign(name_zh=one, name_en=one)
        name = f"{title}: {label('uncovered', lang)}"
        fields = [(_name(lang), label("name", lang))]
        legend = {label("uncovered", lang): "#b2182b"}
        # An outline, not a fill: drawn over the shading without hiding or recolouring it.
        add_layer(tm, unc, name, fields, "#b2182b", legend, show=on, tolerance_m=20, dash=True)
    return tm


def parks_map(
    layers: Layers, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m: MapArg = None
) -> TianheMap:
    """Parks by tier with their 300 m / 500 m coverage and uncovered areas.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map.
    """
    tm = _draw(m, lang, tiles, (), layers)
    _coverage_layers(tm, layers, result, ["green-300", "park-500"])
    return _add_spec(tm, PARKS, layers)


def health_map(
    layers: Layers, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m: MapArg = None
) -> TianheMap:
    """Hospitals and health centres, their coverage, and doctors and beds per 1,000 (2SFCA).

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map.
    """
    tm = _draw(m, lang, tiles, (), layers)
    sub = layers["subdistricts"]
    beds, doctors = result.beds, result.doctors
    # Capacities are sparse in the shipped data: draw a score only where it was measured.
    if beds.measured:
        basis = capacity_basis(beds, lang)
        name = label("bpk_cell", lang, catchment=beds.catchment_m)
        _surface(tm, layers["residents"], beds.per_cell, name, basis)
        g = sub.assign(bpk=beds.per_subdistrict.reindex(sub["code"]).to_numpy())
        name = label("bpk", lang, catchment=beds.catchment_m)
        _choropleth(tm, g, "bpk", name, GREENS, fmt="{:.2f}", show=False, basis=basis)
    if doctors.measured:
        g = sub.assign(dpk=doctors.per_subdistrict.reindex(sub["code"]).to_numpy())
        name = label("dpk", lang, catchment=doctors.catchment_m)
        basis = capacity_basis(doctors, lang)
        _choropleth(tm, g, "dpk", name, GREENS, fmt="{:.2f}", show=False, basis=basis)
    _coverage_layers(tm, layers, result, ["life15-health"], show_first=False)
    return _add_spec(tm, _facility_spec("hospitals", HEALTH_CATEGORIES), layers)


def education_map(
    layers: Layers, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m: MapArg = None
) -> TianheMap:
    """Schools by level and elderly care with their life-circle coverage.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map.
    """
    tm = _draw(m, lang, tiles, (), layers)
    keys = ["life5-kindergarten", "life10-primary", "life15-middle", "life5-elderly"]
    _coverage_layers(tm, layers, result, keys, show_first=False)
    _add_spec(tm, _facility_spec("schools", SCHOOL_CATEGORIES), layers)
    return _add_spec(tm, _facility_spec("elderly", ("elderly_care",)), layers)


def dashboard_map(
    layers: Layers, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m: MapArg = None
) -> TianheMap:
    """Subdistrict choropleths of every standard's coverage, and park area per resident.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map.
    """
    tm = _draw(m, lang, tiles, (), layers)
    for i, key in enumerate(result.results):
        # One choropleth on at a time keeps the map readable.
        _share_layer(tm, layers, result, key, _title(result, key, lang), show=i == 0)
    sub = layers["subdistricts"]
    target, _unit = PLAN_TARGETS["park_m2_per_resident"]
    g = sub.assign(m2=result.park_m2.reindex(sub["code"]).to_numpy())
    name = label("park_m2", lang, target=target)
    _target_choropleth(tm, g, "m2", name, target, lower_bound=not is_complete(layers["parks"]))
    beds = result.beds
    if beds.measured:
        g = sub.assign(bpk=beds.per_subdistrict.reindex(sub["code"]).to_numpy())
        name = label("bpk", lang, catchment=beds.catchment_m)
        basis = capacity_basis(beds, lang)
        _choropleth(tm, g, "bpk", name, GREENS, fmt="{:.2f}", show=False, basis=basis)
    return tm


def _target_choropleth(
    tm: TianheMap,
    gdf: gpd.GeoDataFrame,
    column: str,
    name: str,
    target: float,
    lower_bound: bool = False,
) -> TianheMap:
    """Two-colour choropleth: at or above the plan target, or below it.

    With ``lower_bound`` (values from an incomplete layer) "below" only means
    below in this data, and is drawn and labelled as such.
    """
    lang = tm.lang
    short = "below_target_lower_bound" if lower_bound else "below_target"
    labels = {
        "met": label("meets_target", lang, target=target),
        "short": label(short, lang, target=target),
    }
    colours = {"met": "#1a9850", "short": "#fdae61" if lower_bound else "#d73027"}
    g = gdf.copy()
    g[column + "_t"] = g[column].map(lambda v: f"{v:.1f}")
    n = _name(lang)
    add_layer(
        tm,
        g,
        name,
        [(n, label("name", lang)), (column + "_t", name)],
        color=lambda r: colours["met" if r[column] >= target else "short"],
        legend={labels[k]: c for k, c in colours.items()},
        label=n,
        show=False,
        tolerance_m=30,
        exclusive=True,
    )
    return tm


def resident_map(
    layers: Layers, lang: str = "en", tiles: str = "osm", m: MapArg = None
) -> TianheMap:
    """Simple "what is near me" map: parks, clinics, schools, elderly care, stations.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map.
    """
    cats = (*HEALTH_CATEGORIES, *SCHOOL_CATEGORIES, "elderly_care")
    tm = _draw(m, lang, tiles, (PARKS, _facility_spec("nearest", cats), STATIONS), layers)
    return add_near_me(tm, layers)


#: The maps every build writes, each as ``<name>_<lang>.html``.
MAP_NAMES = ("overview", "parks", "health", "education_elderly", "dashboard", "resident")


def shipped_map(
    name: str,
    layers: Layers,
    result: PlanAnalysis,
    lang: str,
    tiles: str = "osm",
    offline: bool = True,
) -> TianheMap:
    """Build one of the shipped maps (:data:`MAP_NAMES`), not yet finished.

    Parameters
    ----------
    name : str
        One of :data:`MAP_NAMES`.
    layers : mapping
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    offline : bool, default True
        Inline Leaflet (no CDN).

    Returns
    -------
    TianheMap
        The map.
    """
    tm = new_map(lang, tiles, offline, bounds=layers["boundary"].total_bounds)
    if name == "overview":
        return overview_map(layers, lang, m=tm)
    if name == "resident":
        return resident_map(layers, lang, m=tm)
    makers = {
        "parks": parks_map,
        "health": health_map,
        "education_elderly": education_map,
        "dashboard": dashboard_map,
    }
    if name not in makers:
        msg = f"unknown map {name!r}; known: {list(MAP_NAMES)}"
        raise ValueError(msg)
    return makers[name](layers, result, lang, m=tm)


def scenario_map(
    layers: Layers,
    comparison: ScenarioComparison,
    standard: str,
    lang: str = "en",
    tiles: str = "osm",
    m: MapArg = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> TianheMap:
    """Difference map of a scenario: areas gained and lost for one standard, changed features.

    Parameters
    ----------
    layers : mapping
        Layers after the scenario (for the subdistricts).
    comparison : ScenarioComparison
        Output of :func:`tianhe_geo.plan.scenario.compare`.
    standard : str
        The standard's key, as in ``comparison``.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.
    config : AnalysisConfig
        The settings the comparison was computed with (the standard's radius).

    Returns
    -------
    TianheMap
        The map.
    """
    tm = _draw(m, lang, tiles, (SUBDISTRICTS,), layers)
    title = standard_title(config.standard(standard), lang)
    diff = comparison.diff[comparison.diff["standard"] == standard]
    g = diff.geometry.values
    diff = diff[~shapely.is_missing(g) & ~shapely.is_empty(g)]
    colours = {"gained": "#1a9850", "lost": "#d73027"}
    fields = [(_name(lang), label("change", lang)), ("persons", label("persons", lang))]
    for kind in ("gained", "lost"):
        text = {lg: label(kind, lg) for lg in ("zh", "en")}
        part = diff[diff["change"] == kind].assign(name_zh=text["zh"], name_en=text["en"])
        part["persons"] = part["population"].round(0).astype(int)
        name = f"{title}: {label(kind, lang)}"
        add_layer(
            tm,
            part,
            name,
            fields,
            colours[kind],
            {label(kind, lang): colours[kind]},
            tolerance_m=20,
        )
    if len(comparison.changes):
        layers_changed = {"changes": comparison.changes}
        spec = LayerSpec("changes", "changed", ("name", "change"), colour_by="change", radius=7)
        _add_spec(tm, spec, layers_changed)
    return tm


def siting_map(
    layers: Layers,
    result: SitingResult,
    existing: gpd.GeoDataFrame,
    radius_m: float,
    lang: str = "en",
    tiles: str = "osm",
    m: MapArg = None,
) -> TianheMap:
    """Proposed sites from a siting model, their reach and the residents they newly cover.

    Parameters
    ----------
    layers : mapping
        Loaded layers (for the subdistricts).
    result : SitingResult
        From :func:`tianhe_geo.analysis.siting.maximal_covering` or ``set_covering``.
    existing : geopandas.GeoDataFrame
        Facilities kept fixed.
    radius_m : float
        Covering distance in metres (drawn around each new site).
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap of a new map.
    m : TianheMap or folium.Map, optional
        Map to add to.

    Returns
    -------
    TianheMap
        The map.
    """
    tm = _draw(m, lang, tiles, (SUBDISTRICTS,), layers)
    _newly_covered(tm, result)
    n = _name(lang)
    named = [(n, label("name", lang))]
    grey = "#636363"
    ex = existing.assign(name_zh=existing.get("name_zh"), name_en=existing.get("name_en"))
    add_layer(
        tm, ex, label("existing_fac", lang), named, grey, {label("existing_fac", lang): grey}, n
    )
    sites = result.chosen.copy()
    sites["name_zh"] = [label("site_name", "zh", n=i + 1) for i in range(len(sites))]
    sites["name_en"] = [label("site_name", "en", n=i + 1) for i in range(len(sites))]
    sites["persons"] = sites["new_covered_pop"].round(0).astype(int)
    reach = sites.assign(geometry=sites.geometry.buffer(radius_m))
    name = label("site_reach", lang, radius=radius_m)
    add_layer(tm, reach, name, named, "#fdae61", fill_opacity=0.15, tolerance_m=5)
    fields = [*named, ("persons", label("newly", lang))]
    red = "#d7191c"
    add_layer(
        tm, sites, label("sites", lang), fields, red, {label("sites", lang): red}, n, radius=7
    )
    return tm


def _newly_covered(tm: TianheMap, result: SitingResult) -> TianheMap:
    res = result.residents
    newly = res["covered_after"].to_numpy() & ~res["covered_before"].to_numpy()
    if not newly.any():
        return tm
    lang = tm.lang
    pop = round(float(res["population"].to_numpy()[newly].sum()))
    g = gpd.GeoDataFrame(
        {"name_zh": [label("newly", "zh")], "name_en": [label("newly", "en")], "persons": [pop]},
        geometry=[dissolve_residents(res, newly)],
        crs=res.crs,
    )
    fields = [(_name(lang), label("change", lang)), ("persons", label("persons", lang))]
    green = "#1a9850"
    add_layer(
        tm, g, label("newly", lang), fields, green, {label("newly", lang): green}, tolerance_m=20
    )
    return tm


def map_title(stem: str, lang: str, detail: str | None = None) -> str:
    """The title of a map page from its file stem (``parks``, ``scenario_plan2025_park-500``).

    Parameters
    ----------
    stem : str
        The file name without ``_<lang>.html``.
    lang : {'zh', 'en'}
        Language.
    detail : str, optional
        What a scenario or siting map shows (a standard's title), in brackets;
        the rest of the stem when omitted.

    Returns
    -------
    str
        E.g. ``公园与绿地覆盖 · 规划地图``.
    """
    kind = stem.split("_", 1)[0] if stem.startswith(("scenario_", "siting_")) else stem
    head = label(f"map_title_{kind}", lang) if f"map_title_{kind}" in LABELS else stem
    rest = detail or (stem[len(kind) + 1 :] if kind != stem else "")
    bracket = (f"（{rest}）" if lang == "zh" else f" ({rest})") if rest else ""
    return f"{head}{bracket} · {label('map_index', lang)}"


def _short_title(stem: str, lang: str, titles: Mapping[tuple[str, str], str]) -> str:
    return titles.get((stem, lang)) or map_title(stem, lang).rsplit(" · ", 1)[0]


def index_page(
    stems: list[str],
    langs: tuple[str, ...],
    titles: Mapping[tuple[str, str], str] | None = None,
) -> str:
    """A small bilingual page linking every map (``<stem>_<lang>.html``), view kept from its hash.

    Parameters
    ----------
    stems : list of str
        Map file stems, in the order listed.
    langs : tuple of str
        Languages each map was written in.
    titles : mapping, optional
        (stem, lang) -> the map's title as its page gives it (unescaped);
        :func:`map_title` of the stem where missing.

    Returns
    -------
    str
        The HTML page (every name escaped).
    """
    rows = "".join(
        "<li>"
        + " · ".join(
            f"<a href='{html.escape(f'{stem}_{lg}.html')}'>"
            f"{html.escape(_short_title(stem, lg, titles or {}))}</a>"
            for lg in langs
        )
        + "</li>"
        for stem in stems
    )
    title = " / ".join(label("map_index", lg) for lg in langs)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)}</title><style>body{{font:16px/1.6 system-ui,sans-serif;"
        "margin:1em;max-width:40em}li{margin:.4em 0}a{padding:.3em 0;display:inline-block}</style>"
        f"</head><body><h1>{html.escape(title)}</h1><ul>{rows}</ul><script>"
        # Opened from a map, the index hands its view (#zoom/lat/lon) on to the next map.
        "document.querySelectorAll('a').forEach(function(a){a.addEventListener('click',"
        "function(){if(/^#[0-9]+\\/[-0-9.]+\\/[-0-9.]+$/.test(location.hash)){"
        "a.href=a.href.split('#')[0]+location.hash;}});});</script></body></html>"
    )
