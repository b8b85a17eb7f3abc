"""Maps opened in a real headless Chromium from file://, with the network blocked."""

import shutil
from pathlib import Path

import geopandas as gpd
import pytest
import shapely

from tianhe_geo.data.io import write_text
from tianhe_geo.present.mapkit import add_layer, new_map, render_html
from tianhe_geo.present.mapkit import finish as add_legends_and_controls
from tianhe_geo.present.maps import MAP_NAMES

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not found: apt-get install chromium (make test does this as root)",
)
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _open(browser, path: Path):
    ctx = browser.new_context(viewport={"width": 1000, "height": 750})
    requests, errors, dialogs = [], [], []
    # Block the network: only the file itself may load.
    ctx.route(
        "**/*",
        lambda r: (
            r.continue_()
            if r.request.url.startswith("file:")
            else (requests.append(r.request.url), r.abort())
        ),
    )
    page = ctx.new_page()
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and "Failed to load resource" not in m.text
            else None
        ),
    )
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(path.as_uri())
    page.wait_for_timeout(300)
    return page, errors, dialogs, requests


def test_shipped_maps_open_offline(browser, built_maps, tmp_path):
    htmls = [built_maps / f"{m}_{lang}.html" for m in MAP_NAMES for lang in ("zh", "en")]
    htmls += sorted(built_maps.glob("scenario_*.html")) + sorted(built_maps.glob("siting_*.html"))
    assert len(htmls) > 12
    for path in htmls:
        page, errors, dialogs, requests = _open(browser, path)
        assert errors == [] and dialogs == [], (path.name, errors, dialogs)
        assert page.evaluate("typeof L") == "object"
        # Only basemap tiles may be requested; no script or stylesheet from a CDN.
        assert all("tile" in u or "autonavi" in u for u in requests), requests[:3]
        assert page.locator(".leaflet-control-layers label").count() >= 2
        assert page.title(), path.name
        assert page.locator("path.leaflet-interactive, .th-pin").count() > 0
        page.screenshot(path=str(tmp_path / f"{path.stem}.png"))
        page.context.close()


def test_layer_toggle_moves_legend_and_search_opens_popup(browser, built_maps):
    page, errors, _, _ = _open(browser, built_maps / "overview_en.html")
    labels = page.locator(".leaflet-control-layers-overlays label")
    names = [t.strip() for t in labels.all_inner_texts()]
    assert (
        "Parks" in names and "Metro (operating)" in names and "Subdistricts (approximate)" in names
    )
    legend = page.locator(".th-legend", has_text="Ecological park")
    assert legend.is_visible()
    labels.filter(has_text="Parks").locator("input").click()
    assert not legend.is_visible()
    labels.filter(has_text="Parks").locator("input").click()
    assert legend.is_visible()
    page.fill("#th-search", "Tianhe Park")
    page.press("#th-search", "Enter")
    page.wait_for_selector(".leaflet-popup-content", timeout=3000)
    assert "Tianhe Park" in page.inner_text(".leaflet-popup-content")
    zh, *_ = _open(browser, built_maps / "overview_zh.html")
    assert "公园" in zh.inner_text(".leaflet-control-layers-overlays")
    assert errors == []


def test_xss_name_is_shown_as_text(browser, tmp_path):
    evil = '<img src=x onerror="window.__xss=1;alert(1)">'
    gdf = gpd.GeoDataFrame(
        {"name_en": [evil], "note": ["a 'quote' & <b>bold</b>"]},
        geometry=[shapely.box(113.33, 23.13, 113.34, 23.14)],
        crs=4326,
    )
    m = new_map("en")
    add_layer(
        m, gdf, evil, [("name_en", "Name"), ("note", evil)], legend={evil: "#f00"}, label="name_en"
    )
    add_legends_and_controls(m)
    path = write_text(render_html(m), tmp_path / "xss.html")
    page, errors, dialogs, _ = _open(browser, path)
    page.fill("#th-search", "img")
    page.press("#th-search", "Enter")
    page.wait_for_selector(".leaflet-popup-content", timeout=3000)
    page.wait_for_timeout(200)
    assert dialogs == [] and page.evaluate("window.__xss") is None
    assert evil in page.inner_text(".leaflet-popup-content")
    assert evil in page.inner_text("#th-legends")
    assert page.locator(".leaflet-popup-content img").count() == 0
    assert errors == []


def test_resident_map_near_me(browser, built_maps):
    page, errors, _, _ = _open(browser, built_maps / "resident_en.html")
    assert page.locator("#th-locate").is_visible()
    # The geolocation API needs a permission prompt; feed the same handler a position directly.
    page.evaluate("window.tianheNearMe(23.1376, 113.3245)")
    text = page.inner_text("#th-near")
    assert "Park: " in text and " m" in text and "Station: " in text
    assert errors == []


def test_report_opens_with_charts_and_live_maps(browser, built_maps):
    page, errors, dialogs, requests = _open(browser, built_maps / "report.html")
    page.wait_for_timeout(1500)  # lazy iframes
    assert errors == [] and dialogs == []
    assert all("tile" in u for u in requests), requests[:3]
    # Charts are inline PNGs that decoded to real pixels.
    widths = page.eval_on_selector_all("figure img", "els => els.map(e => e.naturalWidth)")
    assert len(widths) >= 4 and min(widths) > 100
    assert "Plan indicators" in page.inner_text("body")
    assert page.locator("text=Scenario:").count() == 1
    assert "Where next: siting" in page.inner_text("body")
    frames = [f for f in page.frames if f != page.main_frame]
    assert len(frames) == 3  # coverage, parks, the first siting answer
    for frame in frames:
        frame.wait_for_selector("path.leaflet-interactive", timeout=5000)
        assert frame.evaluate("typeof L") == "object"
