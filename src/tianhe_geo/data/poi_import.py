"""Turn a POI table (AMap / Baidu export, a bureau register) into a facilities layer (pure).

Coordinates
-----------
The first of: a ``location`` column of ``"lng,lat"`` text (AMap web service
exports); a longitude column (``lon``, ``lng``, ``longitude``, ``x``, ``经度``)
with a latitude column (``lat``, ``latitude``, ``y``, ``纬度``). The datum is
never assumed silently: ``gcj02`` (AMap, Tencent) and ``bd09`` (Baidu) are
converted to WGS-84 with :mod:`tianhe_geo.foundation.crs`; without a datum the
GCJ-02 check (:func:`~tianhe_geo.foundation.crs.gcj02_suspicion`) runs against
the study area and a table that fits clearly better as GCJ-02 is refused, asking
for ``--datum``.

Categories
----------
A row's category is, first match wins: its AMap type code (``typecode``
column) by :data:`AMAP_TYPECODES` (longest prefix); the words of
:data:`CATEGORY_WORDS` in its type text (``type``, ``category``, ``类别``,
``分类``, ``类型`` column) or, without a type column, in its name. Rows no rule
maps are returned as unmapped, never guessed.

=================  ==========================================================
category           words (in this order of precedence)
=================  ==========================================================
community_health   社区卫生服务, 卫生服务中心, 卫生服务站, 卫生院
kindergarten       幼儿园, 托儿所
primary_school     小学
middle_school      初中, 中学
elderly_care       养老, 敬老院, 老年公寓, 日间照料, 颐养, 长者
hospital           医院
library_culture    图书馆, 文化馆, 文化站, 文化中心, 文化室
sports             体育馆, 体育中心, 体育场, 全民健身, 游泳馆
=================  ==========================================================
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..foundation import crs as _crs
from ..foundation.errors import DataSourceError, LayerSchemaError
from .schemas import LAYER_COMPLETE

if TYPE_CHECKING:
    import geopandas as gpd

DATUMS = ("wgs84", "gcj02", "bd09")

#: AMap POI type code prefixes (AMap POI classification table) -> category; longest wins.
AMAP_TYPECODES = {
    "0901": "hospital",  # 综合医院
    "0902": "hospital",  # 专科医院
    "141202": "middle_school",  # 中学
    "141203": "primary_school",  # 小学
    "141204": "kindergarten",  # 幼儿园
    "1405": "library_culture",  # 图书馆
    "0801": "sports",  # 运动场馆
}

#: Category -> words, in order of precedence (see the module docstring).
CATEGORY_WORDS = (
    ("community_health", ("社区卫生服务", "卫生服务中心", "卫生服务站", "卫生院")),
    ("kindergarten", ("幼儿园", "托儿所")),
    ("primary_school", ("小学",)),
    ("middle_school", ("初中", "中学")),
    ("elderly_care", ("养老", "敬老院", "老年公寓", "日间照料", "颐养", "长者")),
    ("hospital", ("医院",)),
    ("library_culture", ("图书馆", "文化馆", "文化站", "文化中心", "文化室")),
    ("sports", ("体育馆", "体育中心", "体育场", "全民健身", "游泳馆")),
)

_LON = ("lon", "lng", "longitude", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")
_TYPE = ("type", "category", "类别", "分类", "类型")
_NAME = ("name", "name_zh", "名称", "机构名称")

#: Positional accuracy assumed for web-map POIs, metres (a POI marks an entrance or a centroid).
POI_ACCURACY_M = 30.0


@dataclass
class PoiImport:
    """A facilities layer from a table, and the rows left out.

    Attributes
    ----------
    facilities : geopandas.GeoDataFrame
        Rows with a category, WGS-84, validated.
    unmapped : pandas.DataFrame
        ``row`` (1-based data row of the file), ``name``, ``type``, ``reason``.
    notes : list of str
        Columns and datum used.
    """

    facilities: gpd.GeoDataFrame
    unmapped: pd.DataFrame
    notes: list[str]


def read_table(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a ``.csv`` (UTF-8 or GBK) or ``.xlsx`` table as text.

    Parameters
    ----------
    path : path-like
        The file.

    Returns
    -------
    pandas.DataFrame
        Every column as text (missing values as NaN), column names stripped.

    Raises
    ------
    DataSourceError
        Missing file, another suffix, or an unreadable table.
    """
    p = Path(path)
    if not p.exists():
        msg = f"{p}: file not found"
        raise DataSourceError(msg)
    suffix = p.suffix.lower()
    if suffix == ".csv":
        for encoding in ("utf-8-sig", "gbk"):
            try:
                table = pd.read_csv(p, dtype=str, encoding=encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            msg = f"{p}: neither UTF-8 nor GBK text; save the table as UTF-8 CSV"
            raise DataSourceError(msg)
    elif suffix in (".xlsx", ".xls"):
        try:
            table = pd.read_excel(p, dtype=str)
        except ImportError as exc:
            msg = f"{p}: reading Excel needs openpyxl (pip install openpyxl), or save it as CSV"
            raise DataSourceError(msg) from exc
    else:
        msg = f"{p}: expected a .csv or .xlsx table, got {suffix or 'no suffix'!r}"
        raise DataSourceError(msg)
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _column(table: pd.DataFrame, names: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in table.columns}
    return next((lower[n] for n in names if n in lower), None)


def coordinates(table: pd.DataFrame, where: str) -> tuple[np.ndarray, np.ndarray, str]:
    """Lon/lat arrays of a table, from ``location`` or lon/lat columns (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        The table, as text.
    where : str
        File name, for messages.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray, str)
        Lon, lat (NaN where a row has none) and the column(s) used.

    Raises
    ------
    LayerSchemaError
        No coordinate column, or rows whose coordinates are not numbers.
    """
    loc = _column(table, ("location",))
    if loc is not None:
        parts = table[loc].astype("string").str.split(",", n=1, expand=True)
        parts = parts.reindex(columns=[0, 1])
        lon_t, lat_t, used = parts[0], parts[1], f"'{loc}' (lng,lat)"
    else:
        x, y = _column(table, _LON), _column(table, _LAT)
        if x is None or y is None:
            problems = [
                f"no coordinates: expected a 'location' column (\"lng,lat\") or a longitude "
                f"column {list(_LON)} and a latitude column {list(_LAT)}; "
                f"found {list(table.columns)}"
            ]
            raise LayerSchemaError(where, problems)
        lon_t, lat_t, used = table[x], table[y], f"'{x}', '{y}'"
    lon = pd.to_numeric(lon_t.str.strip(), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(lat_t.str.strip(), errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(lon) | np.isnan(lat) | (np.abs(lon) > 180) | (np.abs(lat) > 90)
    if bad.any():
        rows = (np.flatnonzero(bad) + 2).tolist()  # file line: header is line 1
        problems = [
            f"column(s) {used}: {int(bad.sum())} row(s) without lon/lat degrees: "
            f"file lines {rows[:10]}"
        ]
        raise LayerSchemaError(where, problems)
    return lon, lat, used


def categories(table: pd.DataFrame) -> tuple[pd.Series, str]:
    """Category of each row by type code, then words (see the module docstring).

    Parameters
    ----------
    table : pandas.DataFrame
        The table, as text.

    Returns
    -------
    (pandas.Series, str)
        Category per row (None where unmapped) and the columns read.
    """
    out = pd.Series(None, index=table.index, dtype=object)
    used = []
    code_col = _column(table, ("typecode", "type_code", "类型编码"))
    if code_col is not None:
        used.append(code_col)
        codes = table[code_col].astype("string").str.strip().str.split("|").str[0]
        for prefix in sorted(AMAP_TYPECODES, key=len, reverse=True):
            hit = out.isna() & codes.str.startswith(prefix, na=False)
            out[hit.to_numpy(dtype=bool)] = AMAP_TYPECODES[prefix]
    text_col = _column(table, _TYPE) or _column(table, _NAME)
    if text_col is not None:
        used.append(text_col)
        text = table[text_col].astype("string")
        for category, words in CATEGORY_WORDS:
            pattern = "|".join(map(re.escape, words))
            hit = out.isna() & text.str.contains(pattern, na=False)
            out[hit.to_numpy(dtype=bool)] = category
    return out, ", ".join(map(repr, used)) or "none"


def _to_wgs84(
    lon: np.ndarray,
    lat: np.ndarray,
    datum: str | None,
    boundary: gpd.GeoDataFrame | None,
    where: str,
) -> tuple[np.ndarray, np.ndarray, str]:
    import geopandas as gpd

    if datum == "gcj02":
        x, y = _crs.gcj02_to_wgs84(lon, lat)
        return np.asarray(x), np.asarray(y), "GCJ-02 converted to WGS-84"
    if datum == "bd09":
        x, y = _crs.bd09_to_wgs84(lon, lat)
        return np.asarray(x), np.asarray(y), "BD-09 converted to WGS-84"
    if datum == "wgs84":
        return lon, lat, "WGS-84 as given"
    if boundary is not None:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=_crs.STORAGE_CRS)
        score = _crs.gcj02_suspicion(pts, boundary)
        if score["suspicious"]:
            problems = [
                f"no --datum given and the points look like GCJ-02 (AMap/Tencent): "
                f"{score['fit_as_is']:.0%} fall in the study area as stored, "
                f"{score['fit_as_gcj02']:.0%} once converted; give --datum gcj02 (or bd09 for "
                "Baidu, wgs84 to keep them)"
            ]
            raise LayerSchemaError(where, problems)
    return lon, lat, "taken as WGS-84 (no --datum; the GCJ-02 check found no offset)"


def import_pois(
    path: str | os.PathLike[str],
    datum: str | None = None,
    boundary: gpd.GeoDataFrame | None = None,
) -> PoiImport:
    """Build a facilities layer from a POI table.

    Parameters
    ----------
    path : path-like
        ``.csv`` or ``.xlsx`` table.
    datum : {'wgs84', 'gcj02', 'bd09'}, optional
        Datum of its coordinates; None runs the GCJ-02 check against ``boundary``.
    boundary : geopandas.GeoDataFrame, optional
        Study area: for that check and the layer's validation.

    Returns
    -------
    PoiImport
        The layer, the unmapped rows and notes.

    Raises
    ------
    LayerSchemaError
        No coordinates, bad rows, GCJ-02 suspected without ``datum``, or no
        row with a category.
    DataSourceError
        Unreadable table or an unknown datum.
    """
    import geopandas as gpd

    from .schemas import SCHEMAS, validate_layer

    where = str(path)
    if datum is not None and datum not in DATUMS:
        msg = f"unknown datum {datum!r}; expected one of {list(DATUMS)}"
        raise DataSourceError(msg)
    table = read_table(path)
    lon, lat, coord_cols = coordinates(table, where)
    x, y, how = _to_wgs84(lon, lat, datum, boundary, where)
    category, cat_cols = categories(table)
    name_col = _column(table, _NAME)
    names = table[name_col] if name_col else pd.Series("", index=table.index)
    type_col = _column(table, _TYPE) or _column(table, ("typecode",))
    line = pd.Series(np.arange(len(table)) + 2, index=table.index)  # header is line 1
    left = category.isna().to_numpy()
    unmapped = pd.DataFrame(
        {
            "line": line[left],
            "name": names[left],
            "type": table[type_col][left] if type_col else None,
            "reason": f"no type code or word of the category table in {cat_cols}",
        }
    ).reset_index(drop=True)
    keep = ~left
    if not keep.any():
        raise LayerSchemaError(
            where, [f"no row maps to a facility category (columns read: {cat_cols})"]
        )
    id_col = _column(table, ("id", "poiid", "uid"))
    ids = table[id_col].astype(str) if id_col else "poi-" + line.astype(str)
    name_en = table[_column(table, ("name_en",))] if _column(table, ("name_en",)) else names
    facts = pd.DataFrame(
        {
            "id": ids[keep].to_numpy(),
            "category": category[keep].to_numpy(),
            "status": "existing",
            "beds": np.nan,
            "doctors": np.nan,
            "places": np.nan,
            "name_zh": names[keep].fillna("").to_numpy(),
            "name_en": name_en[keep].fillna("").to_numpy(),
            "source": (f"{Path(path).name} line " + line[keep].astype(str) + f"; {how}").to_numpy(),
            "accuracy_m": POI_ACCURACY_M,
            LAYER_COMPLETE: False,
        }
    )
    gdf = gpd.GeoDataFrame(
        facts, geometry=gpd.points_from_xy(x[keep], y[keep]), crs=_crs.STORAGE_CRS
    )
    validate_layer(gdf, SCHEMAS["facilities"], f"{where} (as facilities)", boundary)
    notes = [f"coordinates from {coord_cols}, {how}", f"categories from {cat_cols}"]
    return PoiImport(gdf, unmapped, notes)
