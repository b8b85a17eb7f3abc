"""With a street network every measure takes its costs from it (#12, item 4).

2SFCA catchments and siting cover sets come from the same :class:`OnNetwork`
the standards use, and existing parks are reached at their edge there too.
The network is the hand-written grid in ``tests/fixtures/grid.osm`` (inside
the district); residents farther than the snap limit from it are unknown.
"""

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely

import tianhe_geo
from tianhe_geo.analysis.access import two_step_fca
from tianhe_geo.analysis.coverage import coverage
from tianhe_geo.analysis.distance import OnNetwork
from tianhe_geo.analysis.network import from_edges, network_table, read_walk_network, snap
from tianhe_geo.foundation.config import DEFAULT_CONFIG
from tianhe_geo.foundation.crs import ANALYSIS_CRS
from tianhe_geo.plan.indicators import capacity_2sfca
from tianhe_geo.plan.selection import plan_distance, residents_in, select_facilities, select_kinds
from tianhe_geo.plan.siting_questions import site_for_standard

OSM = Path(__file__).parents[1] / "fixtures" / "grid.osm"


@pytest.fixture(scope="module")
def setup():
    layers = tianhe_geo.load_layers()
    net = read_walk_network(OSM, ANALYSIS_CRS)
    return layers, net


def test_run_distance_is_on_the_network_with_the_configured_access_spacing(setup):
    _, net = setup
    how = plan_distance(DEFAULT_CONFIG, net)
    assert isinstance(how, OnNetwork) and how.access_spacing_m == DEFAULT_CONFIG.access_spacing_m
    assert how.method.polygons == "access_points"
    assert plan_distance(DEFAULT_CONFIG).method.polygons == "edge"


def test_2sfca_catchments_follow_the_network(setup):
    layers, net = setup
    res = residents_in(layers, DEFAULT_CONFIG)
    hosp = select_kinds(layers, "facilities", "category", ("hospital",), DEFAULT_CONFIG)
    hosp = hosp[hosp["beds"].notna()]
    cell, _ = capacity_2sfca(layers, "beds", ("hospital",), 3000.0, DEFAULT_CONFIG, net)
    straight, _ = capacity_2sfca(layers, "beds", ("hospital",), 3000.0, DEFAULT_CONFIG)
    # Independently: the network table, 2SFCA on it, unknown where a cell is not snapped.
    table, _ = network_table(res, hosp, net, 3000.0, DEFAULT_CONFIG.max_snap_m)
    expect = two_step_fca(table, res["population"], hosp["beds"], 3000.0)
    known = snap(res, net, DEFAULT_CONFIG.max_snap_m).snapped
    assert 0 < known.sum() < len(res)
    assert cell.notna().to_numpy().tolist() == known.tolist()
    np.testing.assert_allclose(cell[known], expect[known])
    assert straight.notna().all()  # by straight line every cell is measured


def _grid_around(geom, half=900.0, step=50.0):
    """A street grid every ``step`` metres over a square around ``geom``'s centroid."""
    c = geom.centroid
    ax = np.arange(-half, half + 1, step)
    gx, gy = np.meshgrid(c.x + ax, c.y + ax)
    n = len(ax)
    idx = np.arange(n * n).reshape(n, n)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    return from_edges(idx.ravel(), np.column_stack([gx.ravel(), gy.ravel()]), u, v, ANALYSIS_CRS)


def test_siting_covers_on_the_network_from_the_parks_edge(setup):
    layers, _ = setup
    cfg = DEFAULT_CONFIG
    res = residents_in(layers, cfg)
    parks = select_facilities(layers, cfg.standard("green-300"), cfg)
    big = parks.geometry.area.idxmax()
    net = _grid_around(parks.geometry[big])
    xy = net.xy[::37]
    cand = gpd.GeoDataFrame(
        geometry=shapely.points(xy), crs=ANALYSIS_CRS, index=[f"c{i}" for i in range(len(xy))]
    )
    result, existing = site_for_standard(
        layers, "green-300", k=1, candidates=cand, config=cfg, network=net
    )
    assert result.method == OnNetwork(net, cfg.max_snap_m, cfg.access_spacing_m).method
    edge = coverage(res, parks, [300], distance=OnNetwork(net, cfg.max_snap_m), counts=False)
    centre = parks.set_geometry(parks.centroid)
    old = coverage(res, centre, [300], distance=OnNetwork(net, cfg.max_snap_m), counts=False)
    # The siting's "covered before" is the coverage of the parks reached at their edge.
    assert result.residents["covered_before"].tolist() == edge.covered(300).tolist()
    assert edge.covered(300).sum() > old.covered(300).sum()  # more than from centroids
    assert len(existing) == len(parks)
