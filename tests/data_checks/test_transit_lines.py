"""Metro line geometry of the transit layer: OSM track alignments and line colours."""

import re

import geopandas as gpd
import numpy as np
import pytest
import shapely

import tianhe_geo
from tianhe_geo.foundation.crs import ANALYSIS_CRS

from .._scripts import load_script

build = load_script("build_transit")

# Lines with no OSM track in the committed subset stay straight between their stations.
SCHEMATIC = {"line-13", "line-18N"}
# A station point is linked to its line's track at most this far away (build_transit.SNAP_M).
STATION_TO_TRACK_M = 300.0
# Most of a drawn line lies on the track; the rest are straight links and bridges.
ON_TRACK_M = 15.0


@pytest.fixture(scope="module")
def transit() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("transit")


@pytest.fixture(scope="module")
def lines(transit) -> gpd.GeoDataFrame:
    return transit[transit["kind"] == "line"].set_index("id")


@pytest.fixture(scope="module")
def ways() -> gpd.GeoDataFrame:
    return gpd.read_file(build.WAYS).to_crs(ANALYSIS_CRS)


def _track(ways, line_id):
    return ways.geometry[ways["name"].isin(build.TRACK_NAMES[line_id])].union_all()


def test_lines_are_multi_vertex_track_alignments(lines, ways):
    metric = lines.to_crs(ANALYSIS_CRS).geometry
    for row_id, line in metric.items():
        n_stations = len(lines.loc[row_id, "stations"].split(";"))
        if row_id in SCHEMATIC:
            assert len(line.coords) == n_stations, row_id
            continue
        assert len(line.coords) >= 5 * n_stations, row_id
        # The part of the line farther than ON_TRACK_M from its OSM track: links from
        # station points and bridges over gaps, plus line 21's schematic 员村–天河公园.
        track = _track(ways, lines.loc[row_id, "line"])
        off = line.difference(track.buffer(ON_TRACK_M)).length / line.length
        limit = 0.10 if row_id == "line-21" else 0.05
        assert off < limit, (row_id, round(off, 3))


def test_every_station_is_on_its_line_and_near_its_track(transit, lines, ways):
    stations = transit.set_index("id").to_crs(ANALYSIS_CRS).geometry
    metric = lines.to_crs(ANALYSIS_CRS).geometry
    far = []
    for row_id, line in metric.items():
        ids = lines.loc[row_id, "stations"].split(";")
        for sid in ids:
            assert stations[sid].distance(line) < 0.05, (row_id, sid)
        if row_id in SCHEMATIC:
            continue
        track = _track(ways, lines.loc[row_id, "line"])
        far += [(row_id, s) for s in ids if stations[s].distance(track) > STATION_TO_TRACK_M]
    # OSM's line 21 ends at 天河公园: its terminus 员村 is the one station off the track.
    assert far == [("line-21", "st-yuancun")]


def test_line_sources_say_where_the_track_is_schematic(lines):
    for row_id, source in lines["source"].items():
        assert "rmg-palette" in source, row_id
        if row_id in SCHEMATIC:
            assert "schematic between stations" in source, row_id
        else:
            assert "YuuK1-ASN/SmartCity-Guangzhou" in source and "ODbL" in source, row_id
    assert (
        "straight (schematic, no OSM track): yuancun–tianhegongyuan"
        in lines.loc["line-21", "source"]
    )


def test_line_colours_are_valid_hex(transit, lines):
    assert lines["colour"].map(lambda c: bool(re.fullmatch(r"#[0-9A-Fa-f]{6}", c))).all()
    assert lines["colour"].nunique() == 11  # 13 lines; 3N and 18N take their line's colour
    assert lines.loc["line-3N", "colour"] == lines.loc["line-3", "colour"]
    assert lines.loc["line-18N", "colour"] == lines.loc["line-18", "colour"]
    assert transit.loc[transit["kind"] != "line", "colour"].isna().all()


def test_build_reproduces_the_shipped_lines(lines):
    built = build.build().set_index("id")
    for row_id, line in lines.geometry.items():
        again = built.loc[row_id, "geometry"]
        assert shapely.equals_exact(line, again, tolerance=1e-7), row_id
        assert built.loc[row_id, "colour"] == lines.loc[row_id, "colour"]


def _graph(*coords):
    return build.TrackGraph(gpd.GeoSeries([shapely.LineString(c) for c in coords]))


def test_track_route_follows_the_track_or_gives_up():
    # A track bending 200 m north between two stations 1 km apart.
    graph = _graph([(0, 10), (500, 200), (1000, 10)])
    coords, straight = build.track_route(np.array([0.0, 0]), np.array([1000.0, 0]), graph)
    assert coords[0] == (0.0, 0.0) and coords[-1] == (1000.0, 0.0)
    assert (500.0, 200.0) in coords and straight == pytest.approx(20.0)
    # A station farther than SNAP_M from every track: no route.
    assert build.track_route(np.array([0.0, 0]), np.array([0.0, 900]), graph) is None
    # A track path more than MAX_DETOUR times the straight distance: no route.
    loop = _graph([(0, 10), (0, 2000), (300, 2000), (300, 10)])
    assert build.track_route(np.array([0.0, 0]), np.array([300.0, 0]), loop) is None
    assert build.track_route(np.array([0.0, 0]), np.array([1.0, 0]), None) is None


def test_track_route_bridges_a_gap_between_ways():
    # Two ways with a 100 m gap: the bridge is used and counted as straight.
    graph = _graph([(0, 0), (400, 0)], [(500, 0), (900, 0)])
    coords, straight = build.track_route(np.array([0.0, 0]), np.array([900.0, 0]), graph)
    assert (400.0, 0.0) in coords and (500.0, 0.0) in coords
    assert straight == pytest.approx(100.0)
