"""Settings of a run, in one place: what the analysis measures and how outputs look.

Both objects are frozen and closed: change a setting with
:func:`dataclasses.replace` (``replace(DEFAULT_CONFIG, detour_factor=1.3)``), so
a misspelt name is an error rather than a silent new attribute. Only the command
line turns arguments into these objects; nothing reads the environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .crs import ANALYSIS_CRS
from .errors import AnalysisInputError
from .standards import STANDARDS, Standard, check_standards

#: Basemaps a map can use (see :mod:`tianhe_geo.present.mapkit`).
TILES = ("osm", "gaode", "none")
#: Languages of every output.
LANGS = ("zh", "en")


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
    max_snap_m : float
        Maximum distance from a point to the street network, metres.
    access_spacing_m : float
        On a street network, polygon facilities (parks) are reached at their
        edge: access points at most this far apart along it (plus the mapped
        entrances on it), metres; 25-50 m keeps the error of the sampling
        below a street crossing.
    facility_buffer_m : float
        Facilities up to this far outside the district are included (they
        serve residents inside it), metres.
    catchment_doctors_m : float
        Catchment of the doctors 2SFCA (hospitals and health centres), metres.
    catchment_beds_m : float
        Catchment of the hospital-beds 2SFCA, metres (hospitals serve a
        wider area than a walk).
    standards : tuple of str
        Keys of :data:`~tianhe_geo.foundation.standards.STANDARDS` the run computes.
    radii : mapping, optional
        Radius overrides per standard key: metres for every facility
        (``{"park-500": 400}``) or per value of the standard's column
        (``{"park-tiered": {"city": 1500}}``).
    plan_facts : str, optional
        CSV of published indicator values (see :mod:`tianhe_geo.data.facts`)
        used where the layers cannot measure an indicator; ``None`` = the
        shipped ``data/geo/plan_facts.csv``.
    shipped_facts : bool or None
        When ``plan_facts`` is ``None``: use the shipped (Tianhe) figures
        (True) or none (False, another study area: Tianhe's figures are not its).
        ``None`` (default) decides from the layers: the shipped figures only
        when the boundary is the shipped Tianhe one (id ``440106``).
    """

    analysis_crs: str = ANALYSIS_CRS
    detour_factor: float = 1.0
    max_snap_m: float = 200.0
    facility_buffer_m: float = 2000.0
    catchment_doctors_m: float = 1000.0
    catchment_beds_m: float = 3000.0
    standards: tuple[str, ...] = field(default_factory=lambda: tuple(STANDARDS))
    plan_facts: str | None = None
    shipped_facts: bool | None = None
    radii: Mapping[str, float | Mapping[str, float]] = field(default_factory=dict)
    access_spacing_m: float = 25.0

    def __post_init__(self) -> None:
        check_standards(self.standards)
        check_standards(list(self.radii))
        for key in self.radii:
            self.standard(key)  # checks the override
        if not self.detour_factor >= 1:
            msg = f"detour_factor must be a number >= 1, got {self.detour_factor!r}"
            raise AnalysisInputError(msg)
        for name in ("max_snap_m", "facility_buffer_m", "catchment_doctors_m", "catchment_beds_m"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and 0 <= value < float("inf")):
                msg = f"{name} must be a distance >= 0 metres, got {value!r}"
                raise AnalysisInputError(msg)
        spacing = self.access_spacing_m
        if not (isinstance(spacing, int | float) and 0 < spacing < float("inf")):
            msg = f"access_spacing_m must be a distance > 0 metres, e.g. 25; got {spacing!r}"
            raise AnalysisInputError(msg)

    def standard(self, key: str) -> Standard:
        """The preset ``key`` with this configuration's radius override applied.

        Parameters
        ----------
        key : str
            A key of :data:`~tianhe_geo.foundation.standards.STANDARDS`.

        Returns
        -------
        Standard
            The standard as this run measures it.
        """
        check_standards([key])
        std = STANDARDS[key]
        return std.with_radius(self.radii[key]) if key in self.radii else std


@dataclass(frozen=True)
class OutputOptions:
    """How maps and reports look.

    Attributes
    ----------
    tiles : {'osm', 'gaode', 'none'}
        Basemap: OpenStreetMap, Gaode (overlays then shifted to GCJ-02 so they
        line up), or none (no basemap, no tile requests).
    offline : bool
        Maps carry Leaflet inline and work without network (True), or load it
        from the CDN for smaller files (False).
    langs : tuple of str
        Languages to write, each of ``"zh"`` and ``"en"``.
    """

    tiles: str = "osm"
    offline: bool = True
    langs: tuple[str, ...] = LANGS

    def __post_init__(self) -> None:
        if self.tiles not in TILES:
            msg = f"tiles must be one of {TILES}, got {self.tiles!r}"
            raise AnalysisInputError(msg)
        bad = [lang for lang in self.langs if lang not in LANGS]
        if bad or not self.langs:
            msg = f"langs must be some of {LANGS}, got {self.langs!r}"
            raise AnalysisInputError(msg)


DEFAULT_CONFIG = AnalysisConfig()
DEFAULT_OUTPUT = OutputOptions()

#: Font files tried, in order, for Chinese text in charts (Debian's fonts-noto-cjk first).
#: Read from disk only: a missing font never triggers a download; charts then say so.
CJK_FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)

#: The Chromium that prints the report to PDF (Debian's package); no PDF when it is missing.
CHROMIUM = "/usr/bin/chromium"

#: Paper of the printed report.
PDF_FORMAT = "A4"

#: Walking speed the maps' "near me" turns distances into minutes with, metres
#: per minute (4.5 km/h, an adult's unhurried pace).
WALK_M_PER_MIN = 75.0
#: Street detour the "near me" walking time assumes over the straight line.
WALK_DETOUR = 1.3
#: Walking-reach circles drawn where a resident taps the map, metres.
REACH_RADII_M = (300, 500, 1000)
#: Screens at most this wide (CSS px) get maps with folded panels.
SMALL_SCREEN_PX = 600
