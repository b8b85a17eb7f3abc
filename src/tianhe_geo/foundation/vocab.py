"""The vocabulary of the layers: every category, tier, kind and status code, in one place.

Codes only. Their Chinese and English labels live in :mod:`tianhe_geo.present.i18n`
(a test checks that every code here has both), their colours in
:mod:`tianhe_geo.present.maps`. The layer schemas (:mod:`tianhe_geo.data.schemas`)
allow exactly these values.
"""

from __future__ import annotations

from types import MappingProxyType

FACILITY_CATEGORIES = (
    "hospital",
    "community_health",
    "primary_school",
    "middle_school",
    "kindergarten",
    "elderly_care",
    "library_culture",
    "sports",
)
"""Kinds of public facility (layer ``facilities``, column ``category``)."""

PARK_TIERS = ("ecological", "city", "community", "pocket")
"""The plan's four park tiers, largest first (layer ``parks``, column ``tier``)."""

FACILITY_STATUSES = ("existing", "under_construction", "planned")
TRANSIT_STATUSES = ("operating", "under_construction", "planned")
PROJECT_STATUSES = ("completed", "under_construction", "planned")

TRANSIT_KINDS = ("station", "line", "rail_station")
PROJECT_KINDS = ("road", "tunnel", "railway_hub", "expressway")
STRUCTURE_KINDS = ("axis", "belt", "zone")
RIVER_KINDS = ("river", "creek")

BUILT_STATUSES = ("existing", "operating", "completed")
"""Statuses that serve residents today; planned and under-construction features do not."""

HEALTH_CATEGORIES = ("hospital", "community_health")
"""Facility categories that supply doctors."""

SCHOOL_CATEGORIES = ("primary_school", "middle_school", "kindergarten")
"""Facility categories that supply school places."""

CHANGES = ("added", "removed", "changed")
"""How a scenario changes a feature (:func:`tianhe_geo.plan.scenario.changed_features`)."""

#: Column -> allowed codes, for every coded column of the layers.
CODES: MappingProxyType[str, tuple[str, ...]] = MappingProxyType(
    {
        "category": FACILITY_CATEGORIES,
        "tier": PARK_TIERS,
        "status": tuple(dict.fromkeys(FACILITY_STATUSES + TRANSIT_STATUSES + PROJECT_STATUSES)),
        "kind": tuple(dict.fromkeys(TRANSIT_KINDS + PROJECT_KINDS + STRUCTURE_KINDS + RIVER_KINDS)),
        "change": CHANGES,
    }
)
