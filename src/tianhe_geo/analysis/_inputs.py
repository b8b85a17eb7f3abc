"""Checking and reading the inputs of a distance query: thresholds, population, coordinates.

Shared by every distance producer and consumer of :mod:`tianhe_geo.analysis`,
so each input is checked the same way, once, and a resident's coordinates are
read out of shapely once per query.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..foundation.crs import require_projected, require_same_crs
from ..foundation.errors import AnalysisInputError, CrsError


def check_thresholds(thresholds: float | Sequence[float]) -> tuple[float, ...]:
    """Return thresholds as a sorted tuple of metres, or raise a clear error.

    Parameters
    ----------
    thresholds : float or sequence of float
        Distances in metres; each finite and >= 0.

    Returns
    -------
    tuple of float
        Sorted, de-duplicated thresholds.
    """
    try:
        values = np.atleast_1d(np.asarray(thresholds, dtype=float))
    except (TypeError, ValueError) as exc:
        msg = f"thresholds must be distances in metres (numbers), got {thresholds!r}"
        raise AnalysisInputError(msg) from exc
    if values.size == 0:
        msg = "thresholds: give at least one distance in metres, e.g. [300, 500]"
        raise AnalysisInputError(msg)
    if not np.isfinite(values).all() or (values < 0).any():
        msg = f"thresholds must be finite distances >= 0 metres, got {values.tolist()!r}"
        raise AnalysisInputError(msg)
    return tuple(sorted(set(values.tolist())))


def geoms_of(gdf: gpd.GeoDataFrame) -> np.ndarray:
    # The plain object array: shapely ufuncs on a GeometryArray go through pandas'
    # extension-array dispatch, which copies a million geometries each time.
    return np.asarray(gdf.geometry.values)


@dataclass(frozen=True)
class Origins:
    """The residents as query points: geometries, coordinates, and whether they were points.

    ``given`` is None for residents given as coordinates: their points are
    made only if a kernel needs geometries (polygon facilities by straight
    line, uncovered areas), never for point facilities.
    """

    given: np.ndarray | None
    xy: np.ndarray
    points: bool

    @cached_property
    def geoms(self) -> np.ndarray:
        """The query geometries (points made from ``xy`` on first use when none were given)."""
        return shapely.points(self.xy) if self.given is None else self.given


def origins_of(residents: gpd.GeoDataFrame) -> Origins:
    """Representative points (cells count from their centroid), checked for emptiness.

    Points are read fast when every row is a non-empty point (a finite x and
    y per row); cells, empty or missing rows and multipoints take the general
    path.
    """
    geoms = geoms_of(residents)
    xy = _point_xy(geoms)
    if xy is not None:
        return Origins(geoms, xy, True)
    # One coordinate per row also means points (a one-point MultiPoint counts as its point).
    xy, row = shapely.get_coordinates(geoms, return_index=True)
    check_coordinates("residents", residents, xy, row)
    if len(xy) == len(geoms) and np.array_equal(row, np.arange(len(geoms))):
        return Origins(geoms, xy, True)
    centroids = shapely.centroid(geoms)
    return Origins(centroids, shapely.get_coordinates(centroids), False)


#: Above this many rows the x and y of points are read on two threads.
_THREADED_ROWS = 100_000


def _point_xy(geoms: np.ndarray) -> np.ndarray | None:
    """x, y of every row when every row is a non-empty point, else None."""
    readers = (shapely.get_x, shapely.get_y)
    try:
        if len(geoms) < _THREADED_ROWS:
            x, y = (read(geoms) for read in readers)
        else:
            # shapely releases the GIL here: a million points read in a third of the time.
            with ThreadPoolExecutor(2) as pool:
                x, y = pool.map(lambda read: read(geoms), readers)
    except shapely.errors.GEOSException:  # an empty point
        return None
    xy = np.column_stack([x, y])
    return xy if np.isfinite(xy).all() else None


def is_points(geoms: np.ndarray) -> bool:
    return bool(len(geoms)) and bool((shapely.get_type_id(geoms) == 0).all())


def check_detour(detour_factor: float) -> None:
    if not np.isfinite(detour_factor) or detour_factor < 1.0:
        msg = f"detour_factor must be a number >= 1, got {detour_factor!r}"
        raise AnalysisInputError(msg)


def prepare_straight(
    residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame, detour_factor: float
) -> Origins:
    """Validate a straight-line query once; return the residents as query points."""
    check_crs_pair(residents, facilities)
    check_detour(detour_factor)
    check_not_empty("facilities", facilities)
    return origins_of(residents)


def check_pair(residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    check_crs_pair(residents, facilities)
    check_not_empty("residents", residents)
    check_not_empty("facilities", facilities)


def check_crs_pair(residents: gpd.GeoDataFrame, facilities: gpd.GeoDataFrame) -> None:
    require_same_crs(residents=residents, facilities=facilities)
    require_projected(residents, "residents")


def check_not_empty(name: str, gdf: gpd.GeoDataFrame) -> None:
    xy, row = shapely.get_coordinates(geoms_of(gdf), return_index=True)
    check_coordinates(name, gdf, xy, row)


def check_coordinates(name: str, gdf: gpd.GeoDataFrame, xy: np.ndarray, row: np.ndarray) -> None:
    """Every row has coordinates (missing or empty geometry has none), all finite."""
    bad = np.bincount(row, minlength=len(gdf)) == 0
    if bad.any():
        msg = f"{name}: rows {list(gdf.index[bad])[:10]} have missing or empty geometry"
        raise AnalysisInputError(msg)
    bad = np.unique(row[nonfinite_rows(xy)])
    if len(bad):
        msg = f"{name}: rows {list(gdf.index[bad])[:10]} have NaN or infinite coordinates"
        raise AnalysisInputError(msg)


def nonfinite_rows(xy: np.ndarray) -> np.ndarray:
    """Rows of an (n, k) coordinate array holding a NaN or an infinity.

    Parameters
    ----------
    xy : numpy.ndarray
        Coordinates, one row per point.

    Returns
    -------
    numpy.ndarray
        Row positions (empty when all are finite).
    """
    # One pass over the flat array first: the usual answer is "none", and a
    # per-row reduction (all(axis=1)) costs ~20 ms for a million points.
    if np.isfinite(xy).all():
        return np.empty(0, dtype=np.intp)
    return np.flatnonzero(~np.isfinite(xy).all(axis=1))


def population_of(residents: gpd.GeoDataFrame, column: str) -> pd.Series:
    """The persons per resident row, checked: present, numeric, >= 0, no NaN.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Residents.
    column : str
        Population column.

    Returns
    -------
    pandas.Series
        Persons per row (float or int as stored).

    Raises
    ------
    AnalysisInputError
        Naming the missing column or the bad rows.
    """
    if column not in residents.columns:
        msg = f"residents: no population column {column!r}; columns are {list(residents.columns)}"
        raise AnalysisInputError(msg)
    pop = pd.to_numeric(residents[column], errors="coerce")
    bad = pop.isna() | (pop < 0)
    if bad.any():
        msg = (
            f"residents: column {column!r} must hold persons >= 0; rows "
            f"{list(residents.index[bad])[:10]} are NaN or negative"
        )
        raise AnalysisInputError(msg)
    return pop


def is_coordinates(points: object) -> bool:
    """True for points given as coordinates: an (n, 2) array or a plain frame with x, y."""
    return not isinstance(points, gpd.GeoDataFrame) and (
        isinstance(points, pd.DataFrame | np.ndarray)
    )


@dataclass(frozen=True)
class Coordinates:
    """Points given as coordinates, read and checked: what the kernels take, no shapely objects.

    ``frame`` carries the index (and a frame's other columns, e.g. a group)
    without copying them; ``xy`` is (n, 2) float metres in ``crs``.
    """

    frame: pd.DataFrame
    xy: np.ndarray
    crs: CRS

    @property
    def index(self) -> pd.Index:
        """The points' ids (the frame's index; 0..n-1 for an array)."""
        return self.frame.index

    def __len__(self) -> int:
        return len(self.xy)

    def head(self, n: int) -> Coordinates:
        """The first ``n`` points (as ``DataFrame.head``)."""
        return Coordinates(self.frame.iloc[:n], self.xy[:n], self.crs)


#: A facility layer as the kernels take it: a frame of points or polygons, or
#: points given as coordinates (kept as coordinates: no shapely object per point).
Layer: TypeAlias = gpd.GeoDataFrame | Coordinates


def point_coordinates(facilities: Layer) -> np.ndarray | None:
    """x, y of every facility when all are points, else None (polygons, lines, a mix).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame or Coordinates
        A non-empty layer.

    Returns
    -------
    numpy.ndarray or None
        (m, 2) metres; coordinates as given, without making points.
    """
    if isinstance(facilities, Coordinates):
        return facilities.xy
    geoms = geoms_of(facilities)
    return shapely.get_coordinates(geoms) if is_points(geoms) else None


def coordinates_crs(name: str, crs: object) -> CRS:
    """The projected CRS given with points as coordinates, checked.

    Parameters
    ----------
    name : str
        "residents" or "facilities" (used in messages).
    crs : str, int or pyproj.CRS
        What the caller gave (required: coordinates carry none).

    Returns
    -------
    pyproj.CRS
        The CRS.

    Raises
    ------
    AnalysisInputError
        No CRS given.
    CrsError
        A geographic CRS.
    """
    if crs is None:
        msg = f"{name} given as coordinates need crs= (e.g. crs='EPSG:4547'): an array has none"
        raise AnalysisInputError(msg)
    proj = CRS.from_user_input(crs)
    if not proj.is_projected:
        msg = f"{name}: crs={proj.to_string()} is geographic (degrees); distances need metres"
        raise CrsError(msg)
    return proj


def read_coordinates(name: str, points: pd.DataFrame | np.ndarray, crs: object) -> Coordinates:
    """Check and read points given as an (n, 2) array or a frame with ``x`` and ``y`` columns.

    Parameters
    ----------
    name : str
        "residents" or "facilities" (used in messages).
    points : numpy.ndarray or pandas.DataFrame
        (n, 2) x, y in metres, or a frame with ``x`` and ``y`` columns.
    crs : str, int or pyproj.CRS
        The projected CRS the coordinates are in (required: an array has none).

    Returns
    -------
    Coordinates
        Index, coordinates and CRS.

    Raises
    ------
    AnalysisInputError
        Missing CRS or columns, a wrong shape, NaN or infinite coordinates.
    CrsError
        A geographic CRS.
    """
    proj = coordinates_crs(name, crs)
    if isinstance(points, pd.DataFrame):
        missing = [c for c in ("x", "y") if c not in points.columns]
        if missing:
            msg = f"{name}: a frame of coordinates needs columns x and y; it has {list(points)}"
            raise AnalysisInputError(msg)
        frame = points
        xy = np.column_stack([points["x"].to_numpy(float), points["y"].to_numpy(float)])
    else:
        xy = np.asarray(points, dtype=float)
        if xy.ndim != 2 or xy.shape[1] != 2:
            msg = f"{name}: coordinates must be an (n, 2) array of x, y; got shape {xy.shape}"
            raise AnalysisInputError(msg)
        frame = pd.DataFrame(index=pd.RangeIndex(len(xy)))
    bad = nonfinite_rows(xy)
    if len(bad):
        msg = f"{name}: rows {list(frame.index[bad])[:10]} have NaN or infinite coordinates"
        raise AnalysisInputError(msg)
    return Coordinates(frame, xy, proj)


def coordinate_population(
    coords: Coordinates, population: str | Sequence[float] | np.ndarray
) -> pd.Series:
    """Persons per row of residents given as coordinates: a column name or an array.

    Parameters
    ----------
    coords : Coordinates
        The residents.
    population : str or array_like
        A column of the residents' frame, or persons per row (length n).

    Returns
    -------
    pandas.Series
        Persons per row, checked (>= 0, no NaN), on the residents' index.
    """
    if isinstance(population, str):
        return population_of(coords.frame, population)
    values = np.asarray(population)
    if values.shape != (len(coords.xy),):
        msg = (
            f"residents: population must give persons for each of the {len(coords.xy)} "
            f"rows; got shape {values.shape}"
        )
        raise AnalysisInputError(msg)
    frame = pd.DataFrame({"population": values}, index=coords.frame.index)
    return population_of(frame, "population")


def read_facilities(facilities: object, crs: CRS) -> Layer:
    """A facility layer as given, or its coordinates read and checked (no points made).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame, pandas.DataFrame or numpy.ndarray
        A GeoDataFrame (or coordinates already read) is returned as given;
        coordinates (an (m, 2) array or a frame with x, y columns) are read in ``crs``.
    crs : pyproj.CRS
        The residents' CRS.

    Returns
    -------
    geopandas.GeoDataFrame or Coordinates
        The layer.

    Raises
    ------
    AnalysisInputError
        Any other type, or bad coordinates (:func:`read_coordinates`).
    """
    if isinstance(facilities, gpd.GeoDataFrame | Coordinates):
        return facilities
    if not isinstance(facilities, pd.DataFrame | np.ndarray):
        msg = (
            "facilities must be a GeoDataFrame, or points as an (m, 2) array or a frame with "
            f"x, y columns; got {type(facilities).__name__}"
        )
        raise AnalysisInputError(msg)
    return read_coordinates("facilities", facilities, crs)
