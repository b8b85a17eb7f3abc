"""Map structure on the folium object tree and normalised HTML (no browser)."""

import folium

import tianhe_geo
from tianhe_geo.mapping import add_legends_and_controls, render_html
from tianhe_geo.maps import overview_map

MAX_BYTES = 3 * 1024 * 1024


def test_overview_tree_and_offline_html():
    layers = tianhe_geo.load_layers()
    m = overview_map(layers, "zh")
    groups = [c for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    names = [g.layer_name for g in groups]
    assert "公园" in names and "地铁（已开通）" in names
    assert all(not any(ch.isascii() and ch.isalpha() for ch in n) or "APM" in n for n in names)
    page = render_html(add_legends_and_controls(m, other_url="overview_en.html"))
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
    from tianhe_geo.mapping import new_map

    bare = render_html(overview_map(layers, "en", tiles="none"))
    assert "tile.openstreetmap" not in bare and "autonavi" not in bare
    cdn = render_html(overview_map(layers, "en", m=new_map("en", "osm", offline=False)))
    assert "<script src=" in cdn and len(cdn) < len(bare)


def test_dashboard_shows_park_area_against_the_target():
    from tianhe_geo.analysis import analyse
    from tianhe_geo.maps import dashboard_map

    layers = tianhe_geo.load_layers()
    m = dashboard_map(layers, analyse(layers), "en")
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert "Park area per resident (m², plan target 18.5)" in names
    legends = [legend for _n, legend, _g in m._tianhe["legends"]]
    assert any("meets the target (≥ 18.5)" in legend for legend in legends)


def test_health_map_draws_doctors_once_the_data_has_them():
    import numpy as np

    from tianhe_geo.analysis import analyse
    from tianhe_geo.maps import health_map

    layers = tianhe_geo.load_layers()
    fac = layers["facilities"]
    health = fac["category"].isin(["hospital", "community_health"])
    with_doctors = fac.assign(doctors=np.where(health, 50.0, np.nan))
    mine = {**layers, "facilities": with_doctors}
    result = analyse(mine)
    assert result.doctors_subdistrict.notna().any()
    names = [
        c.layer_name
        for c in health_map(mine, result, "en")._children.values()
        if isinstance(c, folium.FeatureGroup)
    ]
    assert "Doctors per 1,000 (2SFCA)" in names
    shipped = [
        c.layer_name
        for c in health_map(layers, analyse(layers), "en")._children.values()
        if isinstance(c, folium.FeatureGroup)
    ]
    assert "Doctors per 1,000 (2SFCA)" not in shipped  # not measured: not drawn as zero


def test_overview_draws_operating_lines_in_their_colours():
    layers = tianhe_geo.load_layers()
    tr = layers["transit"]
    lines = tr[(tr["kind"] == "line") & (tr["status"] == "operating")]
    page = render_html(add_legends_and_controls(overview_map(layers, "en")))
    for colour in lines["colour"]:
        assert colour in page
    legends = {n: legend for n, legend, _g in overview_map(layers, "en")._tianhe["legends"]}
    assert legends["Metro (operating)"]["Line 11"] == "#470A68"
    # Without the optional column the lines fall back to one colour.
    layers = {**layers, "transit": tr.drop(columns="colour")}
    assert "#08519c" in render_html(overview_map(layers, "en"))
