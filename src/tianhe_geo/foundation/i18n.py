"""Every user-facing label, in Chinese and English, in one table.

Maps, the report, the command line's tables and the plan's basis notes all
take their words from here, so a map never mixes languages and a changed
radius never leaves an old number in a label: templates name their values
(``{radius}``, ``{k}``...) and :func:`label` fills them in with the values a
run actually used.

Three tables:

* :data:`CODES` -- the label of every vocabulary code (categories, tiers,
  statuses, kinds) per column; a test checks each code of
  :mod:`tianhe_geo.foundation.vocab` has both languages;
* :data:`STANDARD_NAMES` -- the name of every standard of the catalogue;
* :data:`LABELS` -- everything else, keyed by a short name.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Any

from .errors import AnalysisInputError
from .standards import Standard

LANGS = ("zh", "en")

_Table = MappingProxyType[str, MappingProxyType[str, str]]


def _freeze(table: dict[str, dict[str, str]]) -> _Table:
    return MappingProxyType({k: MappingProxyType(v) for k, v in table.items()})


#: Column -> code -> {lang: label}.
CODES: MappingProxyType[str, _Table] = MappingProxyType(
    {
        "category": _freeze(
            {
                "hospital": {"zh": "医院", "en": "Hospital"},
                "community_health": {"zh": "社区卫生服务中心", "en": "Community health centre"},
                "primary_school": {"zh": "小学", "en": "Primary school"},
                "middle_school": {"zh": "中学", "en": "Middle school"},
                "kindergarten": {"zh": "幼儿园", "en": "Kindergarten"},
                "elderly_care": {"zh": "养老服务", "en": "Elderly care"},
                "library_culture": {"zh": "图书馆/文化", "en": "Library / culture"},
                "sports": {"zh": "体育", "en": "Sports"},
            }
        ),
        "tier": _freeze(
            {
                "ecological": {"zh": "生态公园", "en": "Ecological park"},
                "city": {"zh": "城市公园", "en": "City park"},
                "community": {"zh": "社区公园", "en": "Community park"},
                "pocket": {"zh": "口袋公园·游园", "en": "Pocket park"},
            }
        ),
        "status": _freeze(
            {
                "existing": {"zh": "已建成", "en": "Existing"},
                "operating": {"zh": "已开通", "en": "Operating"},
                "completed": {"zh": "已完成", "en": "Completed"},
                "under_construction": {"zh": "在建", "en": "Under construction"},
                "planned": {"zh": "规划", "en": "Planned"},
            }
        ),
        "kind": _freeze(
            {
                "station": {"zh": "地铁站", "en": "Metro station"},
                "line": {"zh": "地铁线路", "en": "Metro line"},
                "rail_station": {"zh": "铁路车站", "en": "Railway station"},
                "road": {"zh": "道路", "en": "Road"},
                "tunnel": {"zh": "隧道", "en": "Tunnel"},
                "railway_hub": {"zh": "铁路枢纽", "en": "Railway hub"},
                "expressway": {"zh": "快速路", "en": "Expressway"},
                "axis": {"zh": "发展轴", "en": "Axis"},
                "belt": {"zh": "发展带", "en": "Belt"},
                "zone": {"zh": "片区", "en": "Zone"},
                "river": {"zh": "江", "en": "River"},
                "creek": {"zh": "河涌", "en": "Creek"},
            }
        ),
        "change": _freeze(
            {
                "added": {"zh": "新增", "en": "Added"},
                "removed": {"zh": "移除", "en": "Removed"},
                "changed": {"zh": "改变（如建成）", "en": "Changed (e.g. built)"},
            }
        ),
    }
)

#: Standard key -> {lang: name template}; ``{radius}`` is the radius the run uses.
STANDARD_NAMES: _Table = _freeze(
    {
        "gbt51346-park-500": {
            "zh": "公园绿地{radius}米服务半径覆盖(GB/T 51346-2019 4.3.4)",
            "en": "Park within {radius} m (GB/T 51346-2019 4.3.4)",
        },
        "gb55014-park": {
            "zh": "公园绿地服务半径{radius}米覆盖率(GB 55014-2021)",
            "en": "Park service-radius coverage, {radius} m (GB 55014-2021 2.1.3)",
        },
        "green-300": {"zh": "{radius}米见绿", "en": "Green space within {radius} m"},
        "park-500": {"zh": "{radius}米见园", "en": "Park (community or larger) within {radius} m"},
        "life5-kindergarten": {
            "zh": "5分钟生活圈: 幼儿园 {radius}米",
            "en": "5-minute life circle: kindergarten within {radius} m",
        },
        "life5-elderly": {
            "zh": "5分钟生活圈: 养老服务 {radius}米",
            "en": "5-minute life circle: elderly care within {radius} m",
        },
        "life10-primary": {
            "zh": "10分钟生活圈: 小学 {radius}米",
            "en": "10-minute life circle: primary school within {radius} m",
        },
        "life15-middle": {
            "zh": "15分钟生活圈: 中学 {radius}米",
            "en": "15-minute life circle: middle school within {radius} m",
        },
        "life15-health": {
            "zh": "15分钟生活圈: 社区卫生服务中心 {radius}米",
            "en": "15-minute life circle: community health centre within {radius} m",
        },
        "sdg-11.2.1-rail": {
            "zh": "SDG 11.2.1 轨道站点{radius}米",
            "en": "SDG 11.2.1: rail station within {radius} m",
        },
        "park-tiered": {
            "zh": "公园绿地分级服务半径覆盖({radii})",
            "en": "Park service areas by tier ({radii})",
        },
        "sdg-11.7.1": {
            "zh": "SDG 11.7.1 公共空间{radius}米",
            "en": "SDG 11.7.1: open public space within {radius} m",
        },
    }
)

#: Everything else: key -> {lang: label or template}.
LABELS: _Table = _freeze(
    {
        # Columns and layer names shown on maps
        "name": {"zh": "名称", "en": "Name"},
        "subdistricts": {"zh": "街道（近似边界）", "en": "Subdistricts (approximate)"},
        "population": {"zh": "常住人口(2020)", "en": "Population (2020)"},
        "structure": {"zh": "空间结构（示意）", "en": "Plan structure (schematic)"},
        "role": {"zh": "定位", "en": "Role"},
        "kind": {"zh": "类型", "en": "Type"},
        "transit_built": {"zh": "地铁（已开通）", "en": "Metro (operating)"},
        "transit_planned": {
            "zh": "地铁（在建/规划）",
            "en": "Metro (under construction / planned)",
        },
        "stations": {"zh": "地铁站", "en": "Metro stations"},
        "line": {"zh": "线路", "en": "Line"},
        "status": {"zh": "状态", "en": "Status"},
        "projects": {"zh": "重点项目", "en": "Key projects"},
        "parks": {"zh": "公园", "en": "Parks"},
        "tier": {"zh": "层级", "en": "Tier"},
        "area_ha": {"zh": "面积(公顷)", "en": "Area (ha)"},
        "rivers": {"zh": "河涌", "en": "Rivers and creeks"},
        "uncovered": {"zh": "未覆盖区域", "en": "Uncovered areas"},
        "uncovered_one": {"zh": "未覆盖", "en": "uncovered"},
        "share": {"zh": "覆盖率", "en": "Share covered"},
        "hospitals": {"zh": "医院与社区卫生服务中心", "en": "Hospitals and health centres"},
        "doctors": {"zh": "医生数", "en": "Doctors"},
        "beds": {"zh": "床位", "en": "Beds"},
        "places": {"zh": "学位", "en": "School places"},
        "dpk": {
            "zh": "每千人医生(2SFCA, {catchment}米)",
            "en": "Doctors per 1,000 (2SFCA, {catchment} m)",
        },
        "park_m2": {
            "zh": "人均公园绿地(平方米, 规划目标 {target})",
            "en": "Park area per resident (m², plan target {target})",
        },
        "bpk": {
            "zh": "每千人医院床位(2SFCA, {catchment}米, 街道平均)",
            "en": "Hospital beds per 1,000 (2SFCA, {catchment} m, subdistrict mean)",
        },
        "bpk_cell": {
            "zh": "每千人医院床位(2SFCA, {catchment}米, 仅含已公布床位的医院)",
            "en": "Hospital beds per 1,000 (2SFCA, {catchment} m; hospitals with published "
            "beds only)",
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
        "site_reach": {
            "zh": "新址服务范围（{radius}米）",
            "en": "Reach of the new sites ({radius} m)",
        },
        "site_name": {"zh": "新址 {n}", "en": "New site {n}"},
        "newly": {"zh": "新增覆盖人口", "en": "Newly covered residents"},
        "existing_fac": {"zh": "现有设施", "en": "Existing facilities"},
        "meets_target": {"zh": "达到目标 (≥ {target})", "en": "meets the target (≥ {target})"},
        "below_target": {"zh": "低于目标 (< {target})", "en": "below the target (< {target})"},
        "below_target_lower_bound": {
            "zh": "本数据中低于目标 (< {target}; 图层不全, 为下限)",
            "en": "below the target in this data (< {target}; layer incomplete: a lower bound)",
        },
        # Map controls
        "search": {"zh": "按名称搜索…", "en": "Search by name…"},
        "fullscreen": {"zh": "全屏", "en": "Full screen"},
        "nomatch": {"zh": "未找到", "en": "No match"},
        "approx": {
            "zh": "注：部分图层为近似或示意，见数据来源。",
            "en": "Note: some layers are approximate or schematic; see data sources.",
        },
        "other_lang": {"zh": "English", "en": "中文"},
        "map_cells": {
            "zh": "{layer}：{n}个要素，超出单幅地图可承载的{cap}个，按{cell}米方格汇总显示数量",
            "en": "{layer}: {n} features, more than one map carries ({cap}); shown as counts per {cell} m square",
        },
        "map_simplified": {
            "zh": "{layer}：轮廓简化至{tol}米，以控制页面大小",
            "en": "{layer}: outlines simplified to {tol} m to keep the page small",
        },
        "cell_count": {"zh": "方格内要素数", "en": "Features in this square"},
        "cell_name": {"zh": "{n}个要素", "en": "{n} features"},
        "locate": {"zh": "我附近有什么", "en": "What is near me"},
        "nearme": {"zh": "离我最近（直线距离）", "en": "Nearest to me (straight line)"},
        # Phone-friendly maps (#14)
        "layers_none": {"zh": "不显示分区着色", "en": "No area shading"},
        "panel": {"zh": "图例与工具", "en": "Legend & tools"},
        "near_cat_park": {"zh": "公园", "en": "Park"},
        "near_cat_clinic": {"zh": "医疗（医院/社区卫生）", "en": "Clinic or hospital"},
        "near_cat_school": {"zh": "中小学", "en": "School"},
        "near_cat_kindergarten": {"zh": "幼儿园", "en": "Kindergarten"},
        "near_cat_elderly": {"zh": "养老服务", "en": "Elderly care"},
        "near_cat_station": {"zh": "地铁/铁路站", "en": "Station"},
        "near_walk": {"zh": "约{min}分钟步行", "en": "about {min} min walk"},
        "near_planned": {"zh": "规划/在建", "en": "planned / under construction"},
        "near_none": {"zh": "无", "en": "none"},
        "near_denied": {
            "zh": "无法获取您的位置（未授权或不可用）。可直接点击地图上的任意一点查询。",
            "en": "Your location is not available (denied or unsupported). "
            "Tap any point on the map to ask about it instead.",
        },
        "near_outside": {
            "zh": "该点在天河区以外，地图只统计区内设施。",
            "en": "This point is outside Tianhe District; the map only knows facilities in it.",
        },
        "near_tap": {
            "zh": "点击地图任意一点，查看最近设施与步行圈",
            "en": "Tap the map anywhere for the nearest facilities and walking reach",
        },
        "near_reach": {
            "zh": "{r}米内：约{pop}位居民，{n}处现有设施",
            "en": "Within {r} m: about {pop} residents, {n} existing facilities",
        },
        "near_note": {
            "zh": "直线距离至公园边界或设施点；步行时间按直线×{detour}、每分钟{speed}米估算。",
            "en": "Straight-line distance to a park's edge or a facility; walking time assumes "
            "{detour}× the straight line at {speed} m/min.",
        },
        "map_index": {"zh": "规划地图", "en": "Plan maps"},  # no area name: any study area
        "map_title_overview": {"zh": "规划总览", "en": "Plan overview"},
        "map_title_parks": {"zh": "公园与绿地覆盖", "en": "Parks and green coverage"},
        "map_title_health": {"zh": "医疗卫生", "en": "Health"},
        "map_title_education_elderly": {"zh": "教育与养老", "en": "Schools and elderly care"},
        "map_title_dashboard": {"zh": "街道指标看板", "en": "Subdistrict dashboard"},
        "map_title_resident": {"zh": "居民：我附近有什么", "en": "Residents: what is near me"},
        "map_title_scenario": {"zh": "情景对比", "en": "Scenario comparison"},
        "map_title_siting": {"zh": "选址方案", "en": "Siting proposal"},
        "snapshot": {"zh": "保存图片", "en": "Save PNG"},
        "pin_hospital": {"zh": "医", "en": "H"},
        "pin_community_health": {"zh": "卫", "en": "C"},
        "pin_primary_school": {"zh": "小", "en": "P"},
        "pin_middle_school": {"zh": "中", "en": "M"},
        "pin_kindergarten": {"zh": "幼", "en": "K"},
        "pin_elderly_care": {"zh": "老", "en": "E"},
        "pin_library_culture": {"zh": "文", "en": "L"},
        "pin_sports": {"zh": "体", "en": "S"},
        "pin_station": {"zh": "站", "en": "S"},
        # Siting questions
        "q_pocket_parks": {
            "zh": "{k}个口袋公园选在哪里，能让最多居民在{radius}米内见绿？",
            "en": "Where should {k} pocket parks go to put the most residents within {radius} m "
            "of green space?",
        },
        "q_health_centres": {
            "zh": "需要多少个社区卫生服务中心，才能让{share}的居民在{radius}米内有一个？",
            "en": "How many community health centres bring {share} of residents within "
            "{radius} m of one?",
        },
        "q_mclp": {
            "zh": "新增{k}处设施（{standard}）选在哪里覆盖最多居民？",
            "en": "Where do {k} new sites ({standard}) cover the most residents?",
        },
        "q_lscp": {
            "zh": "最少需要多少处新设施，才能使{standard}达到{share}？",
            "en": "How few new sites bring {standard} to {share}?",
        },
        "everyone": {"zh": "全部", "en": "all"},
        # Distance methods
        "method_straight": {
            "zh": "直线距离 × {detour}",
            "en": "straight line × {detour}",
        },
        "method_network": {
            "zh": "沿街道网络的步行距离（距网络超过{snap}米的点不计入）",
            "en": "walking distance along the street network (points over {snap} m from it "
            "are left out)",
        },
        "method_table": {"zh": "调用方提供的距离表", "en": "a cost table supplied by the caller"},
        "method_per_facility": {
            "zh": "，每处设施按其服务半径",
            "en": ", each facility's own service radius",
        },
        # Indicator basis notes
        "basis_published": {
            "zh": "{year}年公布值（{scope}）：{derivation}；{accuracy}",
            "en": "published figure for {year} ({scope}): {derivation}; {accuracy}",
        },
        "basis_lower_bound_replaced": {
            "zh": "现有图层仅给出下限 {computed}（{basis}）",
            "en": "the shipped layers give only a lower bound, {computed} ({basis})",
        },
        "basis_not_in_layers": {
            "zh": "图层中没有此数据（{basis}）",
            "en": "the layers do not carry it ({basis})",
        },
        "basis_not_comparable": {
            "zh": "口径不同（时段或范围），无法判断是否达标",
            "en": "not on the plan's basis (another window or scope), so met is unknown",
        },
        "basis_lower_bound": {
            "zh": "为下限，图层不完整",
            "en": "a lower bound, since the shipped layer is incomplete",
        },
        "basis_met_unknown": {
            "zh": "因此是否达标未知",
            "en": "so whether the target is met is unknown",
        },
        "basis_park_area": {
            "zh": "区内公园图层面积 / 普查人口",
            "en": "parks layer area in the district / census population",
        },
        "basis_recorded": {
            "zh": "{n}/{total}处设施记录了{what}",
            "en": "{what} recorded at {n} of {total} facilities",
        },
        "basis_not_recorded": {
            "zh": "数据中未记录{what}：未测量",
            "en": "no {what} recorded in the data: not measured",
        },
        "what_doctors": {"zh": "医生数", "en": "doctors"},
        "what_beds": {"zh": "床位数", "en": "beds"},
        "capacity_basis": {
            "zh": "依据图层{of}处设施中记录了{what}的{n}处",
            "en": "rests on the {n} of {of} facilities whose {what} are recorded",
        },
        "basis_school_places": {
            "zh": "设施图层中规划/在建学校的学位",
            "en": "places of planned / under-construction schools in the facilities layer",
        },
        "basis_no_facts": {
            "zh": "未提供规划公布值（本研究区无 plan_facts.csv）",
            "en": "no plan facts given (no plan_facts.csv for this study area)",
        },
        "basis_population_missing": {
            "zh": "{n}/{total}个街道缺少人口，无法计算人均值：未知（请提供普查表）",
            "en": "population missing for {n} of {total} subdistricts, so per resident is "
            "unknown (give a census table)",
        },
        "basis_population_zero": {
            "zh": "街道人口合计为 0，无法计算人均值：未知（请提供普查表）",
            "en": "the subdistricts' population is 0, so per resident is unknown "
            "(give a census table)",
        },
        "osm_metro_track": {
            "zh": "地铁轨道（无线路关系）",
            "en": "metro track (no route relation)",
        },
        "basis_renovated": {
            "zh": "不在图层中：请依据区政府报告记录进度",
            "en": "not in the layers: record progress from the district's reports",
        },
        # What a figure rests on (plan.completeness)
        "rests_on_title": {"zh": "依据", "en": "Rests on"},
        "rests_on": {"zh": "计入{n}处{what}", "en": "{n} {what} counted"},
        "norm_expects": {
            "zh": "按{cite}，{population}名居民至少应有{expected}处",
            "en": "at least {expected} expected for {population} residents ({cite})",
        },
        "cite_gb50180": {"zh": "GB 50180-2018", "en": "GB 50180-2018"},
        "cite_gz_parks": {
            "zh": "广州市公园建设与保护专项规划(2023—2035)",
            "en": "Guangzhou park plan 2023-2035",
        },
        "norm_covers": {
            "zh": "其中规范所涉类型{normed}处",
            "en": "{normed} of them of the kinds it covers",
        },
        "no_norm": {"zh": "无配置规范可比", "en": "no provision norm to compare with"},
        "verdict_as_given": {
            "zh": "按图层所述视为完整",
            "en": "taken as complete, as the layer says",
        },
        "verdict_sample": {
            "zh": "图层为样本，数值为下限",
            "en": "the layer is a sample: a lower bound",
        },
        # The report
        "report_title": {"zh": "{area}规划评估报告", "en": "{area} planning report"},
        "generated": {"zh": "由 tianhe-geo 生成于 {when}", "en": "Generated {when} by tianhe-geo."},
        "h_method": {"zh": "方法", "en": "Method"},
        "h_indicators": {"zh": "规划指标（2025年目标）", "en": "Plan indicators (2025 targets)"},
        "h_standards": {"zh": "标准覆盖率（全区）", "en": "Standards (district)"},
        "h_by_subdistrict": {"zh": "分街道覆盖率（%）", "en": "Share covered by subdistrict (%)"},
        "h_scenario": {"zh": "情景：{name}", "en": "Scenario: {name}"},
        "h_siting": {"zh": "下一步：设施选址", "en": "Where next: siting"},
        "h_maps": {"zh": "地图", "en": "Maps"},
        "h_sources": {"zh": "数据来源与精度", "en": "Data sources and accuracy"},
        "map_dashboard": {"zh": "分街道覆盖率", "en": "Coverage by subdistrict"},
        "map_parks": {"zh": "公园及其覆盖：{standard}", "en": "Parks and their reach: {standard}"},
        "note_distance_network": {
            "zh": "距离：沿所给街道网络（OpenStreetMap 数据）的步行距离；距网络超过{snap}米的点既不算覆盖"
            "也不算未覆盖。",
            "en": "Distance: walking distance along the street network given (OpenStreetMap "
            "extract); points farther than {snap} m from it are neither covered nor uncovered.",
        },
        "note_distance_straight": {
            "zh": "距离：直线距离 × {detour}（未提供街道网络），即规划图上常用的服务半径画法；沿街道步行的距离"
            "更长，所以这些覆盖率不是步行覆盖率。提供 OSM 数据或 1.2–1.4 的绕行系数可估算步行覆盖。",
            "en": "Distance: straight line × {detour} (no street network given), as planning "
            "service radii are usually drawn; walking along streets is longer, so these are not "
            "walking shares. Pass an OSM extract, or a detour factor of 1.2-1.4, for walking "
            "estimates.",
        },
        "note_distance_table": {
            "zh": "距离：调用方提供的距离表。",
            "en": "Distance: a cost table supplied by the caller.",
        },
        "note_residents": {
            "zh": "居民：依据21个街道2020年人口普查数据建模的100米人口网格（分区密度法：公园与水面无人"
            "居住）；街道边界为近似。",
            "en": "Residents: modelled 100 m population grid from the 2020 census counts of the "
            "21 subdistricts (dasymetric: parks and water hold nobody); subdistrict polygons are "
            "approximate.",
        },
        "note_buffer": {
            "zh": "区界外{buffer}米内的设施也计入（服务边缘居民）；只计已建成、已开通的设施。",
            "en": "Facilities up to {buffer} m outside the district count, since they serve "
            "residents near the edge; only existing / operating facilities count.",
        },
        "note_standards": {
            "zh": "标准（半径、目标比例、出处）为 tianhe_geo.foundation.standards 中的预设；标准表的每一行"
            "注明出处。",
            "en": "Standards (radius, target share, source) are the presets in "
            "tianhe_geo.foundation.standards; each row of the standards table names its source.",
        },
        "note_2sfca": {
            "zh": "两步移动搜索法：{doctors}米内每千人医生数、{beds}米内每千人医院床位数，仅计记录了容量的"
            "设施。",
            "en": "2SFCA: doctors per 1,000 residents within {doctors} m and hospital beds per "
            "1,000 within {beds} m, from the facilities whose capacity is recorded.",
        },
        "note_2sfca_no_doctors": {
            "zh": "两步移动搜索法：{beds}米内每千人医院床位数，仅计记录了床位的医院；数据中没有设施记录医生"
            "数（{doctors}米内每千人医生数未测量）。",
            "en": "2SFCA: hospital beds per 1,000 within {beds} m, from the hospitals whose beds "
            "are recorded; no facility in the data records doctors, so doctors per 1,000 within "
            "{doctors} m is not measured.",
        },
        "note_incomplete": {
            "zh": "随包提供的公园与设施图层不完整，位置精度见来源表与 data/geo/SOURCES.md：按同一距离口径，"
            "据此算出的覆盖率是全部真实设施所能给出覆盖率的下限（真实值只会更高）；容量指标只计已记录的容量。"
            "两者方向相反：直线距离使覆盖率偏高于步行，图层不全使其偏低，因此对步行覆盖而言既非上限也非下限。",
            "en": "The shipped park and facility layers are incomplete and their positions carry "
            "the stated accuracy (see the sources table and data/geo/SOURCES.md): by the same "
            "distance measure, shares computed from them are lower bounds of what all the real "
            "facilities give (the true shares can only be higher); capacity indicators count only "
            "recorded capacities. The two effects pull apart: straight lines make shares higher "
            "than walking would, missing facilities make them lower, so for walking access they "
            "are neither an upper nor a lower bound.",
        },
        "siting_note": {
            "zh": "选址：在现有公园以外、间距{spacing}米的候选点上求解精确整数规划（PuLP + CBC），保留现有"
            "设施；候选网格代表数据中没有的可建设用地，所以结果指出需求所在，而非具体地块。",
            "en": "Siting: exact integer programmes (PuLP + CBC) over candidate points on a "
            "{spacing} m grid outside existing parks, existing facilities kept; the grid stands "
            "in for buildable land, which the shipped data does not hold, so the sites show "
            "where need is, not parcels.",
        },
        "sources_note": {
            "zh": "accuracy_m：所述位置精度（米）的最小/中位/最大值；approximate：标为近似、示意或建模的行数；"
            "complete：图层是否完整。详见 data/geo/SOURCES.md。",
            "en": "accuracy_m: min / median / max stated positional accuracy in metres; "
            "approximate: rows flagged approximate, schematic or modelled; complete: whether the "
            "layer lists every feature of its kind. Details in data/geo/SOURCES.md.",
        },
        "district_total": {"zh": "全区", "en": "District"},
        # The report's first page, tables and charts in plain words (#14)
        "h_answer": {
            "zh": "结论：天河距规划目标有多远",
            "en": "The answer: how far Tianhe is from its plan",
        },
        "h_answer_targets": {"zh": "2025年规划目标", "en": "The plan's 2025 targets"},
        "h_answer_standards": {
            "zh": "各项标准（按差距排序）",
            "en": "Each standard, largest gap first",
        },
        "h_next": {"zh": "建议下一步", "en": "Suggested next steps"},
        "other_report": {"zh": "English report", "en": "中文报告"},
        "maps_not_printed": {
            "zh": "交互地图不打印，请在 HTML 报告或地图文件中查看。",
            "en": "The interactive maps are not printed; open the HTML report or the map files.",
        },
        "lead_judged": {
            "zh": "5项2025年目标中，本数据能判断{n}项：{items}。",
            "en": "Of the 5 targets for 2025, this data can judge {n}: {items}.",
        },
        "lead_not_judged": {
            "zh": "无法判断{n}项：{items}（原因见下表）。",
            "en": "It cannot judge {n}: {items} (why: see the table).",
        },
        "lead_standard": {
            "zh": "{standard}：至少{share}的居民达到（目标{target}，差距至多{gap}个百分点）；"
            "最落后的街道：{behind}。",
            "en": "{standard}: at least {share} of residents reached (target {target}, a gap of "
            "at most {gap} points); furthest behind: {behind}.",
        },
        "lead_standard_complete": {
            "zh": "{standard}：{share}的居民达到（目标{target}，差距{gap}个百分点）；最落后的街道：{behind}。",
            "en": "{standard}: {share} of residents reached (target {target}, a gap of {gap} "
            "points); furthest behind: {behind}.",
        },
        "lead_lower_bound": {
            "zh": "所用图层为样本：覆盖率为下限，真实覆盖率可能更高；低于目标并非定论。",
            "en": "The layers used are samples: the shares are lower bounds, the true shares may "
            "be higher, so falling short of a target here is not a finding.",
        },
        "behind_one": {
            "zh": "{name} {share}（{uncovered}人未覆盖）",
            "en": "{name} {share} ({uncovered} residents not reached)",
        },
        "stand_value": {"zh": "{value} {unit}", "en": "{value} {unit}"},
        "stand_met": {"zh": "已达标", "en": "met"},
        "stand_not_met": {"zh": "未达标，差{gap} {unit}", "en": "not met: {gap} {unit} short"},
        "stand_not_comparable": {
            "zh": "无法判断：公布值口径不同（时段或范围）",
            "en": "cannot be judged: the published figure covers another period or scope",
        },
        "stand_not_measured": {
            "zh": "无法判断：数据中未记录",
            "en": "cannot be judged: the data does not record it",
        },
        "stand_not_in_layers": {
            "zh": "无法判断：不在图层中，需区政府报告",
            "en": "cannot be judged: not in the layers; needs the district's reports",
        },
        "stand_lower_bound_short": {
            "zh": "无法判断：至少{value}，图层为样本（下限）",
            "en": "cannot be judged: at least {value}, from a sample layer (a lower bound)",
        },
        "share_at_least": {"zh": "≥ {share}（下限）", "en": "≥ {share} (lower bound)"},
        "gap_at_most": {"zh": "≤ {gap}（上限）", "en": "≤ {gap} (at most)"},
        "pp": {"zh": "{v}个百分点", "en": "{v} points"},
        "no_target": {"zh": "无目标", "en": "no target"},
        "met_yes": {"zh": "是", "en": "yes"},
        "met_no": {"zh": "否", "en": "no"},
        "met_unknown_lower": {
            "zh": "未知：低于目标，但图层为样本（下限）",
            "en": "unknown: below the target, but the layer is a sample (a lower bound)",
        },
        "met_unknown": {"zh": "未知（见依据）", "en": "unknown (see the basis)"},
        "complete_short_as_given": {
            "zh": "图层视为完整（{n}处）",
            "en": "layer taken as complete ({n} counted)",
        },
        "complete_short_below": {
            "zh": "下限：计入{n}处，规范至少应有{expected}处",
            "en": "lower bound: {n} counted, at least {expected} expected",
        },
        "complete_short_meets": {
            "zh": "下限：计入{n}处（达到规范的{expected}处），图层为样本",
            "en": "lower bound: {n} counted (the norm's {expected} reached), sample layer",
        },
        "complete_short_no_norm": {
            "zh": "下限：计入{n}处，图层为样本，无规范可比",
            "en": "lower bound: {n} counted, sample layer, no norm to compare",
        },
        "next_mclp": {
            "zh": "{question} 答：{sites}处新址可使覆盖率从{before}升至{after}，新增{newly}名居民"
            "（地图：{file}）。",
            "en": "{question} Answer: {sites} new sites raise the share from {before} to {after}, "
            "reaching {newly} more residents (map: {file}).",
        },
        "next_note": {
            "zh": "候选点为{spacing}米网格，指出需求所在而非具体地块；请先补全设施图层，再据此核实差距。",
            "en": "Candidates are a {spacing} m grid: they show where need is, not parcels; "
            "complete the facility layers first to confirm the gaps.",
        },
        "next_complete": {
            "zh": "补全样本图层（{layers}）：当前覆盖率只是下限。",
            "en": "Complete the sample layers ({layers}): today's shares are only lower bounds.",
        },
        "charts_no_font": {
            "zh": "图表略去：本机未找到中文字体（安装 fonts-noto-cjk：make report-tools）。",
            "en": "Charts left out: no CJK font found (install fonts-noto-cjk: make report-tools).",
        },
        # Column headers
        "col_indicator": {"zh": "指标", "en": "Indicator"},
        "col_standing": {"zh": "现状", "en": "Where it stands"},
        "col_value": {"zh": "数值", "en": "Value"},
        "col_target": {"zh": "目标", "en": "Target"},
        "col_unit": {"zh": "单位", "en": "Unit"},
        "col_gap": {"zh": "差距", "en": "Gap"},
        "col_met": {"zh": "是否达标", "en": "Met"},
        "col_basis": {"zh": "依据", "en": "How it was obtained"},
        "col_from_layers": {"zh": "图层计算值", "en": "From the layers"},
        "col_published": {"zh": "公布值", "en": "Published"},
        "col_standard": {"zh": "标准", "en": "Standard"},
        "col_radius": {"zh": "半径（米）", "en": "Radius (m)"},
        "col_share": {"zh": "覆盖率", "en": "Share reached"},
        "col_uncovered": {"zh": "未覆盖人口", "en": "Residents not reached"},
        "col_behind": {"zh": "最落后的3个街道", "en": "3 subdistricts furthest behind"},
        "col_completeness": {"zh": "数据完整性", "en": "Data completeness"},
        "col_source": {"zh": "出处", "en": "Source"},
        "col_subdistrict": {"zh": "街道", "en": "Subdistrict"},
        "col_before": {"zh": "情景前", "en": "Before"},
        "col_after": {"zh": "情景后", "en": "After"},
        "col_change_pp": {"zh": "变化（百分点）", "en": "Change (points)"},
        "col_gained": {"zh": "新增覆盖人口", "en": "Residents gained"},
        "col_lost": {"zh": "失去覆盖人口", "en": "Residents lost"},
        "col_question": {"zh": "问题", "en": "Question"},
        "col_new_sites": {"zh": "新址数", "en": "New sites"},
        "col_newly": {"zh": "新增覆盖人口", "en": "Residents newly reached"},
        "col_status": {"zh": "求解状态", "en": "Solver status"},
        "col_mip_gap": {"zh": "最优性差距", "en": "Optimality gap"},
        "col_solve_s": {"zh": "求解用时（秒）", "en": "Solve time (s)"},
        "col_layer": {"zh": "图层", "en": "Layer"},
        "col_features": {"zh": "要素数", "en": "Features"},
        "col_accuracy": {
            "zh": "位置精度（米，最小/中位/最大）",
            "en": "Accuracy (m, min / median / max)",
        },
        "col_approximate": {
            "zh": "近似/示意/建模行数",
            "en": "Rows approximate / schematic / modelled",
        },
        "col_complete": {"zh": "是否完整", "en": "Complete"},
        "col_main_source": {"zh": "主要来源", "en": "Main source"},
        "col_distinct_sources": {"zh": "来源数", "en": "Sources"},
        "rows": {"zh": "{n}行", "en": "{n} rows"},
        "solver_optimal": {"zh": "最优解", "en": "optimal"},
        "solver_other": {"zh": "非最优（{status}）", "en": "not proven optimal ({status})"},
        # Layer names in the sources table
        "layer_boundary": {"zh": "区界", "en": "District boundary"},
        "layer_subdistricts": {"zh": "街道（近似边界）", "en": "Subdistricts (approximate)"},
        "layer_structure": {"zh": "空间结构（示意）", "en": "Plan structure (schematic)"},
        "layer_transit": {"zh": "轨道交通", "en": "Rail transit"},
        "layer_projects": {"zh": "重点项目", "en": "Key projects"},
        "layer_parks": {"zh": "公园", "en": "Parks"},
        "layer_facilities": {"zh": "公共服务设施", "en": "Public facilities"},
        "layer_rivers": {"zh": "河涌", "en": "Rivers and creeks"},
        "layer_residents": {"zh": "居民（100米网格）", "en": "Residents (100 m grid)"},
        # Plan indicators and their units
        "ind_park_m2_per_resident": {"zh": "人均公园绿地面积", "en": "Park area per resident"},
        "ind_doctors_per_1000": {
            "zh": "每千人执业（助理）医师",
            "en": "Doctors per 1,000 residents",
        },
        "ind_elderly_care_beds": {"zh": "养老床位", "en": "Elderly-care beds"},
        "ind_new_public_school_places": {
            "zh": "新增公办学位",
            "en": "New public school places",
        },
        "ind_old_communities_renovated": {
            "zh": "老旧小区改造",
            "en": "Old residential communities renovated",
        },
        "unit_park_m2_per_resident": {"zh": "平方米/人", "en": "m² per resident"},
        "unit_doctors_per_1000": {"zh": "人/千人", "en": "per 1,000 residents"},
        "unit_elderly_care_beds": {"zh": "张", "en": "beds"},
        "unit_new_public_school_places": {"zh": "个", "en": "places"},
        "unit_old_communities_renovated": {"zh": "个", "en": "communities"},
        # Charts
        "chart_share_axis": {"zh": "覆盖居民比例（%）", "en": "residents reached (%)"},
        "chart_target": {"zh": " 目标 {target}%", "en": " target {target} %"},
        "chart_ind_title": {
            "zh": "规划指标对照2025年目标",
            "en": "Plan indicators against their 2025 targets",
        },
        "chart_ind_axis": {
            "zh": "占2025年目标的百分比（上限150%）",
            "en": "value as % of the 2025 target (capped at 150 %)",
        },
        "chart_not_measured": {"zh": "未测量：数据中没有", "en": "not measured: not in the data"},
        "chart_not_comparable": {
            "zh": "不可比：公布值口径不同",
            "en": "not comparable: another period or scope",
        },
        "chart_lower_bound": {"zh": "（下限）", "en": " (lower bound)"},
        "chart_before": {"zh": "情景前", "en": "before"},
        "chart_after": {"zh": "情景后", "en": "after"},
        "chart_scenario": {"zh": "情景前后：{name}", "en": "Before / after: {name}"},
        "chart_lower_note": {
            "zh": "图层为样本：覆盖率为下限",
            "en": "sample layers: shares are lower bounds",
        },
        # How polygon facilities (parks) are reached, after the distance method
        "method_polygons_edge": {
            "zh": "；面状设施（公园）量到其最近边界",
            "en": "; polygons (parks) measured to their nearest edge",
        },
        "method_polygons_access": {
            "zh": "；面状设施（公园）在边界上到达：沿边界每{spacing}米一个进入点，加上数据中标出的出入口"
            "（entrance=*、barrier=gate）和步行道路穿过边界处；园内居民距离为0；点状设施按点计",
            "en": "; polygons (parks) reached at their edge: access points every {spacing} m along "
            "it plus the mapped entrances (entrance=*, barrier=gate) and where walkable ways "
            "cross it; residents inside a park are at 0 m; points stay points",
        },
        "note_all_measures": {
            "zh": "所有指标使用同一距离口径：标准覆盖率、两步移动搜索法的服务范围和选址的覆盖距离均为{method}。",
            "en": "Every measure uses this distance: the standards' coverage, the 2SFCA catchments "
            "and the siting covering distance are all {method}.",
        },
    }
)


def number(value: float, lang: str) -> str:
    """A number as the language writes it in a label: ``1,000`` in English, ``1000`` in Chinese.

    Parameters
    ----------
    value : float
        The number (metres, persons...).
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        Up to the number's own precision (``300``, ``1,500``, ``2.5``).
    """
    if float(value).is_integer() and abs(value) >= 1e5:  # persons: every digit, not 2.2e+06
        return f"{value:.0f}" if lang == "zh" else f"{value:,.0f}"
    return f"{value:g}" if lang == "zh" else f"{value:,g}"


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        msg = f"lang must be one of {LANGS}, got {lang!r}"
        raise AnalysisInputError(msg)


def label(key: str, lang: str, **values: Any) -> str:
    """The label ``key`` in ``lang``, its template filled with ``values``.

    Parameters
    ----------
    key : str
        A key of :data:`LABELS`.
    lang : {'zh', 'en'}
        Language.
    **values
        Values named in the template; numbers are written with :func:`number`.

    Returns
    -------
    str
        The label.
    """
    _check_lang(lang)
    shown = {k: number(v, lang) if isinstance(v, int | float) else v for k, v in values.items()}
    return LABELS[key][lang].format(**shown)


def code_label(column: str, code: object, lang: str) -> str:
    """The label of a vocabulary code, e.g. ``status`` ``planned`` -> ``规划``.

    Parameters
    ----------
    column : str
        A coded column (a key of :data:`CODES`).
    code : object
        The value; a code without a label is shown as it is.
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        The label.
    """
    _check_lang(lang)
    table = CODES.get(column)
    entry = table.get(str(code)) if table is not None else None
    return entry[lang] if entry else str(code)


def standard_name(key: str, lang: str, radius_m: float, radii: str = "") -> str:
    """A standard's name in ``lang`` with the radius the run uses.

    Parameters
    ----------
    key : str
        Standard key.
    lang : {'zh', 'en'}
        Language.
    radius_m : float
        Its radius (the largest, for a standard with a radius per class).
    radii : str, optional
        The radii per class as text, for standards named by them.

    Returns
    -------
    str
        The name; the key itself for a standard the table does not name.
    """
    _check_lang(lang)
    names = STANDARD_NAMES.get(key)
    template = names.get(lang) if names is not None else None
    if template is None:
        return key
    return template.format(radius=number(radius_m, lang), radii=radii)


def standard_title(std: Standard, lang: str) -> str:
    """The name of a standard as a run measures it (its radius, or its radius per class).

    Parameters
    ----------
    std : Standard
        The standard with the run's radius overrides applied
        (:meth:`~tianhe_geo.foundation.config.AnalysisConfig.standard`).
    lang : {'zh', 'en'}
        Language.

    Returns
    -------
    str
        E.g. ``"Green space within 400 m"`` or ``"Park service areas by tier
        (Pocket park 300 m, ...)"``.
    """
    unit = "米" if lang == "zh" else " m"
    radii = ", ".join(
        f"{code_label(std.column, value, lang)} {number(r, lang)}{unit}"
        for value, r in std.radius_by
    )
    return standard_name(std.key, lang, std.radius_m, radii)
