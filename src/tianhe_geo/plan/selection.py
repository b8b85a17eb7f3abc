"""Which features a planning question counts, where residents are, how a run measures distance.

The lowest module of :mod:`tianhe_geo.plan`: every planning question selects
its facilities and residents here, the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import shapely

from ..analysis.distance import Distance, OnNetwork, StraightLine
from ..analysis.network import WalkNetwork
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.errors import AnalysisInputError
from ..foundation.standards import Standard
from ..foundation.vocab import BUILT_STATUSES

#: Loaded layers: name -> GeoDataFrame (EPSG:4326, indexed by id).
Layers = Mapping[str, gpd.GeoDataFrame]


def plan_distance(config: AnalysisConfig, network: WalkNetwork | None = None) -> Distance:
    """How a run measures distance: on ``network`` when given, else straight line x detour.

    Parameters
    ----------
    config : AnalysisConfig
        Settings (detour factor, snap limit).
    network : WalkNetwork, optional
        Street network in ``config.analysis_crs``.

    Returns
    -------
    OnNetwork or StraightLine
        The strategy every measure of the run uses.
    """
    if network is not None:
        return OnNetwork(network, config.max_snap_m, config.access_spacing_m)
    return StraightLine(config.detour_factor)


def select_features(
    layers: Layers,
    layer: str,
    where: Mapping[str, Sequence[object]] | None = None,
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> gpd.GeoDataFrame:
    """Built features of a layer matching a filter, in metres, within the edge buffer.

    Parameters
    ----------
    layers : dict
        Loaded layers (needs ``boundary`` and ``layer``).
    layer : str
        Layer name, e.g. ``"facilities"``.
    where : mapping, optional
        Column -> accepted values, e.g. ``{"category": ["hospital"]}``.
    config : AnalysisConfig
        Settings (analysis CRS, facility buffer).

    Returns
    -------
    geopandas.GeoDataFrame
        Matching features with a built status
        (:data:`~tianhe_geo.foundation.vocab.BUILT_STATUSES`, when the layer
        has a ``status`` column) within ``config.facility_buffer_m`` of the
        district, in the analysis CRS.

    Raises
    ------
    AnalysisInputError
        Unknown layer or column, or values the column never holds.
    """
    if layer not in layers:
        msg = f"layer {layer!r} is not loaded; loaded: {sorted(layers)}"
        raise AnalysisInputError(msg)
    chosen = layers[layer]
    for column, values in (where or {}).items():
        if column not in chosen.columns:
            msg = f"layer {layer!r} has no column {column!r}; columns: {list(chosen.columns)}"
            raise AnalysisInputError(msg)
        unknown = sorted(set(map(str, values)) - set(chosen[column].astype(str)))
        if unknown:
            msg = (
                f"layer {layer!r} column {column!r} never holds {unknown}; "
                f"values present: {sorted(chosen[column].astype(str).unique())}"
            )
            raise AnalysisInputError(msg)
        chosen = chosen[chosen[column].astype(str).isin(list(map(str, values)))]
    if "status" in chosen.columns:
        chosen = chosen[chosen["status"].isin(BUILT_STATUSES)]
    chosen = chosen.to_crs(config.analysis_crs)
    area = layers["boundary"].to_crs(config.analysis_crs).union_all()
    reach = shapely.dwithin(chosen.geometry.values, area, config.facility_buffer_m)
    return chosen[reach]


def select_facilities(
    layers: Layers, standard: Standard, config: AnalysisConfig
) -> gpd.GeoDataFrame:
    """Facilities counted by a standard, in metres, within the edge buffer.

    Parameters
    ----------
    layers : dict
        Loaded layers (needs ``boundary`` and ``standard.layer``).
    standard : Standard
        The rule.
    config : AnalysisConfig
        Settings (analysis CRS, facility buffer).

    Returns
    -------
    geopandas.GeoDataFrame
        Built facilities of the standard's kinds (see :func:`select_features`).
    """
    return select_kinds(layers, standard.layer, standard.column, standard.values, config)


def select_kinds(
    layers: Layers,
    layer: str,
    column: str,
    values: Sequence[object],
    config: AnalysisConfig = DEFAULT_CONFIG,
) -> gpd.GeoDataFrame:
    """Built features of the kinds a question counts, whichever of them the layer holds.

    Parameters
    ----------
    layers : dict
        Loaded layers (needs ``boundary`` and ``layer``).
    layer : str
        Layer name, e.g. ``"facilities"``.
    column : str
        Coded column, e.g. ``"category"``.
    values : sequence
        The kinds counted, e.g. ``("hospital", "community_health")``.
    config : AnalysisConfig
        Settings (analysis CRS, facility buffer).

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`select_features`; no rows when the layer holds none of the
        kinds (a user's layer without community health centres means zero
        coverage, not an error).
    """
    gdf = layers[layer]
    held = set(gdf[column]) if column in gdf.columns else set()
    present = [v for v in values if v in held]
    if not present:
        return gdf.iloc[:0].to_crs(config.analysis_crs)
    return select_features(layers, layer, {column: present}, config)


def residents_in(layers: Layers, config: AnalysisConfig) -> gpd.GeoDataFrame:
    """The residents layer in the analysis CRS.

    Parameters
    ----------
    layers : dict
        Loaded layers with ``residents``.
    config : AnalysisConfig
        Settings.

    Returns
    -------
    geopandas.GeoDataFrame
        Residents in metres.
    """
    if "residents" not in layers:
        msg = "no residents layer loaded; load_layer('residents') or pass your own"
        raise AnalysisInputError(msg)
    return layers["residents"].to_crs(config.analysis_crs)
