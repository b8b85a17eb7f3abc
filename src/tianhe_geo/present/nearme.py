"""The resident map's "what is near me": nearest facilities per category and walking reach.

The page carries, as one JSON block, the existing and planned facilities of
six everyday categories (parks as outlines, the rest as points), the district
outline and the residents' cells (centre and population), all in WGS-84. The
browser measures from the visitor's GPS position (WGS-84) or from a tapped
point (converted back from GCJ-02 when the basemap is Gaode) to each park's
edge, not its centre, in a local metric plane (metres along the ellipsoid at
the point's latitude; within a metre of EPSG:4547 over a few kilometres).
Names are put on the page as text, never as HTML; nothing is fetched.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template

from ..foundation.config import REACH_RADII_M, WALK_DETOUR, WALK_M_PER_MIN
from ..foundation.crs import ANALYSIS_CRS, STORAGE_CRS
from ..foundation.i18n import label
from ..foundation.vocab import BUILT_STATUSES
from .mapkit import TianheMap

#: Near-me category -> (layer, column, codes); a ``None`` column takes the whole layer.
NEAR_CATEGORIES: Mapping[str, tuple[str, str | None, tuple[str, ...]]] = {
    "park": ("parks", None, ()),
    "clinic": ("facilities", "category", ("hospital", "community_health")),
    "school": ("facilities", "category", ("primary_school", "middle_school")),
    "kindergarten": ("facilities", "category", ("kindergarten",)),
    "elderly": ("facilities", "category", ("elderly_care",)),
    "station": ("transit", "kind", ("station", "rail_station")),
}

_LABEL_KEYS = ("near_walk", "near_planned", "near_none", "near_denied", "near_outside", "near_tap")


def category_features(layers: Mapping[str, gpd.GeoDataFrame], key: str) -> gpd.GeoDataFrame:
    """The features of one near-me category, WGS-84, with a boolean ``built`` column.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    key : str
        A key of :data:`NEAR_CATEGORIES`.

    Returns
    -------
    geopandas.GeoDataFrame
        The category's features; ``built`` is False for planned or
        under-construction ones (a layer without ``status`` is all built).
    """
    layer, column, codes = NEAR_CATEGORIES[key]
    g = layers[layer].to_crs(STORAGE_CRS)
    if column is not None:
        g = g[g[column].isin(codes).to_numpy()]
    g = g[~shapely.is_missing(g.geometry.values) & ~shapely.is_empty(g.geometry.values)]
    built = g["status"].isin(BUILT_STATUSES) if "status" in g else np.ones(len(g), bool)
    return g.assign(built=np.asarray(built, dtype=bool))


def _rings(geom: shapely.Geometry) -> list[list[float]]:
    """Every ring of a (multi)polygon as a flat [lon, lat, lon, lat, ...] list, 1e-6 degrees."""
    parts = shapely.get_parts(geom)
    rings = []
    for part in parts:
        for ring in [part.exterior, *part.interiors]:
            rings.append(np.round(np.asarray(ring.coords)[:, :2], 6).ravel().tolist())
    return rings


def _items(g: gpd.GeoDataFrame, name_col: str) -> list[dict[str, Any]]:
    out = []
    names = g[name_col].fillna("").astype(str).to_numpy()
    built = g["built"].to_numpy()
    for name, ok, geom in zip(names, built, g.geometry.values, strict=True):
        if geom.geom_type == "Point":
            shape: Any = [round(geom.x, 6), round(geom.y, 6)]
        else:
            shape = _rings(geom)
        out.append({"n": name, "b": bool(ok), "g": shape})
    return out


def near_me_data(layers: Mapping[str, gpd.GeoDataFrame], lang: str) -> dict[str, Any]:
    """Everything the near-me script needs, as JSON-ready data (WGS-84 degrees).

    Parameters
    ----------
    layers : mapping
        Loaded layers (parks, facilities, transit, boundary, residents).
    lang : {'zh', 'en'}
        Language of the names and messages.

    Returns
    -------
    dict
        ``cats`` (key, label, items), ``district`` (rings), ``res`` (cell
        lon, lat, population), ``radii`` (metres), ``speed`` (m/min),
        ``detour`` and ``text`` (messages).
    """
    name_col = "name_zh" if lang == "zh" else "name_en"
    cats = [
        {
            "key": key,
            "label": label(f"near_cat_{key}", lang),
            "items": _items(category_features(layers, key), name_col),
        }
        for key in NEAR_CATEGORIES
    ]
    district = layers["boundary"].to_crs(ANALYSIS_CRS).geometry.simplify(10).to_crs(STORAGE_CRS)
    cells = layers["residents"].to_crs(ANALYSIS_CRS)
    centres = gpd.GeoSeries(cells.geometry.centroid, crs=ANALYSIS_CRS).to_crs(STORAGE_CRS)
    xy = np.round(shapely.get_coordinates(centres.values), 5)
    text = {k: label(k, lang, min="{min}") for k in _LABEL_KEYS}
    text["reach"] = label("near_reach", lang, r="{r}", pop="{pop}", n="{n}")
    text["title"] = label("nearme", lang)
    text["note"] = label("near_note", lang, detour=WALK_DETOUR, speed=f"{WALK_M_PER_MIN:g}")
    return {
        "cats": cats,
        "district": [r for geom in district.values for r in _rings(geom)],
        "res": [
            xy[:, 0].tolist(),
            xy[:, 1].tolist(),
            np.round(cells["population"]).astype(int).tolist(),
        ],
        "radii": list(REACH_RADII_M),
        "speed": WALK_M_PER_MIN,
        "detour": WALK_DETOUR,
        "text": text,
    }


def add_near_me(tm: TianheMap, layers: Mapping[str, gpd.GeoDataFrame]) -> TianheMap:
    """Give a map the near-me data and script (finish it with ``locate=True`` for the button).

    Parameters
    ----------
    tm : TianheMap
        The map (its datum says whether tapped points are GCJ-02).
    layers : mapping
        Loaded layers.

    Returns
    -------
    TianheMap
        The map.
    """
    data = json.dumps(near_me_data(layers, tm.lang), ensure_ascii=False, separators=(",", ":"))
    # "<" never appears raw inside the script element, so a name cannot close it.
    tm.map.add_child(_NearMe(data.replace("<", "\\u003c"), tm.datum == "gcj02"))
    return tm


class _NearMe(MacroElement):
    def __init__(self, data: str, gcj: bool) -> None:
        super().__init__()
        self.data = data
        self.gcj = "true" if gcj else "false"

    # long: the whole near-me page script in one template
    _template = Template(
        """{% macro script(this, kwargs) %}
(function (map) {
  var D = {{ this.data }}, GCJ = {{ this.gcj }}, T = D.text, PI = Math.PI;
  var A = 6378245.0, EE = 0.00669342162296594323;
  // WGS-84 -> GCJ-02 (the same formula as tianhe_geo.foundation.crs.wgs84_to_gcj02).
  function delta(lon, lat) {
    var x = lon - 105.0, y = lat - 35.0;
    var common = (20 * Math.sin(6 * x * PI) + 20 * Math.sin(2 * x * PI)) * 2 / 3;
    var dlat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y;
    dlat += 0.2 * Math.sqrt(Math.abs(x)) + common;
    dlat += (20 * Math.sin(y * PI) + 40 * Math.sin(y / 3 * PI)) * 2 / 3;
    dlat += (160 * Math.sin(y / 12 * PI) + 320 * Math.sin(y * PI / 30)) * 2 / 3;
    var dlon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y;
    dlon += 0.1 * Math.sqrt(Math.abs(x)) + common;
    dlon += (20 * Math.sin(x * PI) + 40 * Math.sin(x / 3 * PI)) * 2 / 3;
    dlon += (150 * Math.sin(x / 12 * PI) + 300 * Math.sin(x / 30 * PI)) * 2 / 3;
    var rad = lat / 180 * PI, magic = 1 - EE * Math.sin(rad) * Math.sin(rad), sm = Math.sqrt(magic);
    return [dlon * 180 / (A / sm * Math.cos(rad) * PI),
      dlat * 180 / ((A * (1 - EE)) / (magic * sm) * PI)];
  }
  function toShown(lat, lon) {
    if (!GCJ) { return [lat, lon]; }
    var d = delta(lon, lat); return [lat + d[1], lon + d[0]];
  }
  function fromShown(lat, lon) {
    if (!GCJ) { return [lat, lon]; }
    var w = [lat, lon];
    for (var i = 0; i < 20; i++) {
      var f = toShown(w[0], w[1]); w = [w[0] - (f[0] - lat), w[1] - (f[1] - lon)];
    }
    return w;
  }
  // A local metric plane at the point: metres per degree along the WGS-84 ellipsoid.
  function plane(lat0, lon0) {
    var p = lat0 * PI / 180;
    var my = 111132.954 - 559.822 * Math.cos(2 * p) + 1.175 * Math.cos(4 * p);
    var mx = 111412.84 * Math.cos(p) - 93.5 * Math.cos(3 * p) + 0.118 * Math.cos(5 * p);
    return function (lon, lat) { return [(lon - lon0) * mx, (lat - lat0) * my]; };
  }
  function segDist(ax, ay, bx, by) {
    var dx = bx - ax, dy = by - ay, l2 = dx * dx + dy * dy;
    var t = l2 ? Math.max(0, Math.min(1, -(ax * dx + ay * dy) / l2)) : 0;
    return Math.hypot(ax + t * dx, ay + t * dy);
  }
  // Distance from the plane's origin to a polygon's edge; 0 inside it (even-odd over rings).
  function ringsDist(rings, P) {
    var inside = false, best = Infinity;
    rings.forEach(function (r) {
      var n = r.length / 2, prev = P(r[2 * n - 2], r[2 * n - 1]);
      for (var i = 0; i < n; i++) {
        var cur = P(r[2 * i], r[2 * i + 1]);
        best = Math.min(best, segDist(prev[0], prev[1], cur[0], cur[1]));
        if ((cur[1] > 0) !== (prev[1] > 0) &&
            prev[0] - prev[1] * (cur[0] - prev[0]) / (cur[1] - prev[1]) > 0) { inside = !inside; }
        prev = cur;
      }
    });
    return inside ? 0 : best;
  }
  function measure(g, P) {
    if (typeof g[0] === 'number') { var q = P(g[0], g[1]); return Math.hypot(q[0], q[1]); }
    return ringsDist(g, P);
  }
  function query(lat, lon) {
    var P = plane(lat, lon), radii = D.radii, counts = radii.map(function () { return 0; });
    var out = {lat: lat, lon: lon, inside: ringsDist(D.district, P) === 0, cats: {}, reach: []};
    D.cats.forEach(function (c) {
      var best = null, plan = null;
      c.items.forEach(function (it) {
        var d = measure(it.g, P);
        if (it.b) {
          radii.forEach(function (r, k) { if (d <= r) { counts[k]++; } });
          if (!best || d < best.d) { best = {name: it.n, d: d}; }
        } else if (!plan || d < plan.d) { plan = {name: it.n, d: d}; }
      });
      out.cats[c.key] = {label: c.label, best: best, planned: plan};
    });
    var pop = radii.map(function () { return 0; }), R = D.res;
    for (var i = 0; i < R[0].length; i++) {
      var q = P(R[0][i], R[1][i]), d = Math.hypot(q[0], q[1]);
      for (var k = 0; k < radii.length; k++) { if (d <= radii[k]) { pop[k] += R[2][i]; } }
    }
    out.reach = radii.map(function (r, k) { return {r: r, pop: pop[k], n: counts[k]}; });
    return out;
  }
  var box = document.getElementById('th-near'), drawn = L.layerGroup().addTo(map);
  function fill(s, v) {
    return s.replace(/\\{(\\w+)\\}/g, function (m, k) { return k in v ? String(v[k]) : m; });
  }
  function line(text, cls) {
    var el = document.createElement('div'); el.textContent = text;
    if (cls) { el.className = cls; }
    box.appendChild(el); return el;
  }
  function clear() { if (box) { box.textContent = ''; } drawn.clearLayers(); }
  function message(text) { clear(); line(text, 'th-msg'); }
  function minutes(d) { return Math.max(1, Math.round(d * D.detour / D.speed)); }
  function show(res, here) {
    window.tianheNearLast = {result: res, shown: here};
    clear();
    var x = document.createElement('button');
    x.type = 'button'; x.className = 'th-close'; x.textContent = '×';
    x.addEventListener('click', clear); box.appendChild(x);
    L.circleMarker(here, {radius: 8, color: '#fff', weight: 2, fillColor: '#1565c0', fillOpacity: 1,
      interactive: false}).addTo(drawn);
    if (!res.inside) { line(T.near_outside, 'th-msg'); return res; }
    var head = document.createElement('b'); head.textContent = T.title; box.appendChild(head);
    D.cats.forEach(function (c) {
      var r = res.cats[c.key], b = r.best;
      var t = b ? b.name + ' — ' + Math.round(b.d) + ' m, ' + fill(T.near_walk, {min: minutes(b.d)})
        : T.near_none;
      line(c.label + ': ' + t).dataset.cat = c.key;
      if (r.planned) {
        var pl = T.near_planned + ': ' + r.planned.name + ' — ' + Math.round(r.planned.d) + ' m';
        line(pl, 'th-plan').dataset.plan = c.key;
      }
    });
    res.reach.forEach(function (o) {
      L.circle(here, {radius: o.r, weight: 1.5, color: '#1565c0', fill: false, dashArray: '4 4',
        interactive: false}).addTo(drawn);
      line(fill(T.reach, {r: o.r, pop: Math.round(o.pop), n: o.n})).dataset.reach = o.r;
    });
    line(T.note, 'th-note');
    return res;
  }
  // A GPS position (WGS-84 degrees): drawn shifted onto the basemap's datum.
  window.tianheNearMe = function (lat, lon) { return show(query(lat, lon), toShown(lat, lon)); };
  // A point on the map as drawn (GCJ-02 under Gaode tiles).
  window.tianheNearShown = function (lat, lon) {
    var w = fromShown(lat, lon); return show(query(w[0], w[1]), [lat, lon]);
  };
  window.tianheToShown = toShown;
  var loc = document.getElementById('th-locate');
  if (loc) {
    loc.addEventListener('click', function () {
      if (!navigator.geolocation) { message(T.near_denied); return; }
      navigator.geolocation.getCurrentPosition(function (p) {
        var c = p.coords;
        map.setView(toShown(c.latitude, c.longitude), Math.max(map.getZoom(), 15));
        window.tianheNearMe(c.latitude, c.longitude);
      }, function () { message(T.near_denied); }, {enableHighAccuracy: true, timeout: 10000});
    });
    line(T.near_tap, 'th-note');
  }
  map.on('click', function (e) { window.tianheNearShown(e.latlng.lat, e.latlng.lng); });
})({{ this._parent.get_name() }});
{% endmacro %}"""
    )
