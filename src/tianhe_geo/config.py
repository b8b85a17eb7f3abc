"""Settings and planning-standard presets, in one place.

Everything here is frozen; change a setting with :func:`dataclasses.replace`
(``replace(DEFAULT_CONFIG, detour_factor=1.3)``) so a misspelt name is an
error rather than a silent new attribute.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from ._errors import AnalysisInputError
from .crs import ANALYSIS_CRS


@dataclass(frozen=True)
class Standard:
    """A named coverage rule: which facilities, how far, what share.

    Attributes
    ----------
    key : str
        Short identifier used on the command line.
    name_zh, name_en : str
        Names in Chinese and English.
    layer : str
        Layer holding the facilities (``parks``, ``facilities``, ``transit``).
    column : str
        Column to filter on (``tier``, ``category``, ``kind``).
    values : tuple of str
        Values of ``column`` that count.
    radius_m : float
        Walking distance in metres; with ``radius_by``, the largest of the
        radii (the summary's columns are named after it).
    target_share : float or None
        Share of residents (0-1) the rule asks for, when it sets one.
    source : str
        Where the rule comes from and how sure it is.
    radius_by : tuple of (str, float)
        Service radius in metres per value of ``column`` (e.g. per park
        tier); a resident is covered when within the radius of at least one
        facility. Empty: every facility has ``radius_m``.
    """

    key: str
    name_zh: str
    name_en: str
    layer: str
    column: str
    values: tuple[str, ...]
    radius_m: float
    target_share: float | None
    source: str
    radius_by: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        radii = [self.radius_m, *(r for _, r in self.radius_by)]
        if not all(isinstance(r, int | float) and 0 < r < float("inf") for r in radii):
            msg = f"standard {self.key!r}: radii must be positive metres, got {radii}"
            raise AnalysisInputError(msg)
        unknown = sorted({v for v, _ in self.radius_by} - set(self.values))
        if unknown:
            msg = f"standard {self.key!r}: radius_by names {unknown}, not in {self.values}"
            raise AnalysisInputError(msg)
        if self.radius_by and self.radius_m != max(r for _, r in self.radius_by):
            msg = f"standard {self.key!r}: radius_m must be the largest of radius_by"
            raise AnalysisInputError(msg)

    def radii(self, values: pd.Series) -> np.ndarray:
        """Service radius in metres of each facility, from its ``column`` values."""
        by = pd.Series(dict(self.radius_by), dtype=float)
        return pd.Series(values).map(by).fillna(self.radius_m).to_numpy(dtype=float)

    def with_radius(self, radius: float | Mapping[str, float]) -> Standard:
        """The same rule with another radius, or other radii per value.

        Parameters
        ----------
        radius : float or mapping
            Metres for every facility, or per value of ``column`` (merged
            with the preset's; values not named keep theirs).

        Returns
        -------
        Standard
            A new, checked standard.
        """
        if isinstance(radius, Mapping):
            by = {**dict(self.radius_by), **{k: float(v) for k, v in radius.items()}}
            by.update({v: by.get(v, self.radius_m) for v in self.values if v not in by})
            pairs = tuple(by.items())
            return replace(self, radius_by=pairs, radius_m=max(r for _, r in pairs))
        return replace(self, radius_m=float(radius), radius_by=())


STANDARDS: MappingProxyType[str, Standard] = MappingProxyType(
    {
        s.key: s
        for s in (
            Standard(
                "gbt51346-park-500",
                "公园绿地500米服务半径覆盖(GB/T 51346-2019 4.3.4)",
                "Park within 500 m (GB/T 51346-2019 4.3.4)",
                "parks",
                "tier",
                ("ecological", "city", "community", "pocket"),
                500.0,
                0.90,
                "GB/T 51346-2019 城市绿地规划标准 4.3.4: >90% citywide, 80% in old areas "
                "(the 2019 draft excludes 游园; pocket parks are counted here, adjust values)",
            ),
            Standard(
                "gb55014-park",
                "公园绿地服务半径覆盖率(GB 55014-2021)",
                "Park service-radius coverage (GB 55014-2021 2.1.3)",
                "parks",
                "tier",
                ("ecological", "city", "community", "pocket"),
                500.0,
                0.80,
                "GB 55014-2021 园林绿化工程项目规范 2.1.3: coverage > 80%; 500 m radius as in "
                "GB/T 51346 (the code itself does not restate the radius)",
            ),
            Standard(
                "green-300",
                "300米见绿",
                "Green space within 300 m",
                "parks",
                "tier",
                ("ecological", "city", "community", "pocket"),
                300.0,
                None,
                "300米见绿、500米见园 (named rule, CAUPD park evaluation report 2021)",
            ),
            Standard(
                "park-500",
                "500米见园",
                "Park (community or larger) within 500 m",
                "parks",
                "tier",
                ("ecological", "city", "community"),
                500.0,
                None,
                "300米见绿、500米见园 (named rule, CAUPD park evaluation report 2021)",
            ),
            Standard(
                "life5-kindergarten",
                "5分钟生活圈: 幼儿园 300米",
                "5-minute life circle: kindergarten within 300 m",
                "facilities",
                "category",
                ("kindergarten",),
                300.0,
                None,
                "GB 50180-2018 5-min circle ~300 m; kindergarten radius 300 m is the "
                "GB 50180-93 value",
            ),
            Standard(
                "life5-elderly",
                "5分钟生活圈: 养老服务 300米",
                "5-minute life circle: elderly care within 300 m",
                "facilities",
                "category",
                ("elderly_care",),
                300.0,
                None,
                "GB 50180-2018 5-min circle (day care, 300 m: NOT CONFIRMED in the 2018 text)",
            ),
            Standard(
                "life10-primary",
                "10分钟生活圈: 小学 500米",
                "10-minute life circle: primary school within 500 m",
                "facilities",
                "category",
                ("primary_school",),
                500.0,
                None,
                "GB 50180-2018 10-min circle ~500 m; primary school 500 m is the GB 50180-93 value",
            ),
            Standard(
                "life15-middle",
                "15分钟生活圈: 中学 1000米",
                "15-minute life circle: middle school within 1,000 m",
                "facilities",
                "category",
                ("middle_school",),
                1000.0,
                None,
                "GB 50180-2018 15-min circle 800-1000 m; middle school 1000 m is the "
                "GB 50180-93 value",
            ),
            Standard(
                "life15-health",
                "15分钟生活圈: 社区卫生服务中心 1000米",
                "15-minute life circle: community health centre within 1,000 m",
                "facilities",
                "category",
                ("community_health", "hospital"),
                1000.0,
                None,
                "GB 50180-2018 15-min circle (health-centre radius 1000 m: NOT CONFIRMED)",
            ),
            Standard(
                "sdg-11.2.1-rail",
                "SDG 11.2.1 轨道站点1000米",
                "SDG 11.2.1: rail station within 1,000 m",
                "transit",
                "kind",
                ("station", "rail_station"),
                1000.0,
                None,
                "UN-Habitat SDG 11.2.1 metadata (2021): 1 km to high-capacity transit; "
                "bus stops (500 m) are not in the shipped data",
            ),
            Standard(
                "park-tiered",
                "公园绿地分级服务半径覆盖",
                "Park service areas by tier",
                "parks",
                "tier",
                ("ecological", "city", "community", "pocket"),
                2000.0,
                None,
                "Service radius by park tier: 游园/口袋公园 300 m and 社区公园 500 m "
                "(300米见绿、500米见园); 城市公园 1,000 m and 生态公园 2,000 m are ASSUMED from "
                "common planning practice, not confirmed in a standard's text: override with "
                "AnalysisConfig(radii={'park-tiered': {'city': ...}})",
                (("pocket", 300.0), ("community", 500.0), ("city", 1000.0), ("ecological", 2000.0)),
            ),
            Standard(
                "sdg-11.7.1",
                "SDG 11.7.1 公共空间400米",
                "SDG 11.7.1: open public space within 400 m",
                "parks",
                "tier",
                ("ecological", "city", "community", "pocket"),
                400.0,
                None,
                "UN-Habitat SDG 11.7.1: population within 400 m of open public space",
            ),
        )
    }
)


def check_standards(keys: Sequence[str]) -> tuple[str, ...]:
    """Return the keys if each names a standard, else raise naming the unknown ones.

    Parameters
    ----------
    keys : sequence of str
        Keys of :data:`STANDARDS`.

    Returns
    -------
    tuple of str
        The same keys.

    Raises
    ------
    AnalysisInputError
        Listing the unknown keys and the known ones.
    """
    unknown = [k for k in keys if k not in STANDARDS]
    if unknown:
        msg = f"unknown standards {unknown}; known: {sorted(STANDARDS)}"
        raise AnalysisInputError(msg)
    return tuple(keys)


@dataclass(frozen=True)
class AnalysisConfig:
    """Settings of an analysis run.

    Attributes
    ----------
    analysis_crs : str
        Projected CRS for metres (default EPSG:4547, CGCS2000 GK CM 114E).
    detour_factor : float
        Straight-line metres are multiplied by this when no street network is
        given (1.0 = pure straight line; 1.2-1.4 approximates walking).
    cell_size_m : float
        Edge of the residents' grid cells in metres.
    max_snap_m : float
        Maximum distance from a point to the street network, metres.
    facility_buffer_m : float
        Facilities up to this far outside the district are included (they
        serve residents inside it).
    catchment_2sfca_m : float
        Catchment of the doctors 2SFCA (hospitals and health centres), metres.
    catchment_beds_m : float
        Catchment of the hospital-beds 2SFCA, metres (hospitals serve a
        wider area than a walk).
    standards : tuple of str
        Keys of :data:`STANDARDS` the report computes.
    tiles : str
        Basemap: ``"osm"``, ``"gaode"`` (overlays then shifted to GCJ-02) or
        ``"none"`` (no basemap, no tile requests).
    offline : bool
        Maps carry Leaflet inline and work without network (True), or load it
        from the CDN for smaller files (False).
    radii : mapping, optional
        Radius overrides per standard key: metres for every facility
        (``{"park-500": 400}``) or per value of the standard's column
        (``{"park-tiered": {"city": 1500}}``).
    plan_facts : str, optional
        CSV of published indicator values (see :mod:`tianhe_geo.facts`) used
        where the layers cannot measure an indicator; ``None`` = the shipped
        ``data/geo/plan_facts.csv``.
    """

    analysis_crs: str = ANALYSIS_CRS
    detour_factor: float = 1.0
    cell_size_m: float = 100.0
    max_snap_m: float = 200.0
    facility_buffer_m: float = 2000.0
    catchment_2sfca_m: float = 1000.0
    catchment_beds_m: float = 3000.0
    standards: tuple[str, ...] = field(default_factory=lambda: tuple(STANDARDS))
    tiles: str = "osm"
    offline: bool = True
    plan_facts: str | None = None
    radii: Mapping[str, float | Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_standards(self.standards)
        check_standards(list(self.radii))
        for key in self.radii:
            self.standard(key)  # checks the override
        if self.detour_factor < 1:
            msg = f"detour_factor must be >= 1, got {self.detour_factor!r}"
            raise AnalysisInputError(msg)
        if self.tiles not in ("osm", "gaode", "none"):
            msg = f"tiles must be 'osm', 'gaode' or 'none', got {self.tiles!r}"
            raise AnalysisInputError(msg)

    def standard(self, key: str) -> Standard:
        """The preset ``key`` with this configuration's radius override applied.

        Parameters
        ----------
        key : str
            A key of :data:`STANDARDS`.

        Returns
        -------
        Standard
            The standard as this run measures it.
        """
        check_standards([key])
        std = STANDARDS[key]
        return std.with_radius(self.radii[key]) if key in self.radii else std


DEFAULT_CONFIG = AnalysisConfig()
