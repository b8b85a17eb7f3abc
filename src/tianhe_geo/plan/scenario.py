"""Scenarios: what a set of added, removed or changed features does to coverage.

:func:`apply_scenario` returns new, re-validated layers; :func:`compare` runs
the same standards and indicators before and after and reports the difference
per subdistrict, with the gained and lost areas as a layer. Results already
computed for the layers before (a run's own analysis) are passed in, never
computed again.

What a scenario is, and reading one from YAML or GeoJSON, lives in
:mod:`tianhe_geo.data.scenario_spec`; this module never touches the file system.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd
import shapely

from ..analysis.coverage import CoverageResult, dissolve_residents
from ..analysis.network import WalkNetwork
from ..data.scenario_spec import Change, Scenario
from ..data.schemas import SCHEMAS, read_numbers, unknown_subdistricts, validate_layer
from ..foundation.config import DEFAULT_CONFIG, AnalysisConfig
from ..foundation.crs import STORAGE_CRS, require_crs
from ..foundation.errors import AnalysisInputError, LayerSchemaError
from ..foundation.standards import check_standards
from .compliance import Layers, residents_in, run_standard
from .indicators import indicators

logger = logging.getLogger(__name__)


def _selected(gdf: gpd.GeoDataFrame, change: Change) -> pd.Series:
    mask = pd.Series(gdf.index.isin([str(i) for i in change.ids]), index=gdf.index)
    if change.where:
        match = pd.Series(True, index=gdf.index)
        for column, wanted in change.where.items():
            if column not in gdf.columns:
                msg = f"{change.label}: layer {change.layer!r} has no column {column!r}"
                raise AnalysisInputError(msg)
            options = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
            match &= gdf[column].isin(list(options))
        mask |= match
    missing = sorted(set(map(str, change.ids)) - set(gdf.index))
    if missing:
        msg = f"{change.label}: no {change.layer!r} features with ids {missing}"
        raise AnalysisInputError(msg)
    if not mask.any():
        _no_match(change)
    return mask


def _no_match(change: Change) -> None:
    """A selection that matches nothing: an error for a value the column can never hold.

    A valid filter matching nothing is a real answer (the plan scenario builds
    "every planned clinic" of a layer that has none): logged, nothing changes.
    """
    categories = SCHEMAS[change.layer].categories
    for column, wanted in change.where.items():
        options = wanted if isinstance(wanted, (list, tuple, set)) else [wanted]
        allowed = categories.get(column)
        impossible = sorted(map(str, set(options) - set(allowed))) if allowed else []
        if impossible:
            msg = (
                f"{change.label}: key 'where': the selection matches no {change.layer!r} "
                f"features: column {column!r} never holds {impossible}; "
                f"allowed {list(allowed or ())}"
            )
            raise AnalysisInputError(msg)
    logger.warning(
        "%s: the selection matches no %r features; nothing changed", change.label, change.layer
    )


def _add(gdf: gpd.GeoDataFrame, change: Change) -> gpd.GeoDataFrame:
    if change.features is None:  # Change refuses an "add" without features; for the checker
        msg = f"{change.label}: 'add' needs features"
        raise AnalysisInputError(msg)
    require_crs(change.features, change.label)
    new = change.features.to_crs(STORAGE_CRS)
    id_col = SCHEMAS[change.layer].id_column
    if id_col not in new.columns:
        msg = f"{change.label}: added {change.layer!r} features need an {id_col!r} column"
        raise AnalysisInputError(msg)
    new = new.set_index(new[id_col].astype(str).rename(None))
    clash = sorted(set(new.index) & set(gdf.index))
    if clash or new.index.duplicated().any():
        msg = f"{change.label}: {id_col} values already used or repeated: {clash or 'repeated'}"
        raise AnalysisInputError(msg)
    return gpd.GeoDataFrame(pd.concat([gdf, new]), crs=STORAGE_CRS)


def _set(gdf: gpd.GeoDataFrame, change: Change) -> gpd.GeoDataFrame:
    out = gdf.copy()
    mask = _selected(out, change)
    for column, value in change.values.items():
        if column not in out.columns or column == out.geometry.name:
            msg = (
                f"{change.label}: key 'values': layer {change.layer!r} has no column {column!r} "
                f"to set; its columns: {[c for c in out.columns if c != out.geometry.name]}"
            )
            raise AnalysisInputError(msg)
        try:
            out.loc[mask, column] = value
        except (TypeError, ValueError) as exc:  # pandas refuses a value of another type
            msg = (
                f"{change.label}: key 'values': {value!r} cannot go into column {column!r} "
                f"({out[column].dtype}) of layer {change.layer!r}"
            )
            raise AnalysisInputError(msg) from exc
    if change.features is not None:
        out = _move(out, change)
    return out


def _move(gdf: gpd.GeoDataFrame, change: Change) -> gpd.GeoDataFrame:
    """New geometries by id from a 'set' change's features; every id must be in the layer."""
    assert change.features is not None  # the caller checked
    require_crs(change.features, change.label)
    id_col = SCHEMAS[change.layer].id_column
    if id_col not in change.features.columns:
        msg = f"{change.label}: the features that move need an {id_col!r} column"
        raise AnalysisInputError(msg)
    moved = change.features.to_crs(STORAGE_CRS).geometry
    moved.index = change.features[id_col].astype(str)
    unknown = sorted(set(moved.index) - set(gdf.index))
    if unknown:
        msg = (
            f"{change.label}: no {change.layer!r} features with ids {unknown[:10]} to move; "
            "a 'set' file names existing features (add new ones with action 'add')"
        )
        raise AnalysisInputError(msg)
    gdf.loc[moved.index, gdf.geometry.name] = moved.to_numpy()
    return gdf


def apply_scenario(
    layers: Layers,
    scenario: Scenario,
) -> dict[str, gpd.GeoDataFrame]:
    """Apply every change of a scenario and re-validate the changed layers.

    Parameters
    ----------
    layers : mapping
        Loaded layers (EPSG:4326, indexed by id), e.g. from
        :func:`tianhe_geo.load_layers`; not modified.
    scenario : Scenario
        The changes.

    Returns
    -------
    dict
        Layer name -> GeoDataFrame after the scenario (unchanged layers are
        the same objects).

    Raises
    ------
    AnalysisInputError
        A change selects nothing, names unknown ids or columns, or adds
        clashing ids.
    LayerSchemaError
        A changed layer breaks its schema (e.g. an unknown category, a point
        outside the district), naming the change.
    """
    out = dict(layers)
    for change in scenario.changes:
        if change.layer not in out:
            msg = f"{change.label}: layer {change.layer!r} is not loaded"
            raise AnalysisInputError(msg)
        gdf = out[change.layer]
        if change.action == "add":
            gdf = _add(gdf, change)
        elif change.action == "remove":
            gdf = gdf[~_selected(gdf, change)]
        else:
            gdf = _set(gdf, change)
        where = f"{change.label} (layer {change.layer!r} after the change)"
        schema = SCHEMAS[change.layer]
        validate_layer(gdf, schema, where, boundary=out.get("boundary"))
        out[change.layer] = read_numbers(gdf, schema)
        linked = {"residents", "subdistricts"}  # residents name their subdistrict's code
        if change.layer in linked and linked <= set(out):
            problems = unknown_subdistricts(out["residents"], out["subdistricts"])
            if problems:
                raise LayerSchemaError(where, problems)
    return out


def _rows_differ(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.Series:
    cols = [c for c in old.columns if c in new.columns and c != old.geometry.name]
    a, b = old[cols], new[cols]
    same = ((a == b) | (a.isna() & b.isna())).all(axis=1)
    same &= shapely.equals_exact(old.geometry.values, new.geometry.values, tolerance=0.0)
    return ~same


def changed_features(before: Layers, after: Layers) -> gpd.GeoDataFrame:
    """Features added, removed or changed between two sets of layers.

    Parameters
    ----------
    before, after : mapping
        Layer name -> GeoDataFrame (EPSG:4326, indexed by id).

    Returns
    -------
    geopandas.GeoDataFrame
        ``layer``, ``id``, ``change`` (``added``, ``removed``, ``changed``),
        ``name_zh``, ``name_en``, ``status`` (after, where the layer has one),
        geometry, in EPSG:4326.
    """
    frames = []
    for name, new in after.items():
        old = before.get(name)
        if old is None or old is new:
            continue
        added = new.index.difference(old.index)
        removed = old.index.difference(new.index)
        both = new.index.intersection(old.index)
        differs = _rows_differ(old.loc[both], new.loc[both])
        for ids, frame, label in (
            (added, new, "added"),
            (removed, old, "removed"),
            (both[differs.to_numpy()], new, "changed"),
        ):
            part = frame.loc[ids, ["name_zh", "name_en", frame.geometry.name]].copy()
            part["status"] = frame.loc[ids, "status"] if "status" in frame.columns else ""
            part["layer"], part["id"], part["change"] = name, ids, label
            if frame.geometry.name != "geometry":
                part = part.rename_geometry("geometry")
            frames.append(part)
    columns = ["layer", "id", "change", "name_zh", "name_en", "status", "geometry"]
    if not frames:
        return gpd.GeoDataFrame(columns=columns, geometry="geometry", crs=STORAGE_CRS)
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True)[columns], crs=STORAGE_CRS)


@dataclass(frozen=True)
class ScenarioComparison:
    """Before / after of a scenario.

    Attributes
    ----------
    standards : pandas.DataFrame
        Per standard (district): ``radius_m``, ``share_before``,
        ``share_after``, ``change_pp`` (percentage points),
        ``gained_pop`` and ``lost_pop`` (persons newly covered / no longer
        covered).
    by_subdistrict : pandas.DataFrame
        The same per subdistrict and standard (long table).
    indicators : pandas.DataFrame
        Plan indicators: ``value_before``, ``value_after``, ``change``,
        ``target``, ``unit``, ``met_after`` (without new school places, which
        count planned schools and so are not comparable across a scenario).
    diff : geopandas.GeoDataFrame
        Per standard the dissolved ``gained`` and ``lost`` areas with their
        ``population`` (persons), in EPSG:4326.
    changes : geopandas.GeoDataFrame
        The features that differ (see :func:`changed_features`).
    """

    standards: pd.DataFrame
    by_subdistrict: pd.DataFrame
    indicators: pd.DataFrame
    diff: gpd.GeoDataFrame
    changes: gpd.GeoDataFrame


def _covered_after(
    before: Layers,
    after: Layers,
    key: str,
    b: CoverageResult,
    config: AnalysisConfig,
    network: WalkNetwork | None,
) -> CoverageResult:
    """The standard's coverage after; the same result when the scenario leaves its inputs alone."""
    layer = config.standard(key).layer
    same = all(after[n] is before[n] for n in (layer, "residents", "boundary"))
    return b if same else run_standard(after, key, config, network)


def _standard_diff(
    before: Layers,
    after: Layers,
    key: str,
    config: AnalysisConfig,
    network: WalkNetwork | None,
    before_result: CoverageResult | None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    b_out = before_result or run_standard(before, key, config, network)
    b = b_out.covered()
    a = _covered_after(before, after, key, b_out, config, network).covered()
    res = residents_in(after, config)
    frame = pd.DataFrame(
        {
            "subdistrict": res["subdistrict"],
            "population": res["population"],
            "before": res["population"] * b,
            "after": res["population"] * a,
            "gained_pop": res["population"] * (a & ~b),
            "lost_pop": res["population"] * (b & ~a),
        }
    )
    per = frame.groupby("subdistrict").sum()
    per.loc["district"] = per.sum()
    table = pd.DataFrame(
        {
            "standard": key,
            "radius_m": config.standard(key).radius_m,
            "population": per["population"],
            "share_before": per["before"] / per["population"],
            "share_after": per["after"] / per["population"],
            "gained_pop": per["gained_pop"],
            "lost_pop": per["lost_pop"],
        }
    )
    table["change_pp"] = 100 * (table["share_after"] - table["share_before"])
    areas = []
    for label, mask in (("gained", a & ~b), ("lost", b & ~a)):
        areas.append(
            {
                "standard": key,
                "change": label,
                "population": float(res["population"][mask].sum()),
                "geometry": dissolve_residents(res, mask.to_numpy()),
            }
        )
    return table.rename_axis("subdistrict").reset_index(), gpd.GeoDataFrame(
        areas, geometry="geometry", crs=res.crs
    )


def compare(
    before: Layers,
    after: Layers,
    config: AnalysisConfig = DEFAULT_CONFIG,
    standards: Sequence[str] | None = None,
    network: WalkNetwork | None = None,
    before_results: Mapping[str, CoverageResult] | None = None,
    before_indicators: pd.DataFrame | None = None,
) -> ScenarioComparison:
    """Run the standards and indicators on two sets of layers and compare.

    Parameters
    ----------
    before, after : mapping
        Loaded layers (with ``residents``), e.g. the shipped layers and
        :func:`apply_scenario` of them.
    config : AnalysisConfig
        Settings (distance method, CRS).
    standards : sequence of str, optional
        Keys of :data:`~tianhe_geo.foundation.standards.STANDARDS` (default:
        ``config.standards``).
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.
    before_results : mapping, optional
        Standard key -> coverage already computed on ``before`` with the same
        settings (e.g. :attr:`tianhe_geo.plan.run.PlanAnalysis.results`);
        standards missing from it are computed.
    before_indicators : pandas.DataFrame, optional
        :func:`~tianhe_geo.plan.indicators.indicators` of ``before``, if known.

    Returns
    -------
    ScenarioComparison
        Tables of the change per standard and subdistrict, indicators
        before / after, gained and lost areas, changed features.
    """
    keys = check_standards(standards or config.standards)
    known = before_results or {}
    tables, diffs = zip(
        *(_standard_diff(before, after, k, config, network, known.get(k)) for k in keys),
        strict=True,
    )
    long = pd.concat(tables, ignore_index=True)
    district = long[long["subdistrict"] == "district"].set_index("standard")
    district = district.drop(columns=["subdistrict"])
    ind_b = indicators(before, config) if before_indicators is None else before_indicators
    ind_a = indicators(after, config)
    # New school places measure the pipeline of planned schools, which a
    # scenario that builds them empties: before / after would read as a loss.
    ind_b, ind_a = (t.drop(index="new_public_school_places") for t in (ind_b, ind_a))
    ind = pd.DataFrame(
        {
            "value_before": ind_b["value"],
            "value_after": ind_a["value"],
            "change": ind_a["value"] - ind_b["value"],
            "target": ind_a["target"],
            "unit": ind_a["unit"],
            "met_after": ind_a["met"],
        }
    )
    diff = gpd.GeoDataFrame(pd.concat(diffs, ignore_index=True), crs=diffs[0].crs)
    return ScenarioComparison(
        standards=district,
        by_subdistrict=long[long["subdistrict"] != "district"].reset_index(drop=True),
        indicators=ind,
        diff=diff.to_crs(STORAGE_CRS),
        changes=changed_features(before, after),
    )
