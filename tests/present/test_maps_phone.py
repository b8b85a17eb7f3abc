"""The maps on a phone (390x844, touch) and a desktop, in a real headless Chromium.

Every figure the near-me panel shows is checked against shapely in EPSG:4547;
the maps are the ones the main job writes (the session's ``built_maps``) plus
one Gaode resident map built here.
"""

import re
import shutil
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

from tianhe_geo.data.io import write_text
from tianhe_geo.data.layers import load_layers
from tianhe_geo.foundation.crs import wgs84_to_gcj02
from tianhe_geo.foundation.i18n import CODES
from tianhe_geo.present.mapkit import finish, render_html
from tianhe_geo.present.maps import MAP_NAMES, resident_map
from tianhe_geo.present.nearme import NEAR_CATEGORIES, category_features

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium not found")
PHONE = {"viewport": {"width": 390, "height": 844}, "has_touch": True, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
#: Points asked about: the issue's spot by the sports centre, inside Tianhe Park, and the east.
POINTS = [(23.1376, 113.3245), (23.1300, 113.3700), (23.1780, 113.4200)]

#: Share of the screen the controls cover, their boxes clipped to the viewport and summed
#: (overlaps counted twice, so the map's share is at least 1 minus this).
COVERED = """() => { const W = innerWidth, H = innerHeight; let a = 0;
  document.querySelectorAll('.leaflet-control, #th-panel').forEach(e => {
    const r = e.getBoundingClientRect();
    if (getComputedStyle(e).display === 'none') { return; }
    a += Math.max(0, Math.min(r.right, W) - Math.max(r.left, 0))
       * Math.max(0, Math.min(r.bottom, H) - Math.max(r.top, 0)); });
  return a / (W * H); }"""


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


@pytest.fixture(scope="module")
def layers():
    return load_layers()


@pytest.fixture(scope="module")
def gaode_resident(tmp_path_factory, layers):
    out = tmp_path_factory.mktemp("gaode") / "resident_gaode_en.html"
    return write_text(render_html(finish(resident_map(layers, "en", "gaode"), locate=True)), out)


def _page(browser, path, size=PHONE, **ctx_options):
    ctx = browser.new_context(**size, **ctx_options)
    ctx.route("**/*", lambda r: r.continue_() if r.request.url.startswith("file:") else r.abort())
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(Path(path).as_uri())
    page.wait_for_timeout(150)
    page.errors = errors
    return page


def test_phone_defaults_leave_the_map_on_screen(browser, built_maps):
    for name in MAP_NAMES:
        for lang in ("zh", "en"):
            page = _page(browser, built_maps / f"{name}_{lang}.html")
            covered = page.evaluate(COVERED)
            assert covered <= 0.15, (name, lang, covered)  # >= 85 % left for the map
            zoom = page.locator(".leaflet-control-zoom-in")
            box = zoom.bounding_box()
            top = page.evaluate(
                "([x, y]) => !!document.elementFromPoint(x, y).closest('.leaflet-control-zoom-in')",
                [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
            )
            assert top, (name, lang)
            assert not page.locator(".leaflet-control-layers-list").is_visible()
            assert not page.locator("#th-legends").is_visible()
            assert page.errors == []
            page.context.close()
    # One tap opens each; the layer list then fits the screen.
    page = _page(browser, built_maps / "dashboard_zh.html")
    page.tap(".leaflet-control-layers-toggle")
    assert page.locator(".leaflet-control-layers-list").is_visible()
    box = page.locator(".leaflet-control-layers").bounding_box()
    assert box["y"] + box["height"] <= 844 and box["x"] >= 0
    page.tap("#th-fold")
    assert page.locator("#th-legends").is_visible() and page.locator("#th-search").is_visible()
    page.context.close()


def test_desktop_opens_panels_without_hiding_zoom(browser, built_maps):
    for name in ("dashboard", "health", "resident"):
        page = _page(browser, built_maps / f"{name}_en.html", DESKTOP)
        assert page.locator(".leaflet-control-layers-list").is_visible()
        assert page.locator("#th-legends").is_visible()
        assert page.locator(".leaflet-control-zoom-in").is_visible()
        assert page.evaluate(COVERED) < 0.4, name
        layer_box = page.locator(".leaflet-control-layers").bounding_box()
        assert layer_box["y"] + layer_box["height"] <= 800
        page.context.close()


def test_tapping_a_marker_opens_its_popup(browser, built_maps):
    page = _page(browser, built_maps / "health_en.html")
    n = page.evaluate(
        """() => { window.__pins = []; tianheLayers._map.eachLayer(l => {
             if (l instanceof L.Marker && l._icon && l._icon.classList.contains('th-pin')) {
               window.__pins.push(l); } }); return window.__pins.length; }"""
    )
    assert n >= 20
    opened = 0
    for k in range(0, n, n // 6)[:6]:
        page.evaluate(f"tianheLayers._map.setView(__pins[{k}].getLatLng(), 17, {{animate: false}})")
        page.wait_for_timeout(100)
        box = page.evaluate(f"__pins[{k}]._icon.getBoundingClientRect().toJSON()")
        assert box["width"] >= 44 and box["height"] >= 44
        # Tap 17 px off the disc's centre: outside the 22 px disc, inside the 44 px target.
        page.touchscreen.tap(box["x"] + box["width"] / 2 + 17, box["y"] + box["height"] / 2)
        page.wait_for_timeout(150)
        content = page.locator(".leaflet-popup-content")
        # The facility's own popup (its category row), not the area's underneath.
        opened += content.count() == 1 and "Category" in content.inner_text()
        page.evaluate("tianheLayers._map.closePopup()")
    assert opened == 6
    # Markers are filled discs carrying their category's letter.
    disc = page.locator(".th-pin span").first
    assert disc.inner_text() in {"H", "C"}
    assert disc.evaluate("e => getComputedStyle(e).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.context.close()


def test_only_one_shading_at_a_time(browser, built_maps):
    page = _page(browser, built_maps / "dashboard_en.html", DESKTOP)
    radios = page.locator(".leaflet-control-layers-base input[type=radio]")
    n = radios.count()
    assert n >= 10  # every coverage layer, plus "no shading"
    on = (
        "tianheLayers._layers.filter(o => !o.overlay && tianheLayers._map.hasLayer(o.layer)).length"
    )
    shaded = "document.querySelectorAll('.leaflet-thShading-pane path').length"
    assert page.evaluate(on) == 1
    per_layer = page.evaluate(shaded)
    assert 0 < per_layer <= 25  # one layer's subdistricts, not several stacked
    for i in (3, 7, n - 1, 0):
        radios.nth(i).check()
        assert page.evaluate(on) == 1
        assert page.evaluate(shaded) in ((per_layer,) if i else (0,))
    # Uncovered areas are dashed outlines without fill, over the shading and under the pins.
    parks = _page(browser, built_maps / "parks_en.html", DESKTOP)
    dashed = parks.locator("path[stroke-dasharray]")
    assert dashed.count() > 0
    assert set(dashed.evaluate_all("els => els.map(e => e.getAttribute('fill'))")) == {"none"}
    assert parks.evaluate(
        "getComputedStyle(document.querySelector('.leaflet-thShading-pane')).zIndex"
    ) < parks.evaluate("getComputedStyle(document.querySelector('.leaflet-overlay-pane')).zIndex")
    page.context.close()
    parks.context.close()


_ALL_POPUPS = """() => { const out = [];
  Object.values(window).forEach(v => { if (v instanceof L.GeoJSON) { v.eachLayer(l => {
    out.push(l.feature.properties._html + l.feature.properties._label); }); } });
  document.querySelectorAll('.leaflet-control-layers, #th-panel')
    .forEach(e => out.push(e.innerText));
  return out; }"""


def test_zh_pages_carry_no_english_codes_or_empty_rows(browser, built_maps):
    codes = {c for table in CODES.values() for c in table}
    english = {e["en"] for table in CODES.values() for e in table.values()}
    word = re.compile(r"\b(" + "|".join(sorted(codes)) + r")\b")
    pages = sorted(p for p in built_maps.glob("*_zh.html") if p.name != "report_zh.html")
    assert len(pages) >= len(MAP_NAMES)
    for path in pages:
        page = _page(browser, path, DESKTOP)
        texts = page.evaluate(_ALL_POPUPS)
        page.context.close()
        joined = "\n".join(texts)
        assert not word.search(joined), (path.name, word.search(joined))
        assert not [e for e in english if f">{e}<" in joined], path.name
        assert "<td>—</td>" not in joined, path.name  # a school's popup lists no beds


def _python_nearest(layers, lat, lon):
    pt = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(4547).iloc[0]
    out = {}
    for key in NEAR_CATEGORIES:
        g = category_features(layers, key).to_crs(4547)
        for built in (True, False):
            part = g[g["built"] == built]
            d = part.distance(pt)
            out[key, built] = (part.loc[d.idxmin(), "name_en"], d.min()) if len(part) else None
    cells = layers["residents"].to_crs(4547)
    dist = cells.geometry.centroid.distance(pt).to_numpy()
    pop = {r: cells["population"].to_numpy()[dist <= r].sum() for r in (300, 500, 1000)}
    return out, pop


def test_near_me_equals_shapely_in_epsg4547(browser, built_maps, layers):
    page = _page(browser, built_maps / "resident_en.html")
    for lat, lon in POINTS:
        got = page.evaluate(f"tianheNearMe({lat}, {lon})")
        want, pop = _python_nearest(layers, lat, lon)
        assert got["inside"]
        for key in NEAR_CATEGORIES:
            for built, field in ((True, "best"), (False, "planned")):
                js, py = got["cats"][key][field], want[key, built]
                assert (js is None) == (py is None), (key, built)
                if py is not None:
                    assert js["name"] == py[0] and abs(js["d"] - py[1]) < 3, (key, js, py)
        for reach in got["reach"]:
            assert reach["pop"] == pytest.approx(pop[reach["r"]], rel=0.01, abs=30)
        text = page.inner_text("#th-near")
        assert "Park: " in text and "min walk" in text and "Within 1000 m" in text
    # Inside Tianhe Park the park's distance is 0 (to the edge, not a bounding-box centre).
    parks = layers["parks"]
    inner = parks[parks["name_en"] == "Tianhe Park"].geometry.representative_point().iloc[0]
    got = page.evaluate(f"tianheNearMe({inner.y}, {inner.x})")["cats"]["park"]["best"]
    assert got["name"] == "Tianhe Park" and got["d"] == 0
    # Tap anywhere: a point chosen on the map is asked about, with three reach circles.
    page.evaluate("tianheLayers._map.setView([23.1376, 113.3245], 15)")
    page.wait_for_timeout(200)
    page.touchscreen.tap(195, 300)
    page.wait_for_timeout(200)
    assert page.evaluate("tianheNearLast.result.reach.length") == 3
    assert page.locator("#th-near [data-cat=school]").count() == 1
    assert page.errors == []
    page.context.close()


def test_near_me_names_are_text(browser, tmp_path, layers):
    evil = '<img src=x onerror="window.__xss=1">'
    parks = layers["parks"].assign(name_en=evil)
    page_path = write_text(
        render_html(finish(resident_map({**layers, "parks": parks}, "en"), locate=True)),
        tmp_path / "evil.html",
    )
    page = _page(browser, page_path, DESKTOP)
    page.evaluate("tianheNearMe(23.1376, 113.3245)")
    page.wait_for_timeout(100)
    assert evil in page.inner_text("#th-near")
    assert page.evaluate("window.__xss") is None
    assert page.locator("#th-near img").count() == 0
    page.context.close()


def test_denied_location_and_outside_point_show_a_message(browser, built_maps):
    page = _page(browser, built_maps / "resident_zh.html")  # no geolocation permission given
    page.tap("#th-locate")
    page.wait_for_function("document.querySelector('#th-near .th-msg')", timeout=5000)
    assert "无法获取您的位置" in page.inner_text("#th-near")
    assert not page.evaluate("tianheNearMe(23.30, 113.60)")["inside"]
    assert "天河区以外" in page.inner_text("#th-near")
    page.context.close()
    # With permission, the button asks the browser and answers for that position.
    page = _page(
        browser,
        built_maps / "resident_en.html",
        permissions=["geolocation"],
        geolocation={"latitude": 23.1376, "longitude": 113.3245},
    )
    page.tap("#th-locate")
    page.wait_for_function("window.tianheNearLast", timeout=5000)
    assert page.evaluate("tianheNearLast.result.cats.park.best.d") == pytest.approx(102, abs=3)
    page.context.close()


def test_gaode_near_me_equals_osm(browser, built_maps, gaode_resident):
    osm = _page(browser, built_maps / "resident_en.html")
    gaode = _page(browser, gaode_resident)
    for lat, lon in POINTS:
        a = osm.evaluate(f"tianheNearMe({lat}, {lon})")
        b = gaode.evaluate(f"tianheNearMe({lat}, {lon})")
        glon, glat = (float(v) for v in wgs84_to_gcj02(lon, lat))
        shown = gaode.evaluate("tianheNearLast.shown")
        # The GPS position is drawn shifted onto the Gaode tiles (about 600 m in Tianhe).
        assert np.allclose(shown, [glat, glon], atol=1e-7)
        # A tap on the Gaode map at that shifted spot asks about the same place.
        c = gaode.evaluate(f"tianheNearShown({glat}, {glon})")
        for key in NEAR_CATEGORIES:
            for other in (b, c):
                x, y = a["cats"][key]["best"], other["cats"][key]["best"]
                assert x["name"] == y["name"] and abs(x["d"] - y["d"]) < 1, key
    assert osm.errors == [] and gaode.errors == []
    osm.context.close()
    gaode.context.close()


def test_view_hash_survives_the_language_link_and_index(browser, built_maps):
    page = _page(browser, built_maps / "overview_en.html", DESKTOP)
    page.evaluate("tianheLayers._map.setView([23.13, 113.33], 15)")
    page.locator(".leaflet-control-layers-overlays label", has_text="Parks").locator(
        "input"
    ).uncheck()
    page.wait_for_timeout(100)
    page.click("a.th-keep")
    page.wait_for_load_state()
    page.wait_for_timeout(200)
    assert "overview_zh.html#15/23.13000/113.33000/" in page.url
    assert page.evaluate("tianheLayers._map.getZoom()") == 15
    parks = page.locator(".leaflet-control-layers-overlays label", has_text="公园").locator("input")
    assert not parks.first.is_checked()
    page.click("a.th-view")
    page.wait_for_load_state()
    assert page.url.endswith("index.html#15/23.13000/113.33000")
    links = page.locator("a")
    assert links.count() >= 2 * len(MAP_NAMES)
    page.click("a[href='parks_en.html']")
    page.wait_for_load_state()
    page.wait_for_timeout(200)
    assert page.evaluate("tianheLayers._map.getZoom()") == 15
    page.context.close()


def test_png_snapshot_draws_areas_and_markers(browser, built_maps):
    from PIL import Image

    page = _page(browser, built_maps / "health_en.html", DESKTOP, accept_downloads=True)
    with page.expect_download() as download:
        page.click("#th-png")
    assert download.value.suggested_filename.endswith(".png")
    image = np.asarray(Image.open(download.value.path()).convert("RGB"))
    assert image.shape == (800, 1280, 3)
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    # The hospital red of the markers and the background; a blank canvas has only the latter.
    assert (0xD7, 0x19, 0x1C) in colours and (0xEE, 0xF1, 0xF4) in colours
    assert len(colours) > 50
    page.context.close()


def _png(page):
    from PIL import Image

    with page.expect_download() as download:
        page.click("#th-png")
    return np.asarray(Image.open(download.value.path()).convert("RGB"))


def _rgb(css):
    return tuple(int(v) for v in re.findall(r"\d+", css)[:3])


@pytest.mark.parametrize("name", ["health_en.html", "parks_zh.html"])
def test_png_snapshot_carries_its_key(browser, built_maps, name):
    page = _page(browser, built_maps / name, DESKTOP, accept_downloads=True)
    key = page.evaluate("tianheSnapshotKey()")
    # The key is the page's own: the legends shown, every panel note, the attribution.
    shown = page.evaluate(
        """() => Array.from(document.querySelectorAll('.th-legend'))
             .filter(e => getComputedStyle(e).display !== 'none')
             .map(e => e.querySelector('b').textContent)"""
    )
    assert shown and [lg["title"] for lg in key["legends"]] == shown
    notes = [n.strip() for n in page.locator("#th-body > .th-note").all_text_contents()]
    assert key["notes"] == [n for n in notes if n] and notes
    # The shading's legend says what its figures rest on and how complete the layer is.
    legend_notes = page.evaluate(
        """() => Array.from(document.querySelectorAll('.th-legend'))
             .filter(e => getComputedStyle(e).display !== 'none')
             .map(e => (e.querySelector('p.th-note') || {textContent: ''}).textContent.trim())"""
    )
    assert [lg["note"] for lg in key["legends"]] == legend_notes and any(legend_notes)
    assert "OpenStreetMap" in key["attribution"]
    image = _png(page)
    # Drawn bottom-left on white: the swatch colours of the filled rows are in the box.
    box = image[:, :330]
    assert (box == 255).all(axis=2).sum() > 5_000
    fills = {
        _rgb(r["fill"])
        for lg in key["legends"]
        for r in lg["rows"]
        if not r["dashed"] and not r["fill"].endswith(", 0)")
    }
    assert fills and all((box == f).all(axis=2).sum() >= 20 for f in fills)
    # Text in the bottom-right corner: the attribution.
    corner = image[-18:, -200:]
    assert (corner.sum(axis=2) < 300).sum() > 30
    assert not page.errors
    page.context.close()


def test_png_snapshot_key_follows_the_layers_shown(browser, built_maps):
    page = _page(browser, built_maps / "health_en.html", DESKTOP, accept_downloads=True)
    before = page.evaluate("tianheSnapshotKey()")
    boxes = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
    for i in range(boxes.count()):
        if boxes.nth(i).is_checked():
            boxes.nth(i).uncheck(force=True)
    page.wait_for_timeout(100)
    after = page.evaluate("tianheSnapshotKey()")
    assert before["legends"] and len(after["legends"]) < len(before["legends"])
    assert after["notes"] == before["notes"]  # how complete the data is, whatever is shown
    page.context.close()
