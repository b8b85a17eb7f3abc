"""The shipped maps, each in Chinese and English.

Plan overview, parks, health, education and elderly care,
subdistrict dashboard and the resident map.

Each ``*_map`` function takes the layers (and analysis results) and returns a
``folium.Map``; :func:`build_maps` saves them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ._errors import AnalysisInputError
from .analysis import PlanAnalysis, park_area_per_resident
from .config import DEFAULT_CONFIG, STANDARDS, AnalysisConfig
from .coverage import dissolve_residents
from .facts import PLAN_TARGETS
from .io import write_text
from .layers import is_shipped
from .mapping import add_layer, add_legends_and_controls, new_map, render_html
from .scenario import ScenarioComparison
from .siting import SitingResult

T = {  # one dictionary for every label: no mixed-language maps
    "name": {"zh": "名称", "en": "Name"},
    "subdistricts": {"zh": "街道（近似边界）", "en": "Subdistricts (approximate)"},
    "population": {"zh": "常住人口(2020)", "en": "Population (2020)"},
    "structure": {"zh": "空间结构（示意）", "en": "Plan structure (schematic)"},
    "role": {"zh": "定位", "en": "Role"},
    "kind": {"zh": "类型", "en": "Type"},
    "transit_built": {"zh": "地铁（已开通）", "en": "Metro (operating)"},
    "transit_planned": {"zh": "地铁（在建/规划）", "en": "Metro (under construction / planned)"},
    "stations": {"zh": "地铁站", "en": "Metro stations"},
    "line": {"zh": "线路", "en": "Line"},
    "status": {"zh": "状态", "en": "Status"},
    "projects": {"zh": "重点项目", "en": "Key projects"},
    "parks": {"zh": "公园", "en": "Parks"},
    "tier": {"zh": "层级", "en": "Tier"},
    "area_ha": {"zh": "面积(公顷)", "en": "Area (ha)"},
    "rivers": {"zh": "河涌", "en": "Rivers and creeks"},
    "uncovered": {"zh": "未覆盖区域", "en": "Uncovered areas"},
    "share": {"zh": "覆盖率", "en": "Share covered"},
    "hospitals": {"zh": "医院与社区卫生服务中心", "en": "Hospitals and health centres"},
    "doctors": {"zh": "医生数", "en": "Doctors"},
    "beds": {"zh": "床位", "en": "Beds"},
    "dpk": {"zh": "每千人医生(2SFCA)", "en": "Doctors per 1,000 (2SFCA)"},
    "park_m2": {
        "zh": "人均公园绿地(平方米, 规划目标 {target:g})",
        "en": "Park area per resident (m², plan target {target:g})",
    },
    "bpk": {
        "zh": "每千人医院床位(2SFCA, 3公里, 街道平均)",
        "en": "Hospital beds per 1,000 (2SFCA, 3 km, subdistrict mean)",
    },
    "bpk_cell": {
        "zh": "每千人医院床位(2SFCA, 3公里, 仅含已公布床位的医院)",
        "en": "Hospital beds per 1,000 (2SFCA, 3 km; hospitals with published beds only)",
    },
    "schools": {"zh": "学校", "en": "Schools"},
    "elderly": {"zh": "养老服务设施", "en": "Elderly care"},
    "category": {"zh": "类别", "en": "Category"},
    "nearest": {"zh": "最近设施", "en": "Nearest facilities"},
    "approx_label": {"zh": "（近似）", "en": " (approximate)"},
    "gained": {"zh": "新增覆盖", "en": "Newly covered"},
    "lost": {"zh": "失去覆盖", "en": "No longer covered"},
    "changed": {"zh": "情景变化的设施", "en": "Features the scenario changes"},
    "change": {"zh": "变化", "en": "Change"},
    "persons": {"zh": "人口", "en": "Residents"},
    "sites": {"zh": "建议新址", "en": "Proposed new sites"},
    "site_reach": {"zh": "新址服务范围", "en": "Reach of the new sites"},
    "newly": {"zh": "新增覆盖人口", "en": "Newly covered residents"},
    "existing_fac": {"zh": "现有设施", "en": "Existing facilities"},
}
CHANGE = {
    "added": ("新增", "Added", "#1a9850"),
    "removed": ("移除", "Removed", "#d73027"),
    "changed": ("改变（如建成）", "Changed (e.g. built)", "#4575b4"),
}
CATEGORY = {
    "hospital": ("医院", "Hospital", "#d7191c"),
    "community_health": ("社区卫生服务中心", "Community health centre", "#fdae61"),
    "primary_school": ("小学", "Primary school", "#2b83ba"),
    "middle_school": ("中学", "Middle school", "#5e3c99"),
    "kindergarten": ("幼儿园", "Kindergarten", "#abdda4"),
    "elderly_care": ("养老服务", "Elderly care", "#e66101"),
    "library_culture": ("图书馆/文化", "Library / culture", "#7b3294"),
    "sports": ("体育", "Sports", "#008837"),
}
TIER = {
    "ecological": ("生态公园", "Ecological park", "#1a9641"),
    "city": ("城市公园", "City park", "#66bd63"),
    "community": ("社区公园", "Community park", "#a6d96a"),
    "pocket": ("口袋公园·游园", "Pocket park", "#d9ef8b"),
}
KIND = {
    "axis": ("发展轴", "Axis", "#e31a1c"),
    "belt": ("发展带", "Belt", "#ff7f00"),
    "zone": ("片区", "Zone", "#6a3d9a"),
}
RAMP = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"]
GREENS = ["#edf8e9", "#bae4b3", "#74c476", "#31a354", "#006d2c"]


def _t(key: str, lang: str) -> str:
    return T[key][lang]


def _name(lang: str) -> str:
    return "name_zh" if lang == "zh" else "name_en"


def _cat_legend(table: dict, lang: str, keys=None) -> dict[str, str]:
    i = 0 if lang == "zh" else 1
    return {v[i]: v[2] for k, v in table.items() if keys is None or k in keys}


def _translated(gdf: gpd.GeoDataFrame, col: str, table: dict, lang: str) -> pd.Series:
    i = 0 if lang == "zh" else 1
    return gdf[col].map(lambda k: table.get(k, (k, k))[i])


def _base(layers: dict, lang: str, tiles: str, m: folium.Map | None) -> folium.Map:
    m = m or new_map(lang, tiles)
    sub = layers["subdistricts"]
    add_layer(
        m,
        sub,
        _t("subdistricts", lang),
        [(_name(lang), _t("name", lang)), ("population", _t("population", lang))],
        color="#555555",
        label=_name(lang),
        tolerance_m=30,
        fill_opacity=0.05,
    )
    return m


def overview_map(
    layers: dict, lang: str = "en", tiles: str = "osm", m: folium.Map | None = None
) -> folium.Map:
    """Plan overview: structure, transit (built vs planned), projects, parks, rivers, subdistricts.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map (not saved).
    """
    m = _base(layers, lang, tiles, m)
    n = _name(lang)
    s = layers["structure"].copy()
    s["kind_t"] = _translated(s, "kind", KIND, lang)
    s["role"] = s["role_zh" if lang == "zh" else "role_en"]
    add_layer(
        m,
        s,
        _t("structure", lang),
        [(n, _t("name", lang)), ("kind_t", _t("kind", lang)), ("role", _t("role", lang))],
        color=lambda r: KIND[r["kind"]][2],
        legend=_cat_legend(KIND, lang),
        label=n,
        tolerance_m=20,
    )
    p = layers["parks"].copy()
    p["tier_t"] = _translated(p, "tier", TIER, lang)
    add_layer(
        m,
        p,
        _t("parks", lang),
        [(n, _t("name", lang)), ("tier_t", _t("tier", lang)), ("area_ha", _t("area_ha", lang))],
        color=lambda r: TIER[r["tier"]][2],
        legend=_cat_legend(TIER, lang),
        label=n,
    )
    add_layer(
        m,
        layers["rivers"],
        _t("rivers", lang),
        [(n, _t("name", lang))],
        color="#4393c3",
        label=n,
        legend={_t("rivers", lang): "#4393c3"},
    )
    tr = layers["transit"]
    lines = tr[tr["kind"] == "line"]
    built = lines["status"] == "operating"
    fields = [(n, _t("name", lang)), ("line", _t("line", lang)), ("status", _t("status", lang))]
    # Operating lines in their own colours (the layer's optional ``colour`` column).
    colour = lines.get("colour", pd.Series(index=lines.index, dtype=object))
    colour = colour.where(colour.notna() & (colour.astype(str).str.strip() != ""), "#08519c")
    add_layer(
        m,
        lines[built].assign(_colour=colour[built]),
        _t("transit_built", lang),
        fields,
        color=lambda r: r["_colour"],
        label=n,
        tolerance_m=2,
        legend=dict(zip(lines.loc[built, n], colour[built], strict=True)),
    )
    if (~built).any():
        add_layer(
            m,
            lines[~built],
            _t("transit_planned", lang),
            fields,
            color="#9ecae1",
            label=n,
            tolerance_m=2,
            legend={_t("transit_planned", lang): "#9ecae1"},
        )
    add_layer(
        m,
        tr[tr["kind"] != "line"],
        _t("stations", lang),
        fields,
        color="#08306b",
        label=n,
        radius=4,
    )
    add_layer(
        m,
        layers["projects"],
        _t("projects", lang),
        [(n, _t("name", lang)), ("status", _t("status", lang))],
        color="#ff00ff",
        label=n,
        legend={_t("projects", lang): "#ff00ff"},
        tolerance_m=0,
    )
    return m


def _choropleth(m, gdf, column, name, lang, colours, fmt="{:.0%}", show=True):
    values = gdf[column].astype(float)
    finite = values[np.isfinite(values)]
    edges = (
        np.linspace(finite.min(), finite.max(), len(colours) + 1)
        if len(finite)
        else np.zeros(len(colours) + 1)
    )

    def colour(row):
        v = row[column]
        if not np.isfinite(v):
            return "#cccccc"
        return colours[min(int(np.searchsorted(edges, v, side="right")) - 1, len(colours) - 1)]

    legend = {
        f"{fmt.format(edges[i])} – {fmt.format(edges[i + 1])}": c for i, c in enumerate(colours)
    }
    g = gdf.copy()
    g[column + "_t"] = values.map(lambda v: fmt.format(v) if np.isfinite(v) else "—")
    n = _name(lang)
    add_layer(
        m,
        g,
        name,
        [(n, _t("name", lang)), (column + "_t", name)],
        color=colour,
        legend=legend,
        label=n,
        show=show,
        tolerance_m=30,
    )
    return m


def _surface(m, cells: gpd.GeoDataFrame, score: pd.Series, name: str, lang: str) -> folium.Map:
    """A per-cell score drawn as a few dissolved classes: 13,000 cells would weigh megabytes."""
    values = score.reindex(cells.index).astype(float)
    finite = values[np.isfinite(values)]
    edges = np.quantile(finite, np.linspace(0, 1, len(GREENS) + 1)) if len(finite) else []
    edges = np.unique(edges)
    if len(edges) < 2:
        return m
    cls = np.clip(np.searchsorted(edges, values.to_numpy(), side="right") - 1, 0, len(edges) - 2)
    rows = []
    for i in range(len(edges) - 1):
        mask = (cls == i) & np.isfinite(values.to_numpy())
        if mask.any():
            label = f"{edges[i]:.2f} – {edges[i + 1]:.2f}"
            geom = dissolve_residents(cells, mask)
            rows.append({"name_zh": label, "name_en": label, "c": GREENS[i], "geometry": geom})
    g = gpd.GeoDataFrame(rows, crs=cells.crs)
    add_layer(
        m,
        g,
        name,
        [(_name(lang), name)],
        color=lambda r: r["c"],
        legend={r["name_en"]: r["c"] for r in rows},
        tolerance_m=20,
        fill_opacity=0.6,
    )
    return m


def _title(key: str, lang: str) -> str:
    std = STANDARDS[key]
    return std.name_zh if lang == "zh" else std.name_en


def _share_layer(m, layers, result: PlanAnalysis, key, lang, name, show=True):
    """Choropleth of the share of residents a standard covers, per subdistrict."""
    sub = layers["subdistricts"]
    share = result.results[key].share()
    g = sub.assign(share=share.reindex(sub["code"]).to_numpy())
    return _choropleth(m, g, "share", name, lang, GREENS, show=show)


def _coverage_layers(m, layers, result: PlanAnalysis, keys, lang, show_first=True):
    for i, key in enumerate(keys):
        title = _title(key, lang)
        # One choropleth at a time: stacked translucent fills mix into unreadable colours.
        _share_layer(
            m,
            layers,
            result,
            key,
            lang,
            f"{title}: {_t('share', lang)}",
            show=show_first and i == 0,
        )
        unc = result.results[key].uncovered.assign(name_zh="未覆盖", name_en="uncovered")
        add_layer(
            m,
            unc,
            f"{title}: {_t('uncovered', lang)}",
            [(_name(lang), _t("name", lang))],
            color="#b2182b",
            legend={_t("uncovered", lang): "#b2182b"},
            show=show_first and i == 0,
            tolerance_m=20,
        )
    return m


def parks_map(
    layers: dict, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m=None
) -> folium.Map:
    """Parks by tier with 300 m / 500 m coverage and uncovered areas.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = m or new_map(lang, tiles)
    _coverage_layers(
        m, layers, result, [k for k in ("green-300", "park-500") if k in result.results], lang
    )
    p = layers["parks"].copy()
    p["tier_t"] = _translated(p, "tier", TIER, lang)
    n = _name(lang)
    add_layer(
        m,
        p,
        _t("parks", lang),
        [(n, _t("name", lang)), ("tier_t", _t("tier", lang)), ("area_ha", _t("area_ha", lang))],
        color=lambda r: TIER[r["tier"]][2],
        legend=_cat_legend(TIER, lang),
        label=n,
    )
    return m


def _facilities(m, layers, cats, lang, name_key):
    f = layers["facilities"]
    f = f[f["category"].isin(cats)].copy()
    f["cat_t"] = _translated(f, "category", CATEGORY, lang)
    n = _name(lang)
    fields = [
        (n, _t("name", lang)),
        ("cat_t", _t("category", lang)),
        ("status", _t("status", lang)),
        ("beds", _t("beds", lang)),
        ("doctors", _t("doctors", lang)),
    ]
    add_layer(
        m,
        f,
        _t(name_key, lang),
        fields,
        color=lambda r: CATEGORY[r["category"]][2],
        legend=_cat_legend(CATEGORY, lang, cats),
        label=n,
    )
    return m


def health_map(
    layers: dict, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m=None
) -> folium.Map:
    """Hospitals and health centres, 1,000 m coverage and 2SFCA doctors per 1,000.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = m or new_map(lang, tiles)
    sub = layers["subdistricts"]
    # Capacities are sparse in the shipped data: draw a score only where it was measured.
    if result.beds_cell.notna().any():
        _surface(m, layers["residents"], result.beds_cell, _t("bpk_cell", lang), lang)
        g = sub.assign(bpk=result.beds_subdistrict.reindex(sub["code"]).to_numpy())
        _choropleth(m, g, "bpk", _t("bpk", lang), lang, GREENS, fmt="{:.2f}", show=False)
    if result.doctors_cell.notna().any():
        g = sub.assign(dpk=result.doctors_subdistrict.reindex(sub["code"]).to_numpy())
        _choropleth(m, g, "dpk", _t("dpk", lang), lang, GREENS, fmt="{:.2f}", show=False)
    _coverage_layers(m, layers, result, ["life15-health"], lang, show_first=False)
    return _facilities(m, layers, ["hospital", "community_health"], lang, "hospitals")


def education_map(
    layers: dict, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m=None
) -> folium.Map:
    """Schools by level and elderly care with their life-circle coverage.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = m or new_map(lang, tiles)
    keys = ["life5-kindergarten", "life10-primary", "life15-middle", "life5-elderly"]
    _coverage_layers(
        m, layers, result, [k for k in keys if k in result.results], lang, show_first=False
    )
    _facilities(m, layers, ["primary_school", "middle_school", "kindergarten"], lang, "schools")
    return _facilities(m, layers, ["elderly_care"], lang, "elderly")


def dashboard_map(
    layers: dict, result: PlanAnalysis, lang: str = "en", tiles: str = "osm", m=None
) -> folium.Map:
    """Subdistrict choropleths of every standard's coverage.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = m or new_map(lang, tiles)
    for i, key in enumerate(result.results):
        # One choropleth on at a time keeps the map readable.
        _share_layer(m, layers, result, key, lang, _title(key, lang), show=i == 0)
    sub = layers["subdistricts"]
    target, _unit = PLAN_TARGETS["park_m2_per_resident"]
    per = park_area_per_resident(layers).reindex(sub["code"]).to_numpy()
    g = sub.assign(m2=per)
    name = _t("park_m2", lang).format(target=target)
    lower_bound = is_shipped(layers["parks"])
    _target_choropleth(m, g, "m2", name, lang, target, lower_bound)
    if result.beds_subdistrict.notna().any():
        g = sub.assign(bpk=result.beds_subdistrict.reindex(sub["code"]).to_numpy())
        _choropleth(m, g, "bpk", _t("bpk", lang), lang, GREENS, fmt="{:.2f}", show=False)
    return m


def _target_choropleth(m, gdf, column, name, lang, target, lower_bound=False):
    """Two-colour choropleth: at or above the plan target, or below it.

    With ``lower_bound`` (values from an incomplete layer) "below" only means
    below in this data, and is drawn and labelled as such.
    """
    labels = {
        "met": {"zh": f"达到目标 (≥ {target:g})", "en": f"meets the target (≥ {target:g})"},
        "short": {"zh": f"低于目标 (< {target:g})", "en": f"below the target (< {target:g})"},
    }
    colours = {"met": "#1a9850", "short": "#d73027"}
    if lower_bound:
        labels["short"] = {
            "zh": f"本数据中低于目标 (< {target:g}; 公园图层不全, 为下限)",
            "en": f"below the target in this data (< {target:g}; parks layer incomplete: "
            "a lower bound)",
        }
        colours["short"] = "#fdae61"
    g = gdf.copy()
    g[column + "_t"] = g[column].map(lambda v: f"{v:.1f}")
    n = _name(lang)
    add_layer(
        m,
        g,
        name,
        [(n, _t("name", lang)), (column + "_t", name)],
        color=lambda r: colours["met" if r[column] >= target else "short"],
        legend={labels[k][lang]: c for k, c in colours.items()},
        label=n,
        show=False,
        tolerance_m=30,
    )
    return m


def resident_map(layers: dict, lang: str = "en", tiles: str = "osm", m=None) -> folium.Map:
    """Simple "what is near me" map: parks, clinics, schools, stations; locate-me.

    Parameters
    ----------
    layers : dict
        Loaded layers.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = m or new_map(lang, tiles)
    n = _name(lang)
    p = layers["parks"].copy()
    p["tier_t"] = _translated(p, "tier", TIER, lang)
    add_layer(
        m,
        p,
        _t("parks", lang),
        [(n, _t("name", lang)), ("tier_t", _t("tier", lang))],
        color=lambda r: TIER[r["tier"]][2],
        legend=_cat_legend(TIER, lang),
        label=n,
    )
    _facilities(
        m,
        layers,
        [
            "hospital",
            "community_health",
            "primary_school",
            "middle_school",
            "kindergarten",
            "elderly_care",
        ],
        lang,
        "nearest",
    )
    tr = layers["transit"]
    add_layer(
        m,
        tr[tr["kind"] != "line"],
        _t("stations", lang),
        [(n, _t("name", lang)), ("line", _t("line", lang))],
        color="#08306b",
        label=n,
        radius=4,
        legend={_t("stations", lang): "#08306b"},
    )
    return m


#: The maps :func:`build_maps` can write, each as ``<name>_<lang>.html``.
MAP_NAMES = ("overview", "parks", "health", "education_elderly", "dashboard", "resident")


def build_maps(
    layers: dict,
    result: PlanAnalysis,
    out_dir: str | os.PathLike[str],
    config: AnalysisConfig = DEFAULT_CONFIG,
    only: Sequence[str] | None = None,
    langs: Sequence[str] = ("zh", "en"),
    on_step: Callable[[str], None] | None = None,
) -> list[Path]:
    """Build and save the maps (by default every map in both languages).

    Parameters
    ----------
    layers : dict
        Loaded layers.
    result : PlanAnalysis
        Analysis results.
    out_dir : path-like
        Output folder.
    config : AnalysisConfig
        Settings (``tiles``).
    only : sequence of str, optional
        Map names to build (keys of :data:`MAP_NAMES`); all when omitted.
    langs : sequence of str, default ("zh", "en")
        Languages to build.
    on_step : callable, optional
        Called with each file name once it is written (progress display).

    Returns
    -------
    list of pathlib.Path
        Files written (``<map>_<lang>.html`` and ``map_render_times.csv`` with
        the build-and-render seconds and size of each map).
    """
    t = config.tiles
    makers = {
        "overview": lambda lang, m: overview_map(layers, lang, t, m),
        "parks": lambda lang, m: parks_map(layers, result, lang, t, m),
        "health": lambda lang, m: health_map(layers, result, lang, t, m),
        "education_elderly": lambda lang, m: education_map(layers, result, lang, t, m),
        "dashboard": lambda lang, m: dashboard_map(layers, result, lang, t, m),
        "resident": lambda lang, m: resident_map(layers, lang, t, m),
    }
    unknown = sorted(set(only or ()) - set(makers))
    if unknown:
        msg = f"unknown maps {unknown}; known: {list(MAP_NAMES)}"
        raise AnalysisInputError(msg)
    bad_langs = sorted(set(langs) - {"zh", "en"})
    if bad_langs:
        msg = f"unknown languages {bad_langs}; expected 'zh' and/or 'en'"
        raise AnalysisInputError(msg)
    written, timings = [], []
    for key, make in makers.items():
        if only and key not in only:
            continue
        for lang in langs:
            other = "en" if lang == "zh" else "zh"
            start = time.perf_counter()
            m = add_legends_and_controls(
                make(lang, new_map(lang, t, config.offline)),
                other_url=f"{key}_{other}.html",
                locate=key == "resident",
            )
            page = render_html(m)
            seconds = time.perf_counter() - start
            path = write_text(page, Path(out_dir) / f"{key}_{lang}.html")
            timings.append(f"{path.name},{seconds:.3f},{len(page.encode())}")
            written.append(path)
            if on_step:
                on_step(path.name)
    table = "map,build_and_render_s,bytes\n" + "\n".join(timings) + "\n"
    written.append(write_text(table, Path(out_dir) / "map_render_times.csv"))
    return written


def scenario_map(
    layers: dict,
    comparison: ScenarioComparison,
    standard: str,
    lang: str = "en",
    tiles: str = "osm",
    m: folium.Map | None = None,
) -> folium.Map:
    """Difference map of a scenario: areas gained and lost for one standard, changed features.

    Parameters
    ----------
    layers : dict
        Layers after the scenario (for the subdistricts).
    comparison : ScenarioComparison
        Output of :func:`tianhe_geo.scenario.compare`.
    standard : str
        A key of :data:`tianhe_geo.config.STANDARDS` that ``comparison`` holds.
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = _base(layers, lang, tiles, m)
    title = _title(standard, lang)
    diff = comparison.diff[comparison.diff["standard"] == standard]
    g = diff.geometry.values
    diff = diff[~shapely.is_missing(g) & ~shapely.is_empty(g)]
    colours = {"gained": "#1a9850", "lost": "#d73027"}
    for label in ("gained", "lost"):
        part = diff[diff["change"] == label].assign(name_zh=T[label]["zh"], name_en=T[label]["en"])
        part["persons"] = part["population"].round(0).astype(int)
        add_layer(
            m,
            part,
            f"{title}: {_t(label, lang)}",
            [(_name(lang), _t("change", lang)), ("persons", _t("persons", lang))],
            color=colours[label],
            legend={_t(label, lang): colours[label]},
            tolerance_m=20,
        )
    changes = comparison.changes
    if len(changes):
        g = changes.assign(change_t=_translated(changes, "change", CHANGE, lang))
        add_layer(
            m,
            g,
            _t("changed", lang),
            [(_name(lang), _t("name", lang)), ("change_t", _t("change", lang))],
            color=lambda r: CHANGE[r["change"]][2],
            legend=_cat_legend(CHANGE, lang),
            label=_name(lang),
            radius=7,
        )
    return m


def siting_map(
    layers: dict,
    result: SitingResult,
    existing: gpd.GeoDataFrame,
    radius_m: float,
    lang: str = "en",
    tiles: str = "osm",
    m: folium.Map | None = None,
) -> folium.Map:
    """Proposed sites from a siting model, their reach and the residents they newly cover.

    Parameters
    ----------
    layers : dict
        Loaded layers (for the subdistricts).
    result : SitingResult
        From :func:`tianhe_geo.siting.maximal_covering` or ``set_covering``.
    existing : geopandas.GeoDataFrame
        Facilities kept fixed.
    radius_m : float
        Covering distance in metres (drawn around each new site).
    lang : {'zh', 'en'}
        Language.
    tiles : {'osm', 'gaode', 'none'}
        Basemap.
    m : folium.Map, optional
        Map to add to.

    Returns
    -------
    folium.Map
        The map.
    """
    m = _base(layers, lang, tiles, m)
    res = result.residents
    newly = res["covered_after"].to_numpy() & ~res["covered_before"].to_numpy()
    if newly.any():
        area = dissolve_residents(res, newly)
        pop = round(float(res["population"].to_numpy()[newly].sum()))
        g = gpd.GeoDataFrame(
            {"name_zh": [T["newly"]["zh"]], "name_en": [T["newly"]["en"]], "persons": [pop]},
            geometry=[area],
            crs=res.crs,
        )
        fields = [(_name(lang), _t("change", lang)), ("persons", _t("persons", lang))]
        add_layer(
            m,
            g,
            _t("newly", lang),
            fields,
            color="#1a9850",
            legend={_t("newly", lang): "#1a9850"},
            tolerance_m=20,
        )
    ex = existing.assign(name_zh=existing.get("name_zh"), name_en=existing.get("name_en"))
    add_layer(
        m,
        ex,
        _t("existing_fac", lang),
        [(_name(lang), _t("name", lang))],
        color="#636363",
        legend={_t("existing_fac", lang): "#636363"},
        label=_name(lang),
    )
    sites = result.chosen.copy()
    sites["name_zh"] = [f"新址 {i + 1}" for i in range(len(sites))]
    sites["name_en"] = [f"New site {i + 1}" for i in range(len(sites))]
    sites["persons"] = sites["new_covered_pop"].round(0).astype(int)
    reach = sites.assign(geometry=sites.geometry.buffer(radius_m))
    add_layer(
        m,
        reach,
        _t("site_reach", lang),
        [(_name(lang), _t("name", lang))],
        color="#fdae61",
        fill_opacity=0.15,
        tolerance_m=5,
    )
    add_layer(
        m,
        sites,
        _t("sites", lang),
        [(_name(lang), _t("name", lang)), ("persons", _t("newly", lang))],
        color="#d7191c",
        legend={_t("sites", lang): "#d7191c"},
        label=_name(lang),
        radius=7,
    )
    return m
