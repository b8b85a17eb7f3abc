"""How distance is measured: a value every result carries, and the strategies that produce it.

Three ways to measure, each a small frozen object passed as ``distance=`` to
:func:`~tianhe_geo.analysis.coverage.coverage`,
:func:`~tianhe_geo.analysis.access.capacity_per_resident` and the siting models:

* :class:`StraightLine` (``detour_factor`` x the straight line);
* :class:`OnNetwork` (walking distance along a street network, points snapped
  within ``max_snap_m``);
* :class:`CostTable` (a long ``origin_id, destination_id, cost_m`` table made
  elsewhere, with the :class:`DistanceMethod` its producer states).

Every result says how it was measured with a :class:`DistanceMethod`, so a report
switches on :attr:`DistanceMethod.kind` and never parses text.
:func:`cost_table` is the one producer of long tables for any strategy.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from ..data.schemas import validate_cost_table
from ..foundation.errors import AnalysisInputError
from ._inputs import check_detour, check_thresholds
from .euclidean import euclidean_table
from .network import ACCESS_SPACING_M, WalkNetwork, network_table

DistanceKind = Literal["straight_line", "network", "table"]
#: The kinds of :class:`DistanceMethod`: straight line (x a detour factor), along a
#: street network, or a cost table whose making tianhe-geo does not know.
KINDS: tuple[DistanceKind, ...] = ("straight_line", "network", "table")


@dataclass(frozen=True)
class DistanceMethod:
    """How the distances behind a result were measured.

    Attributes
    ----------
    kind : {'straight_line', 'network', 'table'}
        Straight line (times ``detour_factor``), walking distance along a
        street network, or a cost table supplied by the caller.
    detour_factor : float
        Multiplier on straight-line metres (1.0 unless ``kind`` is
        ``straight_line``).
    max_snap_m : float or None
        Farthest a point may be from the street network, metres (network only).
    per_facility_radius : bool
        Each facility counted within its own service radius (e.g. by park
        tier) rather than one threshold for all.
    access_spacing_m : float or None
        How polygon facilities (parks) were reached (network only): at access
        points at most this many metres apart along their edge, at the
        mapped entrances on it and where walkable ways cross it (residents
        inside at 0 m). By straight line (None) a polygon is measured
        to its nearest edge exactly; points are points either way.
    """

    kind: DistanceKind
    detour_factor: float = 1.0
    max_snap_m: float | None = None
    per_facility_radius: bool = False
    access_spacing_m: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            msg = f"distance kind must be one of {KINDS}, got {self.kind!r}"
            raise AnalysisInputError(msg)
        check_detour(self.detour_factor)
        if self.kind != "straight_line" and self.detour_factor != 1.0:
            msg = f"a detour factor applies to straight lines only, not to kind {self.kind!r}"
            raise AnalysisInputError(msg)

    @property
    def polygons(self) -> str:
        """How polygon facilities were reached: ``edge``, ``access_points`` or ``table``.

        ``edge``: by straight line, to the nearest point of the polygon (0
        inside it). ``access_points``: along the network from the nearest of
        the access points every :attr:`access_spacing_m` on the edge, the
        mapped entrances and the ways crossing the edge (0 inside).
        ``table``: as the cost table's maker measured.
        """
        if self.kind == "straight_line":
            return "edge"
        return "access_points" if self.kind == "network" else "table"


@dataclass(frozen=True)
class StraightLine:
    """Straight-line distance times a detour factor.

    Attributes
    ----------
    detour_factor : float, default 1.0
        Multiplier (>= 1) approximating walking distance; 1.2-1.4 is typical
        of city street grids.
    """

    detour_factor: float = 1.0

    def __post_init__(self) -> None:
        check_detour(self.detour_factor)

    @property
    def method(self) -> DistanceMethod:
        """The :class:`DistanceMethod` of results measured this way."""
        return DistanceMethod("straight_line", detour_factor=self.detour_factor)


@dataclass(frozen=True, eq=False)
class OnNetwork:
    """Walking distance along a street network.

    Distance = the resident's snap distance + the shortest path + the
    facility's snap distance. Points farther than ``max_snap_m`` from the
    network's main component are reported as unknown, never covered or not.
    A polygon facility (a park) is reached at its edge: from the nearest of
    its access points, every ``access_spacing_m`` along its boundary plus the
    network's entrances on it and the points where its edges cross it
    (:func:`~tianhe_geo.analysis.network.facility_sources`); residents
    inside a polygon are at 0 m from it.

    Attributes
    ----------
    network : WalkNetwork
        The network (same projected CRS as the residents).
    max_snap_m : float, default 200
        Farthest a point may be from the network, metres.
    access_spacing_m : float, default 25
        Largest gap between access points along a polygon's edge, metres.
    """

    network: WalkNetwork
    max_snap_m: float = 200.0
    access_spacing_m: float = ACCESS_SPACING_M

    def __post_init__(self) -> None:
        if not (np.isfinite(self.max_snap_m) and self.max_snap_m >= 0):
            msg = f"max_snap_m must be a distance >= 0 metres, got {self.max_snap_m!r}"
            raise AnalysisInputError(msg)
        if not (np.isfinite(self.access_spacing_m) and self.access_spacing_m > 0):
            msg = f"access_spacing_m must be a distance > 0 metres, got {self.access_spacing_m!r}"
            raise AnalysisInputError(msg)

    @property
    def method(self) -> DistanceMethod:
        """The :class:`DistanceMethod` of results measured this way."""
        return DistanceMethod(
            "network", max_snap_m=self.max_snap_m, access_spacing_m=self.access_spacing_m
        )


@dataclass(frozen=True, eq=False)
class CostTable:
    """A long cost table with the method that made it.

    Attributes
    ----------
    pairs : pandas.DataFrame
        ``origin_id`` (residents' index labels), ``destination_id``
        (facilities' labels), ``cost_m`` (metres, >= 0).
    method : DistanceMethod
        How the costs were measured; ``kind='table'`` when not known.
    valid : pandas.Series, optional
        Bool per resident: False where the distance is unknown (not snapped
        to a network); such residents are neither covered nor uncovered.
    """

    pairs: pd.DataFrame
    method: DistanceMethod = field(default_factory=lambda: DistanceMethod("table"))
    valid: pd.Series | None = None

    def __post_init__(self) -> None:
        validate_cost_table(self.pairs)

    def within(self, max_distance: float) -> CostTable:
        """The pairs no farther than ``max_distance`` metres (a new table)."""
        keep = self.pairs["cost_m"].to_numpy(dtype=float) <= max_distance
        return replace(self, pairs=self.pairs[keep])


#: A way to measure distance (see the module docstring).
Distance = StraightLine | OnNetwork | CostTable


def cost_table(
    residents: gpd.GeoDataFrame,
    facilities: gpd.GeoDataFrame,
    max_distance: float,
    distance: Distance | None = None,
) -> CostTable:
    """Every resident-facility pair within ``max_distance`` metres, measured as asked.

    Parameters
    ----------
    residents : geopandas.GeoDataFrame
        Points or cells (centroids used) in a projected CRS.
    facilities : geopandas.GeoDataFrame
        Points, or polygons (by straight line measured to the edge; on a network
        reached at access points along the edge), same CRS.
    max_distance : float
        Cut-off in metres (inclusive).
    distance : StraightLine, OnNetwork or CostTable, optional
        How to measure; straight line when omitted. A given table is cut at
        ``max_distance``.

    Returns
    -------
    CostTable
        The pairs, sorted by origin then cost, with their method.
    """
    (limit,) = check_thresholds(max_distance)
    distance = StraightLine() if distance is None else distance
    if isinstance(distance, StraightLine):
        pairs = euclidean_table(residents, facilities, limit, distance.detour_factor)
        return CostTable(pairs, distance.method)
    if isinstance(distance, OnNetwork):
        pairs, snapped = network_table(
            residents,
            facilities,
            distance.network,
            limit,
            distance.max_snap_m,
            distance.access_spacing_m,
        )
        return CostTable(pairs, distance.method, snapped)
    if isinstance(distance, CostTable):
        return distance.within(limit)
    msg = f"distance must be StraightLine, OnNetwork or CostTable, got {type(distance).__name__}"
    raise AnalysisInputError(msg)


def within_service_radius(table: CostTable, radius_m: pd.Series) -> CostTable:
    """Keep the pairs within each facility's own service radius.

    Parameters
    ----------
    table : CostTable
        Pairs cut at least at the largest radius.
    radius_m : pandas.Series
        Service radius in metres per facility (index = ``destination_id``).

    Returns
    -------
    CostTable
        The kept pairs; its method says ``per_facility_radius``.
    """
    pairs = table.pairs
    limit = radius_m.reindex(pairs["destination_id"]).to_numpy(dtype=float)
    kept = pairs[pairs["cost_m"].to_numpy(dtype=float) <= limit]
    method = replace(table.method, per_facility_radius=True)
    return replace(table, pairs=kept, method=method)
