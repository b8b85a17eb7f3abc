"""Scenario specifications: what a scenario changes, and reading one from YAML or GeoJSON.

A :class:`Scenario` is a list of :class:`Change` s to the layers (add new
stations, remove a clinic, mark planned parks as built). Reading a scenario
imports only this module, the file primitives and the layer schemas; applying
and comparing it is :mod:`tianhe_geo.plan.scenario`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely
import yaml

from ..foundation.errors import DataSourceError, LayerSchemaError
from .io import read_vector
from .schemas import SCHEMAS, read_bools

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


def _scenario_change(entry: object, base: Path, label: str) -> Change:
    if not isinstance(entry, dict):
        msg = f"{label}: expected a mapping with 'layer' and 'action', got {entry!r}"
        raise DataSourceError(msg)
    known = {"layer", "action", "ids", "where", "values", "file"}
    extra = sorted(set(entry) - known)
    if extra:
        msg = f"{label}: unknown keys {extra}; expected some of {sorted(known)}"
        raise DataSourceError(msg)
    features = None
    if "file" in entry:
        try:
            features = read_vector(base / entry["file"])
        except DataSourceError as exc:
            msg = f"{label}: {exc}"
            raise DataSourceError(msg) from exc
    return Change(
        layer=str(entry.get("layer", "")),
        action=str(entry.get("action", "")),
        ids=tuple(map(str, entry.get("ids", ()))),
        where=dict(entry.get("where") or {}),
        values=dict(entry.get("values") or {}),
        features=features,
        label=label,
    )


def _geojson_changes(path: Path) -> tuple[Change, ...]:
    gdf = read_vector(path)
    missing = [c for c in ("layer", "action") if c not in gdf.columns]
    if missing:
        msg = f"{path}: a GeoJSON scenario needs properties {missing} on every feature"
        raise DataSourceError(msg)
    changes = []
    for (layer, action), part in gdf.groupby(["layer", "action"], sort=False):
        label = f"{path} ({action} {layer})"
        id_col = SCHEMAS[layer].id_column if layer in SCHEMAS else "id"
        body = part.drop(columns=["layer", "action"])
        # Features of several layers share one file: drop the other layers' columns.
        empty = [c for c in body.columns if c != body.geometry.name and body[c].isna().all()]
        body = body.drop(columns=empty)
        if layer in SCHEMAS:
            body = read_bools(body, SCHEMAS[layer])
        if action == "add":
            changes.append(Change(layer, action, features=body, label=label))
            continue
        ids = tuple(body[id_col].astype(str)) if id_col in body.columns else ()
        if action == "remove":
            changes.append(Change(layer, action, ids=ids, label=label))
            continue
        for i, (_, row) in enumerate(body.iterrows()):
            values = {
                k: v
                for k, v in row.items()
                if k not in (id_col, body.geometry.name) and pd.notna(v)
            }
            geom = row[body.geometry.name]
            has_geom = isinstance(geom, shapely.Geometry) and not geom.is_empty
            moved = body.iloc[[i]] if has_geom else None
            changes.append(
                Change(layer, action, ids=(ids[i],), values=values, features=moved, label=label)
            )
    return tuple(changes)


def read_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read a scenario from YAML (with GeoJSON files beside it) or from one GeoJSON.

    YAML form::

        name: Plan 2025
        name_zh: 十四五规划项目
        description: what it represents and its sources
        changes:
          - {layer: facilities, action: set, where: {status: planned}, values: {status: existing}}
          - {layer: parks, action: add, file: new_parks.geojson}
          - {layer: facilities, action: remove, ids: [clinic-07]}

    GeoJSON form: every feature has properties ``layer`` and ``action``
    (``add`` / ``remove`` / ``set``) besides the layer's own columns; ``remove``
    and ``set`` find features by the layer's id column, ``set`` overwrites the
    non-empty properties and, when present, the geometry.

    Parameters
    ----------
    path : path-like
        ``.yaml`` / ``.yml`` or ``.geojson`` file.

    Returns
    -------
    tianhe_geo.scenario.Scenario
        The scenario (not yet applied).

    Raises
    ------
    DataSourceError
        Missing or unreadable file, or malformed entries (named by number).
    """
    p = Path(path)
    if p.suffix.lower() == ".geojson":
        return Scenario(name=p.stem, changes=_geojson_changes(p))
    if p.suffix.lower() not in (".yaml", ".yml"):
        msg = f"{p}: a scenario is a .yaml/.yml or .geojson file"
        raise DataSourceError(msg)
    if not p.exists():
        msg = f"{p}: file not found"
        raise DataSourceError(msg)
    try:
        doc = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        msg = f"{p}: not valid YAML: {exc}"
        raise DataSourceError(msg) from exc
    if not isinstance(doc, dict) or not isinstance(doc.get("changes"), list):
        msg = f"{p}: expected a mapping with a 'changes' list"
        raise DataSourceError(msg)
    changes = tuple(
        _scenario_change(entry, p.parent, f"{p} change #{i + 1}")
        for i, entry in enumerate(doc["changes"])
    )
    return Scenario(
        name=str(doc.get("name", p.stem)),
        name_zh=str(doc.get("name_zh", "")),
        description=str(doc.get("description", "")),
        changes=changes,
    )
