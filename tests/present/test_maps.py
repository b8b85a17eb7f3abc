"""Map structure on the folium object tree and normalised HTML (no browser)."""

import re

import folium

import tianhe_geo
from tianhe_geo.present.mapkit import finish, render_html
from tianhe_geo.present.maps import overview_map

MAX_BYTES = 3 * 1024 * 1024


def test_overview_tree_and_offline_html():
    layers = tianhe_geo.load_layers()
    m = overview_map(layers, "zh")
    groups = [c for c in m.map._children.values() if isinstance(c, folium.FeatureGroup)]
    names = [g.layer_name for g in groups]
    assert "公园" in names and "地铁（已开通）" in names
    assert all(not any(ch.isascii() and ch.isalpha() for ch in n) or "APM" in n for n in names)
    page = render_html(finish(m, other_url="overview_en.html"))
    assert "cdn.jsdelivr" not in page and "code.jquery" not in page and "<script src=" not in page
    assert "overview_en.html" in page


def test_shipped_maps_under_size_budget(built_maps):
    files = sorted(built_maps.glob("*_??.html"))
    assert len(files) >= 12
    for f in files:
        assert f.stat().st_size < MAX_BYTES, f.name


def test_gaode_tiles_shift_overlays():
    layers = tianhe_geo.load_layers()
    a = render_html(overview_map(layers, "en", tiles="osm"))
    b = render_html(overview_map(layers, "en", tiles="gaode"))
    assert "autonavi" in b and "autonavi" not in a
    assert a != b


def test_no_basemap_and_cdn_options():
    layers = tianhe_geo.load_layers()
    from tianhe_geo.present.mapkit import new_map

    bare = render_html(overview_map(layers, "en", tiles="none"))
    assert "tile.openstreetmap" not in bare and "autonavi" not in bare
    cdn = render_html(overview_map(layers, "en", m=new_map("en", "osm", offline=False)))
    assert "<script src=" in cdn and len(cdn) < len(bare)


def test_dashboard_shows_park_area_against_the_target():
    from tianhe_geo.plan.run import analyse
    from tianhe_geo.present.maps import dashboard_map

    layers = tianhe_geo.load_layers()
    m = dashboard_map(layers, analyse(layers), "en")
    assert "Park area per resident (m², plan target 18.5)" in _layer_names(m)
    assert any("meets the target (≥ 18.5)" in legend.items for legend in m.legends)


def test_health_map_draws_doctors_once_the_data_has_them():
    import numpy as np

    from tianhe_geo.plan.run import analyse
    from tianhe_geo.present.maps import health_map

    layers = tianhe_geo.load_layers()
    fac = layers["facilities"]
    health = fac["category"].isin(["hospital", "community_health"])
    with_doctors = fac.assign(doctors=np.where(health, 50.0, np.nan))
    mine = {**layers, "facilities": with_doctors}
    result = analyse(mine)
    assert result.doctors.per_subdistrict.notna().any()
    # The catchment in the name is the one the run used.
    assert "Doctors per 1,000 (2SFCA, 1,000 m)" in _layer_names(health_map(mine, result, "en"))
    shipped = _layer_names(health_map(layers, analyse(layers), "en"))
    assert not any(n.startswith("Doctors per 1,000") for n in shipped)  # not measured: not drawn


def _layer_names(m):
    return [c.layer_name for c in m.map._children.values() if isinstance(c, folium.FeatureGroup)]


def test_every_map_draws_on_a_plain_folium_map():
    # 0.1 kept legend state on the map object (m._tianhe): a plain folium.Map raised.
    from tianhe_geo.plan.run import analyse
    from tianhe_geo.present import maps

    layers = tianhe_geo.load_layers()
    result = analyse(layers)
    for build in (maps.parks_map, maps.health_map, maps.education_map, maps.dashboard_map):
        plain = folium.Map(location=(23.13, 113.35), zoom_start=12)
        tm = build(layers, result, "zh", m=plain)
        assert tm.map is plain and tm.legends
        page = render_html(finish(tm))
        assert "th-legend" in page and any(w in page for w in ("公园", "学校", "医院"))
    for build in (maps.overview_map, maps.resident_map):
        plain = folium.Map()
        assert build(layers, "en", m=plain).map is plain


def _popups(tm):
    """Every popup's HTML on a map (from the GeoJSON each layer carries)."""
    out = []
    for group in tm.map._children.values():
        for child in getattr(group, "_children", {}).values():
            if isinstance(child, folium.GeoJson):
                out += [f["properties"]["_html"] for f in child.data["features"]]
    return out


def test_chinese_popups_show_labels_not_codes():
    # 0.1 showed `existing` / `under_construction` in 35-99 popups per Chinese map.
    from tianhe_geo.foundation import vocab
    from tianhe_geo.plan.run import analyse
    from tianhe_geo.present.maps import MAP_NAMES, shipped_map

    layers = tianhe_geo.load_layers()
    result = analyse(layers)
    codes = {c for column in ("status", "category", "tier", "kind") for c in vocab.CODES[column]}
    for name in MAP_NAMES:
        popups = _popups(shipped_map(name, layers, result, "zh"))
        assert popups, name
        shown = {cell for p in popups for cell in re.findall(r"<td>([^<]*)</td>", p)}
        assert not shown & codes, (name, sorted(shown & codes))
    statuses = {
        c
        for p in _popups(shipped_map("overview", layers, result, "zh"))
        for c in re.findall(r"<td>([^<]*)</td>", p)
    }
    assert "已开通" in statuses and "规划" in statuses


def test_overview_draws_operating_lines_in_their_colours():
    layers = tianhe_geo.load_layers()
    tr = layers["transit"]
    lines = tr[(tr["kind"] == "line") & (tr["status"] == "operating")]
    m = overview_map(layers, "en")
    page = render_html(finish(m))
    for colour in lines["colour"]:
        assert colour in page
    legends = {lg.title: lg.items for lg in m.legends}
    assert legends["Metro (operating)"]["Line 11"] == "#470A68"
    # Without the optional column the lines fall back to one colour.
    plain = overview_map({**layers, "transit": tr.drop(columns="colour")}, "en")
    assert {lg.title: lg.items for lg in plain.legends}["Metro (operating)"] == {
        "Metro (operating)": "#08519c"
    }
