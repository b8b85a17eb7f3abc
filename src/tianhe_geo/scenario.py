"""Scenarios: what a set of added, removed or changed features does to coverage.

A :class:`Scenario` is a list of :class:`Change` s to the layers (add new
stations, remove a clinic, mark planned parks as built). :func:`apply_scenario`
returns new, re-validated layers; :func:`compare` runs the same standards and
indicators before and after and reports the difference per subdistrict, with
the gained and lost areas as a layer.

Reading scenario files (YAML or GeoJSON) lives in :mod:`tianhe_geo.io`; this
module never touches the file system.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd
import shapely

from ._errors import AnalysisInputError, LayerSchemaError
from .analysis import indicators, residents_in, run_standard
from .config import DEFAULT_CONFIG, AnalysisConfig, check_standards
from .coverage import dissolve_residents
from .crs import STORAGE_CRS, require_crs
from .network import WalkNetwork
from .schemas import SCHEMAS, validate_layer

ACTIONS = ("add", "remove", "set")


@dataclass(frozen=True)
class Change:
    """One edit of one layer.

    Attributes
    ----------
    layer : str
        Layer name (``parks``, ``facilities``, ``transit`` ...).
    action : str
        ``"add"`` (append ``features``), ``"remove"`` (drop the selected
        rows) or ``"set"`` (overwrite ``values`` on the selected rows, and the
        geometry where ``features`` gives one for the same id).
    ids : tuple of str
        Feature ids (the layer's id column) to select.
    where : mapping
        Column -> value or list of values; rows matching every column are
        selected (combined with ``ids`` by "or").
    values : mapping
        Column -> new value, for ``"set"``.
    features : geopandas.GeoDataFrame, optional
        New features for ``"add"`` or new geometries by id for ``"set"``.
    label : str
        Where the change came from, for messages (file and entry number).
    """

    layer: str
    action: str
    ids: tuple[str, ...] = ()
    where: Mapping[str, object] = field(default_factory=dict)
    values: Mapping[str, object] = field(default_factory=dict)
    features: gpd.GeoDataFrame | None = None
    label: str = "scenario"

    def __post_init__(self) -> None:
        problems = []
        if self.layer not in SCHEMAS:
            problems.append(f"unknown layer {self.layer!r}; known: {sorted(SCHEMAS)}")
        if self.action not in ACTIONS:
            problems.append(f"unknown action {self.action!r}; expected one of {ACTIONS}")
        if self.action == "add" and (self.features is None or len(self.features) == 0):
            problems.append("'add' needs features")
        if self.action in ("remove", "set") and not (self.ids or self.where):
            problems.append(f"{self.action!r} needs 'ids' or 'where' to select features")
        if self.action == "set" and not self.values and self.features is None:
            problems.append("'set' needs 'values' or features with new geometry")
        if problems:
            raise LayerSchemaError(self.label, problems)


@dataclass(frozen=True)
class Scenario:
    """A named list of changes.

    Attributes
    ----------
    name : str
        Short name (English).
    name_zh : str
        Chinese name.
    description : str
        What the scenario represents and where its facts come from.
    changes : tuple of Change
        Applied in order.
    """

    name: str
    changes: tuple[Change, ...]
    name_zh: str = ""
    description: str = ""


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
        msg = f"{change.label}: the selection matches no {change.layer!r} features"
        raise AnalysisInputError(msg)
    return mask


def _add(gdf: gpd.GeoDataFrame, change: Change) -> gpd.GeoDataFrame:
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
            msg = f"{change.label}: cannot set {column!r} on layer {change.layer!r}"
            raise AnalysisInputError(msg)
        out.loc[mask, column] = value
    if change.features is not None:
        moved = change.features.to_crs(STORAGE_CRS).geometry
        id_col = SCHEMAS[change.layer].id_column
        moved.index = change.features[id_col].astype(str)
        out.loc[moved.index, out.geometry.name] = moved.to_numpy()
    return out


def apply_scenario(
    layers: Mapping[str, gpd.GeoDataFrame],
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
        validate_layer(gdf, SCHEMAS[change.layer], where, boundary=out.get("boundary"))
        gdf.attrs = dict(out[change.layer].attrs)  # a changed shipped layer is still incomplete
        out[change.layer] = gdf
    return out


def _rows_differ(old: gpd.GeoDataFrame, new: gpd.GeoDataFrame) -> pd.Series:
    cols = [c for c in old.columns if c in new.columns and c != old.geometry.name]
    a, b = old[cols], new[cols]
    same = ((a == b) | (a.isna() & b.isna())).all(axis=1)
    same &= shapely.equals_exact(old.geometry.values, new.geometry.values, tolerance=0.0)
    return ~same


def changed_features(
    before: Mapping[str, gpd.GeoDataFrame], after: Mapping[str, gpd.GeoDataFrame]
) -> gpd.GeoDataFrame:
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


def _standard_diff(
    before: Mapping[str, gpd.GeoDataFrame],
    after: Mapping[str, gpd.GeoDataFrame],
    key: str,
    config: AnalysisConfig,
    network: WalkNetwork | None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    b = run_standard(before, key, config, network).covered()
    a = run_standard(after, key, config, network).covered()
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
    before: Mapping[str, gpd.GeoDataFrame],
    after: Mapping[str, gpd.GeoDataFrame],
    config: AnalysisConfig = DEFAULT_CONFIG,
    standards: Sequence[str] | None = None,
    network: WalkNetwork | None = None,
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
        Keys of :data:`tianhe_geo.config.STANDARDS` (default:
        ``config.standards``).
    network : WalkNetwork, optional
        Street network; straight line x ``config.detour_factor`` when omitted.

    Returns
    -------
    ScenarioComparison
        Tables of the change per standard and subdistrict, indicators
        before / after, gained and lost areas, changed features.
    """
    keys = check_standards(standards or config.standards)
    tables, diffs = zip(
        *(_standard_diff(before, after, k, config, network) for k in keys), strict=True
    )
    long = pd.concat(tables, ignore_index=True)
    district = long[long["subdistrict"] == "district"].set_index("standard")
    district = district.drop(columns=["subdistrict"])
    ind_b, ind_a = indicators(dict(before), config), indicators(dict(after), config)
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
