import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point

from tianhe_geo import CrsError
from tianhe_geo.foundation import crs as c

GEOD = Geod(ellps="WGS84")


def _metres(lon1, lat1, lon2, lat2):
    return GEOD.inv(lon1, lat1, lon2, lat2)[2]


def test_gcj_offset_in_tianhe_is_about_620_m():
    lon, lat = np.meshgrid(np.linspace(113.30, 113.44, 8), np.linspace(23.10, 23.24, 8))
    glon, glat = c.wgs84_to_gcj02(lon.ravel(), lat.ravel())
    d = _metres(lon.ravel(), lat.ravel(), glon, glat)
    assert 600 < d.min() and d.max() < 650
    assert (glon > lon.ravel()).all() and (glat < lat.ravel()).all()  # east and south


def test_gcj_forward_matches_published_pair():
    # Published reference pair (evil_transform docs): WGS (39.915, 116.404) ->
    # GCJ (39.91640428150164, 116.41024449916938).
    glon, glat = c.wgs84_to_gcj02([116.404], [39.915])
    assert glon[0] == pytest.approx(116.41024449916938, abs=1e-7)
    assert glat[0] == pytest.approx(39.91640428150164, abs=1e-7)


@pytest.mark.parametrize(
    ("fwd", "inv"),
    [(c.wgs84_to_gcj02, c.gcj02_to_wgs84), (c.wgs84_to_bd09, c.bd09_to_wgs84)],
)
def test_round_trip_well_under_a_metre(fwd, inv):
    rng = np.random.default_rng(0)
    lon = rng.uniform(113.29, 113.45, 10_000)
    lat = rng.uniform(23.09, 23.25, 10_000)
    back = inv(*fwd(lon, lat))
    err = _metres(lon, lat, back[0], back[1])
    assert err.max() < 0.001


def test_bd09_offset_is_larger_than_gcj():
    lon, lat = np.array([113.33]), np.array([23.13])
    d_gcj = _metres(lon, lat, *c.wgs84_to_gcj02(lon, lat))
    d_bd = _metres(lon, lat, *c.wgs84_to_bd09(lon, lat))
    assert 1200 < d_bd[0] < 1350 and d_bd[0] > d_gcj[0]


def test_frame_conversion_round_trip_keeps_attributes():
    gdf = gpd.GeoDataFrame(
        {"a": [1, 2]}, geometry=[Point(113.3, 23.1), Point(113.4, 23.2)], crs=4326
    )
    back = c.to_wgs84_from(c.from_wgs84_to(gdf, "gcj02"), "GCJ-02")
    assert back["a"].tolist() == [1, 2]
    assert np.allclose(back.get_coordinates(), gdf.get_coordinates(), atol=1e-9)
    with pytest.raises(CrsError, match="gcj02"):
        c.to_wgs84_from(gdf, "wgs99")


def test_guards():
    gdf = gpd.GeoDataFrame(geometry=[Point(113.3, 23.1)])
    with pytest.raises(CrsError, match="no CRS"):
        c.require_crs(gdf, "residents")
    with pytest.raises(ValueError, match="geographic"):
        c.require_projected(gdf.set_crs(4326), "residents")
    a = gdf.set_crs(4326).to_crs(c.ANALYSIS_CRS)
    b = gdf.set_crs(4326).to_crs(32649)
    with pytest.raises(CrsError, match=r"residents is in .*facilities is in"):
        c.require_same_crs(residents=a, facilities=b)


def test_gcj_suspicion_flags_shifted_subdistricts(boundary, subdistricts):
    honest = c.gcj02_suspicion(subdistricts, boundary)
    assert honest["suspicious"] == 0.0 and honest["fit_as_is"] > 0.999
    shifted = c.from_wgs84_to(subdistricts, "gcj02")
    score = c.gcj02_suspicion(shifted, boundary)
    assert score["suspicious"] == 1.0 and score["fit_as_gcj02"] > score["fit_as_is"]


@pytest.mark.parametrize(
    "func",
    [
        c.wgs84_to_gcj02,
        c.gcj02_to_wgs84,
        c.gcj02_to_bd09,
        c.bd09_to_gcj02,
        c.wgs84_to_bd09,
        c.bd09_to_wgs84,
    ],
)
def test_points_outside_china_pass_through_unchanged(func):
    # Paris, New York, Sydney, Tokyo east of the rectangle; Tianhe in the same call moves.
    lon = np.array([2.3522, -74.006, 151.2093, 139.6917, 113.33])
    lat = np.array([48.8566, 40.7128, -33.8688, 35.6895, 23.13])
    out_lon, out_lat = func(lon, lat)
    np.testing.assert_array_equal(out_lon[:4], lon[:4])
    np.testing.assert_array_equal(out_lat[:4], lat[:4])
    assert _metres(lon[4:], lat[4:], out_lon[4:], out_lat[4:])[0] > 500
    assert c.in_china(lon, lat).tolist() == [False, False, False, False, True]


def test_a_paris_frame_does_not_move():
    paris = gpd.GeoDataFrame(geometry=[Point(2.3522, 48.8566)], crs=4326)
    for datum in ("gcj02", "bd09"):
        for moved in (c.to_wgs84_from(paris, datum), c.from_wgs84_to(paris, datum)):
            assert moved.geometry[0].equals_exact(paris.geometry[0], 0.0)
