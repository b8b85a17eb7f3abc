"""Where new facilities should go: the siting questions the plan asks, answered exactly.

A :class:`SitingQuestion` names a standard and either a number of new sites
(maximal covering) or a share to reach (fewest sites); its wording, file name
and covering radius all follow the radius the run uses. :func:`run_sitings`
answers the report's questions (:data:`SITING_QUESTIONS`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ..analysis.network import WalkNetwork
from ..analysis.siting import SitingResult, candidate_grid, maximal_covering, set_covering
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.crs import require_crs
from ..foundation.errors import AnalysisInputError
from ..foundation.i18n import label, standard_title
from ..foundation.standards import Standard
from .selection import Layers, plan_distance, residents_in, select_facilities


@dataclass(frozen=True)
class SitingQuestion:
    """A siting question: new facilities of a standard's kind, how many or to reach what.

    Attributes
    ----------
    key : str
        Short name; file names add the covering radius (``pocket_parks_300m``).
    standard : str
        Standard whose facilities are kept as existing and whose radius covers.
    k : int, optional
        Number of new sites (maximal covering).
    target_share : float, optional
        Share of residents to reach, in (0, 1] (fewest sites). Exactly one
        of ``k`` and ``target_share``.
    wording : str
        Key of the question's label in :data:`tianhe_geo.foundation.i18n.LABELS`.
    """

    key: str
    standard: str
    k: int | None = None
    target_share: float | None = None
    wording: str = "q_mclp"

    def __post_init__(self) -> None:
        if (self.k is None) == (self.target_share is None):
            msg = f"siting question {self.key!r}: give exactly one of k and target_share"
            raise AnalysisInputError(msg)

    def file_key(self, radius_m: float) -> str:
        """The question's name in file names, with the covering radius (``..._300m``)."""
        return f"{self.key}_{radius_m:g}m"

    def text(self, lang: str, std: Standard) -> str:
        """The question in words, with the radius and name of ``std`` (the standard as measured)."""
        share = self.target_share or 0.0
        shown = label("everyone", lang) if share == 1.0 else f"{100 * share:g}%"
        return label(
            self.wording,
            lang,
            k=self.k or 0,
            radius=std.radius_m,
            share=shown,
            standard=standard_title(std, lang),
        )


#: The questions the report answers.
SITING_QUESTIONS = (
    SitingQuestion("pocket_parks", "green-300", k=10, wording="q_pocket_parks"),
    SitingQuestion("health_centres", "life15-health", target_share=1.0, wording="q_health_centres"),
)


@dataclass(frozen=True)
class SitingRun:
    """A siting question answered.

    Attributes
    ----------
    question : SitingQuestion
        The question.
    standard : Standard
        The standard as measured (its radius is the covering radius).
    result : SitingResult
        The model's answer.
    existing : geopandas.GeoDataFrame
        Facilities kept fixed, in the analysis CRS.
    """

    question: SitingQuestion
    standard: Standard
    result: SitingResult
    existing: gpd.GeoDataFrame

    @property
    def radius_m(self) -> float:
        """The covering radius, metres."""
        return self.standard.radius_m

    @property
    def key(self) -> str:
        """Name in file names (``pocket_parks_300m``)."""
        return self.question.file_key(self.radius_m)

    def text(self, lang: str) -> str:
        """The question in words (see :meth:`SitingQuestion.text`)."""
        return self.question.text(lang, self.standard)


def run_sitings(
    layers: Layers,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    questions: Sequence[SitingQuestion] = SITING_QUESTIONS,
) -> list[SitingRun]:
    """Answer siting questions (by default the report's, :data:`SITING_QUESTIONS`).

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    config : AnalysisConfig
        Settings (radius overrides apply).
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    questions : sequence of SitingQuestion
        The questions.

    Returns
    -------
    list of SitingRun
        One per question.
    """
    runs = []
    for q in questions:
        result, existing = site_for_standard(
            layers, q.standard, k=q.k, target_share=q.target_share, config=config, network=network
        )
        runs.append(SitingRun(q, config.standard(q.standard), result, existing))
    return runs


def siting_candidates(
    layers: Layers,
    spacing_m: float,
    config: AnalysisConfig = DEFAULT_CONFIG,
    exclude: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Candidate sites on a grid over the district, outside existing parks.

    Parameters
    ----------
    layers : mapping
        Loaded layers (``boundary``, ``parks``).
    spacing_m : float
        Grid spacing in metres.
    config : AnalysisConfig
        Settings (analysis CRS).
    exclude : geopandas.GeoDataFrame, optional
        More land where no site may go (any CRS), e.g. water, protected or
        built-up land masks.

    Returns
    -------
    geopandas.GeoDataFrame
        Points in the analysis CRS, indexed ``cand-<n>``. Parks are excluded
        because a new clinic or pocket park is not built inside a park; give
        your own candidates (vacant or public land) for real decisions.
    """
    area = layers["boundary"].to_crs(config.analysis_crs)
    masks = [layers[n].to_crs(config.analysis_crs).geometry for n in ("parks",) if n in layers]
    if exclude is not None:
        require_crs(exclude, "exclude")
        masks.append(exclude.to_crs(config.analysis_crs).geometry)
    mask = gpd.GeoSeries(pd.concat(masks), crs=config.analysis_crs) if masks else None
    return candidate_grid(area, spacing_m, exclude=mask)


def site_for_standard(  # noqa: PLR0913 - a siting question has this many knobs
    layers: Layers,
    key: str,
    *,
    k: int | None = None,
    target_share: float | None = None,
    candidates: gpd.GeoDataFrame | None = None,
    spacing_m: float = 250.0,
    exclude: gpd.GeoDataFrame | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
    network: WalkNetwork | None = None,
    time_limit_s: float = 60.0,
) -> tuple[SitingResult, gpd.GeoDataFrame]:
    """Where new facilities of a standard's kind should go (MCLP or set covering).

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    key : str
        A key of :data:`~tianhe_geo.foundation.standards.STANDARDS`: its facilities are kept
        as existing and its radius is the covering distance.
    k : int, optional
        Number of new sites: maximal covering (MCLP).
    target_share : float, optional
        Share of residents to reach (0-1]: fewest sites (set covering).
        Give exactly one of ``k`` and ``target_share``.
    candidates : geopandas.GeoDataFrame, optional
        Possible sites (any CRS); a grid from :func:`siting_candidates`
        when omitted.
    spacing_m : float, default 250
        Grid spacing in metres when ``candidates`` is omitted.
    exclude : geopandas.GeoDataFrame, optional
        Land masks where the grid may not go (besides existing parks).
    config : AnalysisConfig
        Settings (CRS, detour factor, edge buffer, snapping).
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    time_limit_s : float, default 60
        Solver time limit in seconds.

    Returns
    -------
    result : SitingResult
        Chosen sites, coverage before and after, solver status and gap.
    existing : geopandas.GeoDataFrame
        The facilities kept fixed, in the analysis CRS.
    """
    if (k is None) == (target_share is None):
        msg = "give exactly one of k (maximal covering) and target_share (set covering)"
        raise AnalysisInputError(msg)
    std = config.standard(key)
    if std.radius_by:
        msg = (
            f"standard {key!r} has a radius per {std.column}; siting needs one radius: "
            "choose a single-radius standard, or override it with AnalysisConfig(radii=...)"
        )
        raise AnalysisInputError(msg)
    res = residents_in(layers, config)
    existing = select_facilities(layers, std, config)
    if candidates is None:
        cand = siting_candidates(layers, spacing_m, config, exclude)
    else:
        cand = candidates.to_crs(config.analysis_crs)
    distance = plan_distance(config, network)
    if k is not None:
        result = maximal_covering(
            res, cand, k, std.radius_m, existing, distance=distance, time_limit_s=time_limit_s
        )
    else:
        result = set_covering(
            res, cand, float(target_share or 0), std.radius_m, existing,
            distance=distance, time_limit_s=time_limit_s,
        )  # fmt: skip
    return result, existing
