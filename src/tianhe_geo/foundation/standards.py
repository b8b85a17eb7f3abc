"""The standards catalogue: named coverage rules (which facilities, how far, what share).

Pure data, frozen. Each preset says its source and how sure it is; radii marked
NOT CONFIRMED come from the 1993 edition of GB 50180 or common practice.
Names in Chinese and English live in :mod:`tianhe_geo.present.i18n`, formatted
with the radius a run actually uses (so an overridden radius is never shown as
the preset's). Radii are overridden in one place,
:class:`tianhe_geo.foundation.config.AnalysisConfig` ``radii``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from .errors import AnalysisInputError
from .vocab import PARK_TIERS


@dataclass(frozen=True)
class Standard:
    """A named coverage rule: which facilities, how far, what share.

    Attributes
    ----------
    key : str
        Short identifier used on the command line.
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
        """Service radius in metres of each facility, from its ``column`` values.

        Parameters
        ----------
        values : pandas.Series
            The facilities' values of :attr:`column` (e.g. their park tier).

        Returns
        -------
        numpy.ndarray
            Metres per facility: its value's radius in :attr:`radius_by`, else
            :attr:`radius_m`.
        """
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
                "parks",
                "tier",
                PARK_TIERS,
                500.0,
                0.90,
                "GB/T 51346-2019 城市绿地规划标准 4.3.4: >90% citywide, 80% in old areas "
                "(the 2019 draft excludes 游园; pocket parks are counted here, adjust values)",
            ),
            Standard(
                "gb55014-park",
                "parks",
                "tier",
                PARK_TIERS,
                500.0,
                0.80,
                "GB 55014-2021 园林绿化工程项目规范 2.1.3: coverage > 80%; 500 m radius as in "
                "GB/T 51346 (the code itself does not restate the radius)",
            ),
            Standard(
                "green-300",
                "parks",
                "tier",
                PARK_TIERS,
                300.0,
                None,
                "300米见绿、500米见园 (named rule, CAUPD park evaluation report 2021)",
            ),
            Standard(
                "park-500",
                "parks",
                "tier",
                ("ecological", "city", "community"),
                500.0,
                None,
                "300米见绿、500米见园 (named rule, CAUPD park evaluation report 2021)",
            ),
            Standard(
                "life5-kindergarten",
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
                "facilities",
                "category",
                ("elderly_care",),
                300.0,
                None,
                "GB 50180-2018 5-min circle (day care, 300 m: NOT CONFIRMED in the 2018 text)",
            ),
            Standard(
                "life10-primary",
                "facilities",
                "category",
                ("primary_school",),
                500.0,
                None,
                "GB 50180-2018 10-min circle ~500 m; primary school 500 m is the GB 50180-93 value",
            ),
            Standard(
                "life15-middle",
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
                "facilities",
                "category",
                ("community_health", "hospital"),
                1000.0,
                None,
                "GB 50180-2018 15-min circle (health-centre radius 1000 m: NOT CONFIRMED)",
            ),
            Standard(
                "sdg-11.2.1-rail",
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
                "parks",
                "tier",
                PARK_TIERS,
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
                "parks",
                "tier",
                PARK_TIERS,
                400.0,
                None,
                "UN-Habitat SDG 11.7.1: population within 400 m of open public space",
            ),
        )
    }
)


#: The plan's 2025 targets (Tianhe 10th party congress report, 2021).
PLAN_TARGETS = {
    "park_m2_per_resident": (18.5, "m²/person"),
    "doctors_per_1000": (5.8, "per 1,000 residents"),
    "elderly_care_beds": (6200.0, "beds"),
    "new_public_school_places": (28000.0, "places"),
    "old_communities_renovated": (88.0, "communities"),
}
PLAN_SOURCE = "Tianhe 10th party congress report (2021), 2025 targets"


@dataclass(frozen=True)
class ProvisionNorm:
    """How many facilities of a kind a population calls for, by a planning norm.

    Attributes
    ----------
    layer : str
        Layer holding them.
    column, value : str
        Which features count (e.g. ``category`` = ``kindergarten``); an empty
        ``value`` counts every feature of the layer.
    residents_per_facility : float
        At most this many residents per facility: the upper end of the
        population the norm gives one facility (so population / this is the
        fewest the norm expects).
    source : str
        Clause and source, and how sure it is.
    cite : str
        Label key of the norm's short name (in :mod:`tianhe_geo.foundation.i18n`).
    """

    layer: str
    column: str
    value: str
    residents_per_facility: float
    source: str
    cite: str = "cite_gb50180"

    def expected(self, population: float) -> int:
        """The fewest facilities the norm expects for ``population`` residents."""
        return int(population // self.residents_per_facility)


_GB50180 = "GB 50180-2018 Table 3.0.4 and Appendix B: one per {circle} of {pop} residents"

#: Provision norms for the facility kinds the standards count (GB 50180-2018 life
#: circles; Guangzhou's park index). Kinds without a norm (hospitals, metro stations)
#: are absent: their completeness cannot be judged from a count.
PROVISION_NORMS: MappingProxyType[str, ProvisionNorm] = MappingProxyType(
    {
        n.value or n.layer: n
        for n in (
            ProvisionNorm(
                "facilities", "category", "community_health", 100_000.0,
                _GB50180.format(circle="15-minute circle", pop="50,000-100,000")
                + " (社区卫生服务中心 in the 15-minute circle: NOT CONFIRMED in the 2018 text)",
            ),
            ProvisionNorm(
                "facilities", "category", "middle_school", 100_000.0,
                _GB50180.format(circle="15-minute circle", pop="50,000-100,000")
                + " (初中; population OK, CCPR glossary)",
            ),
            ProvisionNorm(
                "facilities", "category", "primary_school", 25_000.0,
                _GB50180.format(circle="10-minute circle", pop="15,000-25,000")
                + " (小学; population OK, 中国大百科全书)",
            ),
            ProvisionNorm(
                "facilities", "category", "kindergarten", 12_000.0,
                _GB50180.format(circle="5-minute circle", pop="5,000-12,000")
                + " (幼儿园; 5-minute population NOT CONFIRMED)",
            ),
            ProvisionNorm(
                "facilities", "category", "elderly_care", 12_000.0,
                _GB50180.format(circle="5-minute circle", pop="5,000-12,000")
                + " (老年人日间照料中心; NOT CONFIRMED)",
            ),
            ProvisionNorm(
                "parks", "tier", "", 1 / 0.9 * 10_000.0,
                "Guangzhou park plan 2023-2035 (consultation draft): at least 0.9 parks per "
                "10,000 residents (万人拥有公园指数 >= 0.9), all tiers",
                "cite_gz_parks",
            ),
        )
    }
)  # fmt: skip


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


#: Park tier by area (hectares), largest first: a park of at least ``min_ha`` is in
#: ``tier``. Used where a park's tier is not known, e.g. parks imported from
#: OpenStreetMap. CJJ/T 85-2017 (城市绿地分类标准) Table 2.0.4: 综合公园 (city park)
#: "规模宜大于10 hm²", 社区公园 "规模宜大于1 hm²", 游园 (pocket park) below that. The
#: 50 ha line for 生态公园 (ecological park) is ASSUMED (no size in the standard: ecological
#: parks are defined by their natural setting); override by editing the tier column.
PARK_SIZE_CLASSES: tuple[tuple[str, float], ...] = (
    ("ecological", 50.0),
    ("city", 10.0),
    ("community", 1.0),
    ("pocket", 0.0),
)
PARK_SIZE_SOURCE = (
    "tier from area: CJJ/T 85-2017 Table 2.0.4 (city park > 10 ha, community park > 1 ha, "
    "pocket park below); ecological park >= 50 ha ASSUMED"
)


def park_tier(area_ha: ArrayLike) -> np.ndarray:
    """The tier of parks of these areas, by :data:`PARK_SIZE_CLASSES`.

    Parameters
    ----------
    area_ha : array-like of float
        Park areas in hectares.

    Returns
    -------
    numpy.ndarray
        Tier code per park (object array).
    """
    area = np.asarray(area_ha, dtype=float)
    out = np.full(area.shape, PARK_SIZE_CLASSES[-1][0], dtype=object)
    for tier, min_ha in reversed(PARK_SIZE_CLASSES[:-1]):
        out[area >= min_ha] = tier
    return out
