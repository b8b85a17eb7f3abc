"""How complete the facilities behind each figure are: their count against a planning norm.

A coverage share computed from a layer that lacks facilities can only be too
low, and an analyst reading "4 % live near a kindergarten" must see that it
rests on 13 kindergartens where the norm expects at least 187. For every
standard, :func:`completeness` counts the facilities it rests on, the fewest a
provision norm expects for the residents (:data:`~tianhe_geo.foundation.standards.PROVISION_NORMS`;
none for hospitals or metro stations, and it says so), and whether the layer
declares itself complete (a user's layer is taken at its word) or is a
labelled sample, so that the figure is a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from ..data.schemas import is_complete
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.standards import PROVISION_NORMS, ProvisionNorm, Standard
from .selection import Layers, select_facilities

#: Verdicts, from best to worst known.
VERDICTS = ("as_given", "sample_meets_norm", "sample_below_norm", "sample_no_norm")


@dataclass(frozen=True)
class Completeness:
    """What a standard's figure rests on.

    Attributes
    ----------
    facilities : int
        Facilities the standard counts (built, within the edge buffer).
    normed : int
        Of those, the ones of kinds a norm covers.
    expected : int or None
        The fewest facilities of those kinds the norms expect for the
        residents; None when no norm covers the standard's kinds.
    population : float
        Residents the expectation is for.
    declared_complete : bool
        The layer says it lists every facility (a user's layer without the
        sample flag); the figure is then taken at its word.
    sources : tuple of str
        The norms used (clause and source).
    cites : tuple of str
        Their short names.
    """

    facilities: int
    normed: int
    expected: int | None
    population: float
    declared_complete: bool
    sources: tuple[str, ...] = ()
    cites: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        """One of :data:`VERDICTS`."""
        if self.declared_complete:
            return "as_given"
        if self.expected is None:
            return "sample_no_norm"
        return "sample_meets_norm" if self.normed >= self.expected else "sample_below_norm"

    @property
    def lower_bound(self) -> bool:
        """Figures from these facilities are lower bounds (the layer is a sample)."""
        return not self.declared_complete


def norms_for(std: Standard) -> list[ProvisionNorm]:
    """The provision norms that cover the kinds of facility a standard counts."""
    if std.layer in PROVISION_NORMS:  # a norm for the whole layer (parks)
        return [PROVISION_NORMS[std.layer]]
    return [PROVISION_NORMS[v] for v in std.values if v in PROVISION_NORMS]


def completeness(
    layers: Layers, std: Standard, config: AnalysisConfig = DEFAULT_CONFIG
) -> Completeness:
    """Count the facilities a standard rests on against the norm for the residents.

    Parameters
    ----------
    layers : mapping
        Loaded layers (``residents`` and the standard's layer).
    std : Standard
        The standard as measured.
    config : AnalysisConfig
        Settings (which facilities count: built, within the edge buffer).

    Returns
    -------
    Completeness
        Counts, expectation and verdict.
    """
    counted = select_facilities(layers, std, config)
    population = float(layers["residents"]["population"].sum())
    norms = norms_for(std)
    values = {n.value for n in norms}
    normed = counted if "" in values else counted[counted[std.column].isin(values)]
    expected = sum(n.expected(population) for n in norms) if norms else None
    declared = is_complete(counted if len(counted) else layers[std.layer])
    sources = tuple(n.source for n in norms)
    cites = tuple(dict.fromkeys(n.cite for n in norms))
    return Completeness(len(counted), len(normed), expected, population, declared, sources, cites)


def completeness_of(facilities: gpd.GeoDataFrame, population: float) -> Completeness:
    """What a figure rests on when the facilities are the user's own selection (no norm).

    Parameters
    ----------
    facilities : geopandas.GeoDataFrame
        The facilities counted.
    population : float
        Residents.

    Returns
    -------
    Completeness
        Their count and whether their layer declares itself complete.
    """
    return Completeness(len(facilities), 0, None, population, is_complete(facilities))


def completeness_table(layers: Layers, config: AnalysisConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """:func:`completeness` for every configured standard, as a table.

    Parameters
    ----------
    layers : mapping
        Loaded layers.
    config : AnalysisConfig
        Settings; ``config.standards`` chooses the rows.

    Returns
    -------
    pandas.DataFrame
        Indexed by standard: ``facilities``, ``normed``, ``expected_min``
        (nullable integer), ``verdict``, ``lower_bound``, ``norm_source``.
    """
    rows = {}
    for key in config.standards:
        c = completeness(layers, config.standard(key), config)
        rows[key] = {
            "facilities": c.facilities,
            "normed": c.normed,
            "expected_min": c.expected,
            "verdict": c.verdict,
            "lower_bound": c.lower_bound,
            "norm_source": "; ".join(c.sources),
        }
    table = pd.DataFrame.from_dict(rows, orient="index").rename_axis("standard")
    return table.astype({"expected_min": "Int64"})
