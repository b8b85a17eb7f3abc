"""Layer contracts: columns, dtypes, categories and geometry types.

Every layer shares ``name_zh``, ``name_en``, ``source`` and ``accuracy_m``.
Validators only report: they collect every problem and raise one
:class:`~tianhe_geo._errors.LayerSchemaError`; they never repair data.

The long cost table (``origin_id``, ``destination_id``, ``cost_m``) that
links distance computation and coverage also lives here, so the modules that
produce it and the modules that consume it never import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..foundation.crs import (
    ANALYSIS_CRS,
    datum_fit,
    datum_sign_test,
    datum_suspicion,
    gcj02_suspicion,
    measure_crs,
    sign_test_suspicion,
)
from ..foundation.errors import LayerSchemaError
from ..foundation.vocab import (
    FACILITY_CATEGORIES,
    FACILITY_STATUSES,
    PARK_TIERS,
    PROJECT_KINDS,
    PROJECT_STATUSES,
    RIVER_KINDS,
    STRUCTURE_KINDS,
    TRANSIT_KINDS,
    TRANSIT_STATUSES,
)

if TYPE_CHECKING:
    import geopandas as gpd

# Column kinds. "float?", "int?", "str?" and "bool?" allow missing values; every other
# kind is required in every row.
STR, INT, FLOAT, OPT_FLOAT, BOOL, OPT_BOOL = "str", "int", "float", "float?", "bool", "bool?"
OPT_INT, OPT_STR = "int?", "str?"

POLYGONAL = ("Polygon", "MultiPolygon")
LINEAR = ("LineString", "MultiLineString")
POINT = ("Point",)

COMMON_COLUMNS = {"name_zh": STR, "name_en": STR, "source": STR, "accuracy_m": FLOAT}

LAYER_COMPLETE = "layer_complete"
"""Optional bool column of every layer: False on features of a layer known to be
incomplete (a sample), so figures from it are lower bounds. Absent means complete
(see :func:`tianhe_geo.data.layers.is_complete`)."""

#: Columns a layer may carry, checked when present.
OPTIONAL_COLUMNS = {LAYER_COMPLETE: OPT_BOOL}

# Cost table contract shared by straight-line and network distance.
COST_COLUMNS = ("origin_id", "destination_id", "cost_m")


@dataclass(frozen=True)
class LayerSchema:
    """The contract of one layer.

    Parameters
    ----------
    name : str
        Layer name, as passed to :func:`tianhe_geo.load_layer`.
    id_column : str
        Column whose values are unique, non-empty strings.
    columns : dict
        Column name -> kind (``str``, ``int``, ``float``, ``float?``, ``bool``),
        in addition to the common columns and ``id_column``.
    geom_types : tuple of str
        Allowed shapely geometry types.
    categories : dict
        Column name -> allowed values.
    outside_tolerance_m : float
        How far (metres) a feature may reach outside the district boundary:
        facilities and stations just outside serve residents inside.
    description : str
        One line saying what the layer holds.
    optional : dict
        Column name -> kind of columns a layer may carry (checked only when
        present; a user's own layer need not have them).
    """

    name: str
    id_column: str
    columns: dict[str, str]
    geom_types: tuple[str, ...]
    categories: dict[str, tuple[str, ...]] = field(default_factory=dict)
    outside_tolerance_m: float = 0.0
    description: str = ""
    optional: dict[str, str] = field(default_factory=dict)

    @property
    def all_columns(self) -> dict[str, str]:
        """Every required column with its kind, id column first."""
        return {self.id_column: STR, **self.columns, **COMMON_COLUMNS}


SCHEMAS: dict[str, LayerSchema] = {
    s.name: s
    for s in (
        LayerSchema(
            "boundary",
            "id",
            {"area_km2": FLOAT},
            POLYGONAL,
            outside_tolerance_m=0.0,
            description="Tianhe District boundary (WGS-84).",
        ),
        LayerSchema(
            "subdistricts",
            "code",
            {"population": INT, "approximate": BOOL},
            POLYGONAL,
            description="21 subdistricts (街道), NBS codes, 2020 census population; "
            "polygons approximate.",
            # The OpenStreetMap boundary relation of the subdistrict, where known.
            optional={"osm_relation": OPT_INT},
        ),
        LayerSchema(
            "structure",
            "id",
            {"kind": STR, "role_zh": STR, "role_en": STR, "schematic": BOOL},
            LINEAR + POLYGONAL,
            categories={"kind": STRUCTURE_KINDS},
            outside_tolerance_m=1000.0,
            description="Plan structure: two axes, two belts, multiple zones (schematic).",
        ),
        LayerSchema(
            "transit",
            "id",
            {"kind": STR, "line": STR, "status": STR, "interchange": BOOL, "stations": STR},
            POINT + LINEAR,
            categories={"kind": TRANSIT_KINDS, "status": TRANSIT_STATUSES},
            outside_tolerance_m=3000.0,
            description="Metro lines and stations serving Tianhe, and the railway hub.",
            # A line's colour, "#RRGGBB"; empty for stations.
            optional={"colour": OPT_STR},
        ),
        LayerSchema(
            "projects",
            "id",
            {"kind": STR, "status": STR},
            POINT + LINEAR + POLYGONAL,
            categories={"kind": PROJECT_KINDS, "status": PROJECT_STATUSES},
            outside_tolerance_m=3000.0,
            description="Named infrastructure projects of the plan.",
        ),
        LayerSchema(
            "parks",
            "id",
            {"tier": STR, "area_ha": FLOAT, "approximate": BOOL},
            POLYGONAL,
            categories={"tier": PARK_TIERS},
            outside_tolerance_m=1000.0,
            description="Parks in the four-tier system, polygons with area.",
        ),
        LayerSchema(
            "facilities",
            "id",
            {
                "category": STR,
                "status": STR,
                "beds": OPT_FLOAT,
                "doctors": OPT_FLOAT,
                "places": OPT_FLOAT,
            },
            POINT,
            categories={"category": FACILITY_CATEGORIES, "status": FACILITY_STATUSES},
            outside_tolerance_m=2000.0,
            description="Public facilities: health, schools, elderly care, culture, sports.",
        ),
        LayerSchema(
            "rivers",
            "id",
            {"kind": STR},
            LINEAR + POLYGONAL,
            categories={"kind": RIVER_KINDS},
            outside_tolerance_m=3000.0,
            description="Main creeks (涌) and the Pearl River front.",
        ),
        LayerSchema(
            "residents",
            "id",
            {"subdistrict": STR, "population": FLOAT, "modelled": BOOL},
            POLYGONAL,
            outside_tolerance_m=0.0,
            description="Modelled population grid (dasymetric, 100 m cells).",
        ),
        # Optional layers (not shipped): written by ``import osm``, read by ``import residents``.
        LayerSchema(
            "buildings",
            "id",
            {"building": STR, "levels": OPT_FLOAT},
            POLYGONAL,
            outside_tolerance_m=1000.0,
            description="Buildings (OSM building=* areas): building tag, levels if tagged.",
            optional={"osm_id": OPT_STR},
        ),
        LayerSchema(
            "residential",
            "id",
            {"area_ha": FLOAT},
            POLYGONAL,
            outside_tolerance_m=1000.0,
            description="Residential land use (OSM landuse=residential areas), area in ha.",
            optional={"osm_id": OPT_STR},
        ),
    )
}


def is_complete(gdf: pd.DataFrame) -> bool:
    """Whether a layer lists every feature of its kind in the study area.

    Facilities missing from an incomplete layer can only raise a coverage
    share or a capacity sum, so figures computed from one are lower bounds.

    Parameters
    ----------
    gdf : pandas.DataFrame
        A layer, or rows of one (any frame with or without the column).

    Returns
    -------
    bool
        False when any row says it comes from an incomplete layer
        (``layer_complete`` is False); True otherwise, including a frame
        without the column (a user's layer is taken at its word).
    """
    if LAYER_COMPLETE not in gdf.columns:
        return True
    return not bool(gdf[LAYER_COMPLETE].eq(False).any())


_BOOL_TEXT = {"true": True, "1": True, "1.0": True, "false": False, "0": False, "0.0": False}


def read_bools(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """True / false columns as bools, however the file stored them.

    File formats keep bools their own way: a GeoJSON or GeoPackage column with a
    gap is written as text (``"False"``), a shapefile has no bool type (``0`` /
    ``1``). A column whose every value reads as true or false (or is empty, for
    an optional column) becomes bool; any other column is left as it is, for
    the validator to name its rows.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer as read.
    schema : LayerSchema
        Its contract (which columns are bools).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with those columns restored.
    """
    out = gdf.copy()
    kinds = {**schema.all_columns, **OPTIONAL_COLUMNS}
    for column, kind in kinds.items():
        if kind not in (BOOL, OPT_BOOL) or column not in out.columns or out[column].dtype == bool:
            continue
        values = out[column]
        mapped = values.map(lambda v: _BOOL_TEXT.get(str(v).strip().lower()), na_action="ignore")
        if mapped[values.notna()].notna().all() and (kind == OPT_BOOL or values.notna().all()):
            out[column] = mapped.astype(bool) if values.notna().all() else mapped.astype(object)
    return out


def read_numbers(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> gpd.GeoDataFrame:
    """Number columns as numbers, however the file stored them.

    A spreadsheet export or a hand-edited GeoJSON may hold ``"218.4"`` (text)
    in a number column. A column whose every value reads as a number (or is
    empty) becomes float (int for a whole-number column without gaps); any
    other column is left as it is, for the validator to name its rows. So a
    layer that passes :func:`validate_layer` never carries numbers as text.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A layer as read.
    schema : LayerSchema
        Its contract (which columns are numbers).

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with those columns converted.
    """
    out = gdf.copy()
    for column, kind in schema.all_columns.items():
        if kind not in (INT, FLOAT, OPT_FLOAT) or column not in out.columns:
            continue
        values = out[column]
        if pd.api.types.is_numeric_dtype(values.dtype) and values.dtype != bool:
            continue
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric[values.notna()].isna().any():
            continue  # the validator names the rows that are not numbers
        whole = kind == INT and numeric.notna().all() and bool((numeric % 1 == 0).all())
        out[column] = numeric.astype("int64" if whole else "float64")
    return out


def unknown_subdistricts(
    residents: pd.DataFrame, subdistricts: pd.DataFrame, source: str = "residents"
) -> list[str]:
    """Residents whose subdistrict code the subdistricts layer does not hold.

    Such residents would be counted in no subdistrict, and the code shown
    without a name; the one problem names the codes and their rows.

    Parameters
    ----------
    residents : pandas.DataFrame
        The residents layer (``subdistrict`` column).
    subdistricts : pandas.DataFrame
        The subdistricts layer (``code`` column).
    source : str
        What to call the subdistricts layer in the message (its file).

    Returns
    -------
    list of str
        Empty when every code is known, else one problem.
    """
    if "subdistrict" not in residents.columns or "code" not in subdistricts.columns:
        return []
    codes = residents["subdistrict"].astype(str)
    unknown = ~codes.isin(set(subdistricts["code"].astype(str)))
    if not unknown.any():
        return []
    values = sorted(codes[unknown].unique())
    rows = list(residents.index[unknown.to_numpy()])
    shown = ", ".join(map(repr, rows[:5])) + (" ..." if len(rows) > 5 else "")
    return [
        f"column 'subdistrict': codes {values[:10]} ({len(rows)} row(s): {shown}) are not "
        f"in the subdistricts layer ({source}); expected one of its codes, "
        f"e.g. {sorted(subdistricts['code'].astype(str))[:3]}"
    ]


def _check_kind(series: pd.Series, kind: str, label: str) -> list[str]:
    """Return problems of one column against its kind, naming the bad rows."""
    problems: list[str] = []
    if kind in (STR, OPT_STR):
        bad = ~series.map(lambda v: isinstance(v, str) and v.strip() != "")
        bad = bad & series.notna() if kind == OPT_STR else bad | series.isna()
    elif kind in (BOOL, OPT_BOOL):
        bad = ~series.map(lambda v: isinstance(v, bool | np.bool_))
        if kind == OPT_BOOL:
            bad &= series.notna()
    else:
        numeric = pd.to_numeric(series, errors="coerce")
        non_numeric = series.notna() & numeric.isna()
        bad = non_numeric if kind in (OPT_FLOAT, OPT_INT) else numeric.isna()
        if kind in (INT, OPT_INT):
            bad = bad | (numeric.notna() & (numeric % 1 != 0))
        if kind in (FLOAT, OPT_FLOAT, INT, OPT_INT):
            bad = bad | (numeric < 0)
    if bad.any():
        rows = list(series.index[bad.to_numpy()])
        shown = ", ".join(map(repr, rows[:10])) + (" ..." if len(rows) > 10 else "")
        expected = {
            STR: "a non-empty string",
            BOOL: "true or false",
            INT: "a non-negative whole number",
            FLOAT: "a non-negative number (not NaN)",
            OPT_FLOAT: "a non-negative number or empty",
            OPT_INT: "a non-negative whole number or empty",
            OPT_STR: "a non-empty string or empty",
            OPT_BOOL: "true, false or empty",
        }[kind]
        problems.append(f"{label}: {len(rows)} row(s) not {expected}: rows {shown}")
    return problems


def _geometry_problems(gdf: gpd.GeoDataFrame, schema: LayerSchema) -> list[str]:
    import shapely

    geoms = gdf.geometry.values
    problems: list[str] = []
    checks = (
        (shapely.is_missing(geoms), "missing geometry"),
        (~shapely.is_missing(geoms) & shapely.is_empty(geoms), "empty geometry"),
        (~shapely.is_missing(geoms) & ~shapely.is_valid(geoms), "invalid geometry"),
    )
    for mask, what in checks:
        if mask.any():
            rows = list(gdf.index[mask])
            detail = ""
            if what == "invalid geometry":
                reasons = shapely.is_valid_reason(geoms[mask])[:3]
                detail = f" ({'; '.join(reasons)})"
            problems.append(f"column 'geometry': {what} in rows {rows[:10]}{detail}")
    types = gdf.geom_type
    wrong = types.notna() & ~types.isin(schema.geom_types)
    if wrong.any():
        sample = types[wrong].unique()[:3]
        problems.append(
            f"column 'geometry': rows {list(gdf.index[wrong])[:10]} are {list(sample)}, "
            f"expected {list(schema.geom_types)}"
        )
    return problems


def check_columns(gdf: pd.DataFrame, schema: LayerSchema) -> list[str]:
    """List the problems of the non-geometry columns of a layer.

    Parameters
    ----------
    gdf : pandas.DataFrame
        The layer's table.
    schema : LayerSchema
        Its contract.

    Returns
    -------
    list of str
        One message per problem, naming column and rows; empty when valid.
    """
    problems: list[str] = []
    missing = [c for c in schema.all_columns if c not in gdf.columns]
    if missing:
        problems.append(f"missing column(s) {missing}; expected {list(schema.all_columns)}")
    for col, kind in {**schema.all_columns, **OPTIONAL_COLUMNS, **schema.optional}.items():
        if col in gdf.columns:
            problems += _check_kind(gdf[col], kind, f"column {col!r}")
    for col, allowed in schema.categories.items():
        if col in gdf.columns:
            unknown = gdf[col].notna() & ~gdf[col].isin(allowed)
            if unknown.any():
                values = sorted(map(str, gdf.loc[unknown, col].unique()))[:5]
                problems.append(
                    f"column {col!r}: unknown categories {values} in rows "
                    f"{list(gdf.index[unknown])[:10]}; allowed {list(allowed)}"
                )
    if schema.id_column in gdf.columns:
        dup = gdf[schema.id_column].duplicated(keep=False) & gdf[schema.id_column].notna()
        if dup.any():
            values = sorted(map(str, gdf.loc[dup, schema.id_column].unique()))[:5]
            problems.append(
                f"column {schema.id_column!r}: duplicate ids {values} in rows "
                f"{list(gdf.index[dup])[:10]}"
            )
    return problems


def validate_layer(
    gdf: gpd.GeoDataFrame,
    schema: LayerSchema,
    source: str,
    boundary: gpd.GeoDataFrame | None = None,
    reference: gpd.GeoSeries | None = None,
) -> None:
    """Check a layer against its schema and report every problem at once.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer, as read (any CRS; it must have one).
    schema : LayerSchema
        The layer's contract.
    source : str
        What to call the layer in messages (file path and layer name).
    boundary : geopandas.GeoDataFrame, optional
        District boundary; when given, features farther outside than
        ``schema.outside_tolerance_m`` are reported, and a layer that fits the
        boundary clearly better as GCJ-02 is reported as such.
    reference : geopandas.GeoSeries, optional
        Known features (the shipped layers' points, lines and outlines): a
        layer whose vertices lie on them only once read as GCJ-02 or BD-09
        (:func:`~tianhe_geo.foundation.crs.datum_fit`) is reported as such,
        points and lines included.

    Raises
    ------
    LayerSchemaError
        Listing every problem found.
    """
    problems: list[str] = []
    if gdf.crs is None:
        problems.append("no CRS; expected EPSG:4326 (WGS-84 lon/lat)")
    if len(gdf) == 0:
        problems.append("the layer has no features")
    problems += check_columns(gdf, schema)
    geom_problems = _geometry_problems(gdf, schema)
    problems += geom_problems
    if gdf.crs is not None and len(gdf) and not geom_problems:
        geom_problems = _degree_problems(gdf)
        problems += geom_problems
    if boundary is not None and gdf.crs is not None and len(gdf) and not geom_problems:
        # EPSG:4547 for Tianhe; another study area is measured in its own UTM zone.
        problems += _outside_problems(gdf, schema, boundary, measure_crs(boundary))
    if gdf.crs is not None and len(gdf) and not geom_problems:
        problems += _datum_problems(gdf, boundary, reference)
    if problems:
        raise LayerSchemaError(source, problems)


def _degree_problems(gdf: gpd.GeoDataFrame) -> list[str]:
    """Coordinates that cannot be the lon/lat degrees the CRS says (metres, or lat/lon order)."""
    import shapely

    if not gdf.crs.is_geographic:
        return []
    xy = shapely.get_coordinates(gdf.geometry.values)
    bad = (np.abs(xy[:, 0]) > 180) | (np.abs(xy[:, 1]) > 90)
    if not bad.any():
        return []
    x, y = xy[bad][0]
    said = f"the CRS says lon/lat degrees ({gdf.crs.to_string()}) but {int(bad.sum())} coordinates"
    if ((np.abs(xy[bad, 1]) <= 180) & (np.abs(xy[bad, 0]) <= 90)).all():
        return [
            f"{said} have a latitude beyond 90 (e.g. x={x:g}, y={y:g}): latitude and longitude "
            "swapped? Write them in (lon, lat) order, x = longitude"
        ]
    return [
        f"{said} are not degrees (e.g. x={x:,.0f}, y={y:,.0f}): projected metres labelled "
        f"WGS-84? Set the CRS the file was made in, e.g. gdf.set_crs('{ANALYSIS_CRS}', "
        "allow_override=True) for CGCS2000 metres, then save it again"
    ]


#: What each datum is, for messages.
_DATUM_NAMES = {"gcj02": "GCJ-02 (AMap/Gaode, Tencent)", "bd09": "BD-09 (Baidu)"}


def _datum_problems(
    gdf: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame | None, reference: gpd.GeoSeries | None
) -> list[str]:
    """A layer that fits the known features or the district only once read in another datum."""
    datum, evidence = None, ""
    if reference is not None and len(reference):
        fit = datum_fit(gdf, reference)
        datum = datum_suspicion(fit)
        if datum:
            evidence = (
                f"{fit[datum]:.0%} of its vertices lie within 40 m of the shipped layers' "
                f"features once read as {datum}, {fit['wgs84']:.0%} as stored"
            )
        else:
            test = datum_sign_test(gdf, reference)
            datum = sign_test_suspicion(test)
            if datum:
                gained, lost = test[datum][:2]
                evidence = (
                    f"read as {datum}, {gained} points along it come within 60 m of the "
                    f"shipped layers' features and only {lost} move away from them"
                )
    if datum is None and boundary is not None:
        scores = {d: gcj02_suspicion(gdf, boundary, d) for d in _DATUM_NAMES}
        best = max(scores, key=lambda d: scores[d][f"fit_as_{d}"])
        if scores[best]["suspicious"]:
            datum = best
            evidence = (
                f"{scores[best]['fit_as_is']:.0%} fits the district as stored, "
                f"{scores[best][f'fit_as_{best}']:.0%} once read as {best}"
            )
    if datum is None:
        return []
    return [
        f"coordinates look like {_DATUM_NAMES[datum]} rather than WGS-84 (an offset of "
        f"about 600 m or more in Tianhe): {evidence}. Convert with "
        f"tianhe_geo.crs.to_wgs84_from(gdf, '{datum}'), or on the command line pass "
        f"--datum {datum} with the --layer file."
    ]


def _outside_problems(
    gdf: gpd.GeoDataFrame, schema: LayerSchema, boundary: gpd.GeoDataFrame, crs: str
) -> list[str]:
    import shapely

    # 50 m of slack absorbs the boundary's own digitising accuracy.
    limit = schema.outside_tolerance_m + 50.0
    area = shapely.buffer(boundary.to_crs(crs).union_all(), limit)
    geoms = gdf.to_crs(crs).geometry.values
    outside = ~shapely.within(geoms, area)
    if not outside.any():
        return []
    ids = gdf[schema.id_column] if schema.id_column in gdf.columns else gdf.index
    names = list(map(str, ids[outside]))[:10]
    return [
        f"{int(outside.sum())} feature(s) reach more than {limit:.0f} m outside the district "
        f"boundary: {names} (rows {list(gdf.index[outside])[:10]}). Check the CRS, the "
        "coordinate order (lon, lat) or whether they belong to Tianhe."
    ]


def validate_cost_table(table: pd.DataFrame) -> None:
    """Check the long cost table contract (``origin_id``, ``destination_id``, ``cost_m``).

    Parameters
    ----------
    table : pandas.DataFrame
        The cost table.

    Raises
    ------
    LayerSchemaError
        If columns are missing or costs are negative or NaN.
    """
    problems = [f"missing column {c!r}" for c in COST_COLUMNS if c not in table.columns]
    if not problems:
        cost = table["cost_m"].to_numpy(dtype=float)
        if np.isnan(cost).any() or (cost < 0).any():
            problems.append("column 'cost_m' has negative or NaN distances")
    if problems:
        where = "cost table"
        raise LayerSchemaError(where, problems)
