"""Coordinate reference systems: the CRS policy of tianhe-geo in one place.

Policy
------
* Layers are stored in WGS-84 (EPSG:4326), GeoJSON axis order (lon, lat).
* Distances and areas are measured in metres in a projected CRS, by default
  CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547).
* Chinese web maps (AMap/Gaode, Tencent) publish GCJ-02 and Baidu publishes
  BD-09. Neither has an EPSG code, so pyproj cannot catch them; they are
  converted here explicitly, never silently. In Tianhe the GCJ-02 offset is
  about 620 m, larger than a 5-minute walking catchment.

The GCJ-02 forward transform is the widely published public formula; the
inverses are solved by fixed-point iteration to well under a millimetre.
GCJ-02 and BD-09 only exist inside China: like the reference
implementations, every conversion passes points outside the usual bounding
rectangle of China (:func:`in_china`) through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
from pyproj import CRS

from .errors import CrsError

if TYPE_CHECKING:
    import geopandas as gpd
    from numpy.typing import ArrayLike, NDArray

STORAGE_CRS = "EPSG:4326"
"""CRS of every shipped layer (WGS-84, lon/lat degrees)."""

#: A conversion of lon/lat arrays (degrees) to lon/lat arrays in another datum.
_Transform = Callable[[Any, Any], tuple]

ANALYSIS_CRS = "EPSG:4547"
"""Default metric CRS: CGCS2000 / 3-degree Gauss-Kruger CM 114E (metres)."""

# Krasovsky 1940 ellipsoid, as used by the GCJ-02 obfuscation.
_KRASOVSKY_A = 6378245.0
_KRASOVSKY_EE = 0.00669342162296594323
_BD_X_PI = np.pi * 3000.0 / 180.0


# --------------------------------------------------------------------------
# GCJ-02 and BD-09 (vectorised numpy)
# --------------------------------------------------------------------------
def _gcj_delta(lon: NDArray[np.float64], lat: NDArray[np.float64]) -> tuple:
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y
    dlat += 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y
    dlon += 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _KRASOVSKY_EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_KRASOVSKY_A * (1 - _KRASOVSKY_EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_KRASOVSKY_A / sqrtmagic * np.cos(radlat) * pi)
    return dlon, dlat


#: lon/lat rectangle the GCJ-02 and BD-09 offsets apply in (the reference implementations').
CHINA_RECTANGLE = (72.004, 0.8293, 137.8347, 55.8271)


def in_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where a point lies in the rectangle GCJ-02 and BD-09 offsets apply in.

    Parameters
    ----------
    lon, lat : array_like
        Longitude and latitude in degrees.

    Returns
    -------
    numpy.ndarray
        Bool per point (:data:`CHINA_RECTANGLE`, bounds inclusive).
    """
    lon_a, lat_a = _as_arrays(lon, lat)
    x0, y0, x1, y1 = CHINA_RECTANGLE
    return (lon_a >= x0) & (lon_a <= x1) & (lat_a >= y0) & (lat_a <= y1)


def _only_in_china(func: _Transform) -> _Transform:
    """``func`` applied inside :data:`CHINA_RECTANGLE`, points outside it returned unchanged."""

    def inside_only(lon: ArrayLike, lat: ArrayLike) -> tuple:
        lon_a, lat_a = _as_arrays(lon, lat)
        x, y = np.atleast_1d(lon_a).copy(), np.atleast_1d(lat_a).copy()
        inside = in_china(x, y)
        if inside.any():  # only there: the formula overflows far outside
            x[inside], y[inside] = func(x[inside], y[inside])
        return x.reshape(lon_a.shape), y.reshape(lat_a.shape)

    return inside_only


def _as_arrays(lon: ArrayLike, lat: ArrayLike) -> tuple:
    lon_a = np.asarray(lon, dtype=float)
    lat_a = np.asarray(lat, dtype=float)
    if lon_a.shape != lat_a.shape:
        msg = f"lon and lat must have the same shape, got {lon_a.shape} and {lat_a.shape}"
        raise ValueError(msg)
    return lon_a, lat_a


def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple:
    """Convert WGS-84 coordinates to GCJ-02 (AMap/Gaode, Tencent).

    Points outside China (:func:`in_china`) are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    return _only_in_china(_wgs84_to_gcj02)(lon, lat)


def _wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple:
    lon_a, lat_a = _as_arrays(lon, lat)
    dlon, dlat = _gcj_delta(lon_a, lat_a)
    return lon_a + dlon, lat_a + dlat


def _invert(forward: _Transform, lon: ArrayLike, lat: ArrayLike, tol_deg: float = 1e-10) -> tuple:
    """Solve ``forward(w) == target`` for w by fixed-point iteration."""
    tlon, tlat = _as_arrays(lon, lat)
    wlon, wlat = tlon.copy(), tlat.copy()
    for _ in range(30):
        flon, flat = forward(wlon, wlat)
        elon, elat = flon - tlon, flat - tlat
        wlon = wlon - elon
        wlat = wlat - elat
        if np.all(np.abs(elon) < tol_deg) and np.all(np.abs(elat) < tol_deg):
            break
    return wlon, wlat


def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple:
    """Convert GCJ-02 coordinates back to WGS-84 (iterative, error < 1 mm).

    Points outside China (:func:`in_china`) are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude in degrees.
    """
    return _only_in_china(lambda x, y: _invert(_wgs84_to_gcj02, x, y))(lon, lat)


def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple:
    """Convert GCJ-02 coordinates to Baidu's BD-09.

    Points outside China (:func:`in_china`) are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        GCJ-02 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude in degrees.
    """
    return _only_in_china(_gcj02_to_bd09)(lon, lat)


def _gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple:
    x, y = _as_arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _BD_X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _BD_X_PI)
    return z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006


def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple:
    """Convert BD-09 coordinates to GCJ-02 (iterative, error < 1 mm).

    Points outside China (:func:`in_china`) are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        GCJ-02 longitude and latitude in degrees.
    """
    return _only_in_china(lambda x, y: _invert(_gcj02_to_bd09, x, y))(lon, lat)


def wgs84_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple:
    """Convert WGS-84 coordinates to BD-09 (through GCJ-02).

    Points outside China (:func:`in_china`) are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        WGS-84 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        BD-09 longitude and latitude in degrees.
    """
    return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))


def bd09_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple:
    """Convert BD-09 coordinates to WGS-84 (through GCJ-02).

    Points outside China (:func:`in_china`) are returned unchanged.

    Parameters
    ----------
    lon, lat : array_like
        BD-09 longitude and latitude in degrees.

    Returns
    -------
    tuple of numpy.ndarray
        WGS-84 longitude and latitude in degrees.
    """
    return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))


_DATUM_TO_WGS84 = {"gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
_WGS84_TO_DATUM = {"gcj02": wgs84_to_gcj02, "bd09": wgs84_to_bd09}


def _transform_frame(gdf: gpd.GeoDataFrame, func: _Transform) -> gpd.GeoDataFrame:
    import shapely

    out = gdf.copy()
    geoms = out.geometry.values
    coords = shapely.get_coordinates(geoms)
    lon, lat = func(coords[:, 0], coords[:, 1])
    out[out.geometry.name] = shapely.set_coordinates(
        np.asarray(geoms, dtype=object).copy(), np.column_stack([lon, lat])
    )
    return out


def _check_datum(datum: str) -> str:
    key = datum.lower().replace("-", "").replace("_", "")
    if key not in _DATUM_TO_WGS84:
        msg = f"datum must be 'gcj02' or 'bd09', got {datum!r}"
        raise CrsError(msg)
    return key


def to_wgs84_from(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Convert a frame whose lon/lat are GCJ-02 or BD-09 into true WGS-84.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame labelled EPSG:4326 (as Chinese web-map exports usually are)
        whose coordinates are really in ``datum``.
    datum : {'gcj02', 'bd09'}
        The datum the coordinates are in.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy in WGS-84 (EPSG:4326).
    """
    func = _DATUM_TO_WGS84[_check_datum(datum)]
    require_crs(gdf, "gdf")
    return _transform_frame(gdf.to_crs(STORAGE_CRS), func)


def from_wgs84_to(gdf: gpd.GeoDataFrame, datum: str) -> gpd.GeoDataFrame:
    """Shift a WGS-84 frame to GCJ-02 or BD-09, e.g. to overlay Gaode tiles.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame with any CRS; it is first reprojected to EPSG:4326.
    datum : {'gcj02', 'bd09'}
        Target datum.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy whose lon/lat are in ``datum`` (still labelled EPSG:4326,
        as web maps expect).
    """
    func = _WGS84_TO_DATUM[_check_datum(datum)]
    require_crs(gdf, "gdf")
    return _transform_frame(gdf.to_crs(STORAGE_CRS), func)


# --------------------------------------------------------------------------
# Guards
# --------------------------------------------------------------------------
def require_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> CRS:
    """Return the CRS of ``gdf`` or raise :class:`CrsError` if it has none.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        The frame to check.
    name : str
        Argument name used in the error message.

    Returns
    -------
    pyproj.CRS
        The frame's CRS.
    """
    if gdf.crs is None:
        msg = (
            f"{name} has no CRS. Set the CRS it was made in, e.g. "
            f"{name}.set_crs('EPSG:4326') for lon/lat or "
            f"{name}.set_crs('{ANALYSIS_CRS}') for CGCS2000 metres."
        )
        raise CrsError(msg)
    return CRS.from_user_input(gdf.crs)


def require_same_crs(**frames: gpd.GeoDataFrame) -> CRS:
    """Check that every frame has a CRS and that all CRSs are equal.

    Parameters
    ----------
    **frames : geopandas.GeoDataFrame
        Frames keyed by argument name (used in messages).

    Returns
    -------
    pyproj.CRS
        The common CRS.
    """
    crss = {name: require_crs(gdf, name) for name, gdf in frames.items()}
    first_name, first = next(iter(crss.items()))
    for name, crs in crss.items():
        if crs != first:
            msg = (
                f"{first_name} is in {first.to_string()} but {name} is in "
                f"{crs.to_string()}; reproject one with .to_crs() so both match."
            )
            raise CrsError(msg)
    return first


def require_projected(gdf: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> CRS:
    """Raise :class:`CrsError` unless ``gdf`` is in a projected (metric) CRS.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        The frame to check.
    name : str
        Argument name used in the error message.

    Returns
    -------
    pyproj.CRS
        The frame's CRS.
    """
    crs = require_crs(gdf, name)
    if not crs.is_projected:
        msg = (
            f"{name} is in the geographic CRS {crs.to_string()} (degrees); distances "
            f"need metres. Use {name}.to_crs('{ANALYSIS_CRS}') or tianhe_geo.crs.to_analysis()."
        )
        raise CrsError(msg)
    return crs


def to_analysis(gdf: gpd.GeoDataFrame, crs: str = ANALYSIS_CRS) -> gpd.GeoDataFrame:
    """Reproject a frame to the metric analysis CRS (a copy).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame with a CRS.
    crs : str, default EPSG:4547
        Projected CRS to use.

    Returns
    -------
    geopandas.GeoDataFrame
        The frame in ``crs``.
    """
    require_crs(gdf, "gdf")
    return gdf.to_crs(crs)


def gcj02_suspicion(
    gdf: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | gpd.GeoSeries, datum: str = "gcj02"
) -> dict[str, float]:
    """Score how much better ``gdf`` fits the boundary if read as GCJ-02.

    Each feature's representative point is tested against the district
    boundary as stored, and again after a GCJ-02 -> WGS-84 conversion. A
    layer digitised on AMap/Tencent tiles sits about 620 m east-south-east of
    where it belongs, so its points fall outside the boundary on the eastern
    and southern edges and back inside once converted. Polygon layers are
    compared by the share of their area inside the boundary.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer with a CRS (any).
    boundary : geopandas.GeoDataFrame or geopandas.GeoSeries
        District boundary with a CRS.
    datum : {'gcj02', 'bd09'}, default 'gcj02'
        The datum to try reading the layer in.

    Returns
    -------
    dict
        ``fit_as_is`` and ``fit_as_<datum>`` (shares in [0, 1]) and
        ``suspicious`` (1.0 when the layer fits clearly better in ``datum``).
    """
    import shapely

    ref = boundary.to_crs(STORAGE_CRS).union_all()
    wgs = gdf.to_crs(STORAGE_CRS)
    conv = _transform_frame(wgs, _DATUM_TO_WGS84[_check_datum(datum)])
    polys = wgs.geom_type.isin(["Polygon", "MultiPolygon"]).all() and len(wgs) > 0

    def fit(frame: gpd.GeoDataFrame) -> float:
        if len(frame) == 0:
            return 1.0
        geoms = frame.geometry.values
        if polys:
            inside = shapely.area(shapely.intersection(geoms, ref)).sum()
            return float(inside / shapely.area(geoms).sum())
        pts = shapely.point_on_surface(geoms)
        return float(shapely.contains(ref, pts).mean())

    a, b = fit(wgs), fit(conv)
    # A clear improvement, not noise: at least 2 points of share, the as-is fit
    # not already perfect, and (for points) at least 3 features moving inside,
    # since features of lines and stations may legitimately sit just outside.
    enough = polys or (b - a) * len(wgs) >= 3
    suspicious = float(b - a >= 0.02 and a < 0.995 and enough)
    return {"fit_as_is": a, f"fit_as_{datum}": b, "suspicious": suspicious}


#: Datums a layer labelled WGS-84 may really be in, with their conversion to WGS-84.
DATUM_READINGS: dict[str, _Transform] = {
    "wgs84": lambda lon, lat: _as_arrays(lon, lat),
    "gcj02": gcj02_to_wgs84,
    "bd09": bd09_to_wgs84,
}


def datum_fit(
    gdf: gpd.GeoDataFrame,
    reference: gpd.GeoSeries,
    tolerance_m: float = 40.0,
    crs: str = ANALYSIS_CRS,
    max_points: int = 2000,
) -> dict[str, float]:
    """Share of a layer's vertices on a known feature, reading the layer in each datum.

    The layer's coordinates are read as WGS-84 (as labelled), as GCJ-02 and as
    BD-09 (each converted to WGS-84), and for each reading the share of its
    vertices (at most ``max_points``, evenly picked) within ``tolerance_m`` of
    the nearest reference geometry is measured. A layer holding features of
    the reference (the same stations, lines, roads, parks or boundary) sits on
    them in the datum it was made in only: in Tianhe the other readings are
    some 600 m off, and only the chance neighbours of a dense reference
    (20-40 % of the vertices) stay within the tolerance.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer with a CRS (any; read through EPSG:4326).
    reference : geopandas.GeoSeries
        Known WGS-84 geometries with a CRS: points, lines, and polygon
        outlines (use boundaries: a point inside a polygon is 0 m from it).
    tolerance_m : float, default 40
        Distance within which a vertex counts as on a reference feature,
        metres (digitising differences between sources).
    crs : str, default EPSG:4547
        Projected CRS to measure in.
    max_points : int, default 2000
        Most vertices measured.

    Returns
    -------
    dict
        ``wgs84``, ``gcj02``, ``bd09`` -> share in [0, 1] (0 without vertices).
    """
    import shapely
    from pyproj import Transformer

    coords = shapely.get_coordinates(gdf.to_crs(STORAGE_CRS).geometry.values)
    if len(coords) == 0 or len(reference) == 0:
        return dict.fromkeys(DATUM_READINGS, 0.0)
    pick = np.unique(np.linspace(0, len(coords) - 1, min(len(coords), max_points)).astype(int))
    lon, lat = coords[pick, 0], coords[pick, 1]
    tree = shapely.STRtree(np.asarray(reference.to_crs(crs).values))
    to_metres = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    out = {}
    for datum, convert in DATUM_READINGS.items():
        x, y = to_metres.transform(*convert(lon, lat))
        # One distance per vertex (ties would otherwise list the vertex twice).
        _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
        out[datum] = float(np.mean(dist <= tolerance_m))
    return out


#: Sign-test verdict of :func:`datum_sign_test`: one-sided p-value below this and
#: at least this many times as many points gained as lost. Chosen on the shipped
#: layers left out of the reference one at a time (their GCJ-02 / BD-09 copies
#: against the rest) and on random WGS-84 points in the district: points along a
#: line are not independent, so the p-value ranks evidence, it is no error rate.
SIGN_TEST_P = 1e-9
SIGN_TEST_RATIO = 1.4


def datum_sign_test(
    gdf: gpd.GeoDataFrame,
    reference: gpd.GeoSeries,
    tolerance_m: float = 60.0,
    spacing_deg: float = 0.0002,
    crs: str = ANALYSIS_CRS,
    max_points: int = 2000,
) -> dict[str, tuple[int, int, float]]:
    """Whether a layer sits on known features more often in another datum, point by point.

    Unlike :func:`datum_fit`, which needs most of the layer on the reference
    (a copy of known features), this asks only for a consistent lean: points
    along the layer (its lines and outlines every ``spacing_deg``, about
    20 m) that come within ``tolerance_m`` of a reference feature once read
    in a datum but not as stored ("gained") against the reverse ("lost"). A
    layer made on a Chinese web map gains far more than it loses in its own
    datum even when it shares no feature with the reference, only roads,
    lines or outlines that run with it; a WGS-84 layer, or points that do not
    follow the reference, gains and loses about equally.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Layer with a CRS (any; read through EPSG:4326).
    reference : geopandas.GeoSeries
        Known WGS-84 geometries (points, lines, polygon outlines) with a CRS.
    tolerance_m : float, default 60
        Distance within which a point counts as on a reference feature, metres.
    spacing_deg : float, default 0.0002
        Largest gap between points taken along lines and outlines, degrees.
    crs : str, default EPSG:4547
        Projected CRS to measure in.
    max_points : int, default 2000
        Most points measured (evenly picked).

    Returns
    -------
    dict
        ``gcj02``, ``bd09`` -> (gained, lost, one-sided sign-test p-value).
    """
    import shapely
    from pyproj import Transformer
    from scipy.special import bdtrc

    geoms = shapely.segmentize(gdf.to_crs(STORAGE_CRS).geometry.values, spacing_deg)
    coords = shapely.get_coordinates(geoms)
    if len(coords) == 0 or len(reference) == 0:
        return {d: (0, 0, 1.0) for d in ("gcj02", "bd09")}
    pick = np.unique(np.linspace(0, len(coords) - 1, min(len(coords), max_points)).astype(int))
    lon, lat = coords[pick, 0], coords[pick, 1]
    tree = shapely.STRtree(np.asarray(reference.to_crs(crs).values))
    to_metres = Transformer.from_crs(STORAGE_CRS, crs, always_xy=True)
    near = {}
    for datum, convert in DATUM_READINGS.items():
        x, y = to_metres.transform(*convert(lon, lat))
        _, dist = tree.query_nearest(shapely.points(x, y), return_distance=True, all_matches=False)
        near[datum] = dist <= tolerance_m
    out = {}
    for datum in ("gcj02", "bd09"):
        gained = int((near[datum] & ~near["wgs84"]).sum())
        lost = int((near["wgs84"] & ~near[datum]).sum())
        # P(at least `gained` of gained + lost fair coin tosses): the binomial upper tail.
        p = float(bdtrc(gained - 1, gained + lost, 0.5)) if gained else 1.0
        out[datum] = (gained, lost, p)
    return out


def sign_test_suspicion(test: dict[str, tuple[int, int, float]]) -> str | None:
    """The datum a layer leans to, from :func:`datum_sign_test`; None without a clear lean.

    Parameters
    ----------
    test : dict
        As :func:`datum_sign_test` returns.

    Returns
    -------
    str or None
        ``"gcj02"`` or ``"bd09"`` (the smaller p-value), or None.
    """
    best = min(test, key=lambda d: test[d][2])
    gained, lost, p = test[best]
    return best if p < SIGN_TEST_P and gained >= SIGN_TEST_RATIO * max(lost, 1) else None


def datum_suspicion(fit: dict[str, float], margin: float = 0.3) -> str | None:
    """The datum a layer looks made in, from :func:`datum_fit`; None when WGS-84 fits.

    Parameters
    ----------
    fit : dict
        Share of vertices on known features per reading, as :func:`datum_fit` returns.
    margin : float, default 0.3
        A reading must put at least this much larger a share of the vertices
        on known features than the coordinates as stored, and at least half
        of them, to be called the layer's datum.

    Returns
    -------
    str or None
        ``"gcj02"`` or ``"bd09"``, or None.
    """
    best = max(("gcj02", "bd09"), key=lambda d: fit[d])
    return best if fit[best] >= 0.5 and fit[best] - fit["wgs84"] >= margin else None


def measure_crs(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> str:
    """The metric CRS to measure a study area in: EPSG:4547 where it is valid, else UTM.

    EPSG:4547 is a Gauss-Kruger zone 3 degrees wide (lon 112.5-115.5 E); far
    outside it the projection distorts lengths beyond use, so data of another
    study area (an imported extract) is measured in its own UTM zone.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame or geopandas.GeoSeries
        Frame with a CRS.

    Returns
    -------
    str
        ``"EPSG:4547"`` when the frame's lon/lat bounds lie in its area of
        use, else the EPSG code of the UTM zone of the frame's centre.
    """
    require_crs(gdf, "gdf")
    x0, y0, x1, y1 = gdf.to_crs(STORAGE_CRS).total_bounds
    area = CRS(ANALYSIS_CRS).area_of_use
    if area is None or (
        area.west <= x0 and x1 <= area.east and area.south <= y0 and y1 <= area.north
    ):
        return ANALYSIS_CRS
    utm = gdf.to_crs(STORAGE_CRS).estimate_utm_crs()
    return utm.to_string()
