"""The grid counting of points within a radius, against all-pairs brute force."""

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from tianhe_geo.analysis import _radius_counts
from tianhe_geo.analysis._radius_counts import count_within
from tianhe_geo.analysis.coverage import coverage

RADII = (0.0, 50.0, 100.0, 250.0, 300.0, 2_000.0)

# Two dense towns 20 km apart: cells are sized by the occupied area, not the extent.
_TOWNS = np.random.default_rng(6).normal(0, 200, (600, 2)) + np.array([500_000, 2_500_000])
_TOWNS[300:, 0] += 20_000
# A dense blob and one query 50 km away: the cap on grid cells decides the cell size.
_BLOB_AND_OUTLIER = np.vstack(
    [np.random.default_rng(7).normal(0, 5, (400, 2)), [[50_000.0, 50_000.0]]]
) + np.array([500_000, 2_500_000])


def _brute(q, p, radii):
    d = np.hypot(q[:, None, 0] - p[None, :, 0], q[:, None, 1] - p[None, :, 1])
    return {r: (d <= r).sum(axis=1) for r in radii}


def _assert_equal(q, p, radii=RADII):
    got = count_within(q, p, radii)
    expect = _brute(q, p, radii)
    for r in radii:
        bad = np.flatnonzero(got[r] != expect[r])
        assert not len(bad), (
            f"r={r}: rows {bad[:5]} got {got[r][bad[:5]]}, not {expect[r][bad[:5]]}"
        )


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 300),
    m=st.integers(1, 40),
    lattice=st.booleans(),
    rows_per_chunk=st.sampled_from([1, 7, 200_000]),
)
def test_matches_brute_force(seed, n, m, lattice, rows_per_chunk):
    rng = np.random.default_rng(seed)
    q = rng.uniform(0, 1_000, (n, 2)) + 500_000
    p = rng.uniform(-300, 1_300, (m, 2)) + 500_000  # some points outside the queries' extent
    if lattice:  # many distances exactly equal to a radius (3-4-5 triangles, axis steps of 50 m)
        q, p = np.round(q / 50) * 50, np.round(p / 50) * 50
    old = _radius_counts.ROWS_PER_CHUNK
    _radius_counts.ROWS_PER_CHUNK = rows_per_chunk  # many chunks shared by the two workers
    try:
        _assert_equal(q, p)
    finally:
        _radius_counts.ROWS_PER_CHUNK = old


@pytest.mark.parametrize(
    "q",
    [
        np.full((5, 2), 500_000.0),  # all queries at one spot: a grid of one cell
        np.column_stack([np.linspace(0, 900, 40), np.zeros(40)]) + 500_000,  # on a line
        np.array([[500_000.0, 2_600_000.0]]),  # one query
        _TOWNS,
        _BLOB_AND_OUTLIER,
    ],
    ids=["one-spot", "line", "single", "two-towns", "blob-and-outlier"],
)
def test_degenerate_query_layouts(q):
    rng = np.random.default_rng(3)
    p = np.vstack([q[:1], rng.uniform(-500, 1_500, (30, 2)) + q[0]])
    _assert_equal(q, p)


def test_points_far_from_every_query_count_zero():
    q = np.random.default_rng(4).uniform(0, 100, (50, 2))
    p = np.array([[10_000.0, 10_000.0], [-5_000.0, 50.0]])
    got = count_within(q, p, [300.0])
    assert (got[300.0] == 0).all()


def test_empty_inputs():
    assert count_within(np.empty((0, 2)), np.ones((3, 2)), [100.0])[100.0].shape == (0,)
    assert (count_within(np.ones((3, 2)), np.empty((0, 2)), [100.0])[100.0] == 0).all()


def test_coverage_counts_a_large_point_set_exactly():
    # Over 100,000 residents: the fast threaded point reading and the grid both run.
    rng = np.random.default_rng(5)
    q = rng.uniform(0, 3_000, (120_000, 2)) + 500_000
    p = rng.uniform(0, 3_000, (25, 2)) + 500_000
    res = gpd.GeoDataFrame(
        {"population": np.ones(len(q))}, geometry=shapely.points(q), crs="EPSG:4547"
    )
    fac = gpd.GeoDataFrame(geometry=shapely.points(p), crs="EPSG:4547")
    out = coverage(res, fac, [300, 500])
    expect = _brute(q, p, [300, 500])
    d = np.hypot(q[:, None, 0] - p[None, :, 0], q[:, None, 1] - p[None, :, 1])
    assert np.allclose(out.residents["nearest_m"], d.min(axis=1))
    for t in (300, 500):
        assert (out.residents[f"n_within_{t}"].to_numpy() == expect[t]).all()
