"""File primitives: read vector files, write any output atomically.

Every write goes to a temporary file in the destination folder and is then
renamed over the target, so a crash never leaves a half-written output. Which
outputs a run writes, and where, is decided in one place only,
:mod:`tianhe_geo.pipeline`; reading layers with their schemas is
:mod:`tianhe_geo.data.layers`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyogrio import errors as ogr_errors

from ..foundation.errors import DataSourceError, TianheGeoError

#: What GDAL and the file system raise when a write fails (full disk, unwritable folder).
WRITE_ERRORS = (OSError, ogr_errors.DataSourceError, ogr_errors.DataLayerError)

#: File suffix -> pyogrio driver.
DRIVERS = {
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".gpkg": "GPKG",
    ".shp": "ESRI Shapefile",
    ".parquet": "Parquet",
    ".geoparquet": "Parquet",
}


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final destination.

    Yields
    ------
    pathlib.Path
        Temporary path to write to. It is removed if the block raises.
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.stem}.", suffix=dest.suffix, dir=dest.parent)
    except OSError as exc:
        raise write_failed(dest, exc) from exc
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()  # drivers such as GPKG refuse to write over an empty file
    try:
        yield tmp_path
        os.replace(tmp_path, dest)
    except TianheGeoError:
        raise
    except WRITE_ERRORS as exc:
        raise write_failed(dest, exc) from exc
    finally:
        _remove_sidecars(tmp_path)


def _no_space(exc: BaseException) -> bool:
    """Whether an error (or one it was raised from) says the disk is full."""
    while exc is not None:
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if any(w in str(exc).lower() for w in ("no space left", "disk full", "disk is full")):
            return True
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return False


def _nearly_full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has almost no room left (GDAL's errors may not say)."""
    try:
        return shutil.disk_usage(folder).free < 256 * 1024
    except OSError:
        return False


def write_failed(dest: Path, exc: BaseException) -> DataSourceError:
    """The one-line error for an output that could not be written, naming the file.

    Parameters
    ----------
    dest : pathlib.Path
        The output's final name.
    exc : BaseException
        What the writer raised (``OSError``, a GDAL or Arrow error).

    Returns
    -------
    DataSourceError
        Saying the disk is full when it is, else the writer's first line.
    """
    if _no_space(exc) or _nearly_full(dest.parent):
        reason = "no space left on the disk; free some space or write elsewhere"
    else:
        text = " ".join(str(exc).split()) or type(exc).__name__
        reason = text.replace(str(dest.parent), "").strip(" /")[:200]
    return DataSourceError(f"{dest}: could not be written ({reason}); nothing written under it")


def _remove_sidecars(tmp_path: Path) -> None:
    for p in tmp_path.parent.glob(glob_escape(tmp_path.stem) + ".*"):
        if p.name.startswith("."):
            p.unlink(missing_ok=True)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text atomically.

    Parameters
    ----------
    text : str
        Content.
    path : path-like
        Destination.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    return write_bytes(text.encode("utf-8"), path)


def write_bytes(data: bytes, path: str | os.PathLike[str]) -> Path:
    """Write bytes atomically.

    Parameters
    ----------
    data : bytes
        Content.
    path : path-like
        Destination.

    Returns
    -------
    pathlib.Path
        The destination.
    """
    with atomic_path(path) as tmp:
        with tmp.open("wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())  # a full disk shows here, not after the rename
        if tmp.stat().st_size != len(data):
            msg = (
                f"{path}: wrote {tmp.stat().st_size} bytes of {len(data)}; nothing written under it"
            )
            raise DataSourceError(msg)
    return Path(path)


def driver_for(path: str | os.PathLike[str]) -> str:
    """Return the pyogrio driver for a file suffix, or raise a clear error.

    Parameters
    ----------
    path : path-like
        File path.

    Returns
    -------
    str
        Driver name.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in DRIVERS:
        msg = f"{path}: unsupported file type {suffix!r}; use one of {sorted(DRIVERS)}"
        raise DataSourceError(msg)
    return DRIVERS[suffix]


#: What a file of each driver is expected to be, for reader errors.
EXPECTED = {
    "GeoJSON": "a GeoJSON file (UTF-8 JSON text holding a FeatureCollection)",
    "GPKG": "a GeoPackage (an SQLite database as QGIS or GDAL writes it)",
    "ESRI Shapefile": "a shapefile (.shp with its .shx and .dbf beside it)",
    "Parquet": "a GeoParquet file (Parquet with a geometry column and 'geo' metadata)",
}

# GDAL's advice for a file it cannot identify is about GDAL's own syntax, not ours.
_GDAL_NOISE = re.compile(
    r"(;\s*)?It might help to specify the correct driver explicitly by prefixing the file "
    r"path with '<DRIVER>:', e\.g\. 'CSV:path'\.?"
)
_NOT_RECOGNISED = re.compile(r"'[^']*' not recognized as being in a supported file format\.?")


def split_layer_suffix(text: str) -> tuple[str, str | None]:
    r"""Split ``FILE:LAYER`` into the file and the layer inside it.

    The text is one file when it names an existing file, or when what comes
    before the last ``:`` is not a vector file name (a Windows drive letter
    such as ``C:\data\parks.gpkg``, a path with ``:`` in a folder name),
    or when what follows it is a path.

    Parameters
    ----------
    text : str
        ``parks.gpkg``, ``plan.gpkg:parks`` or ``C:\gis\plan.gpkg:parks``.

    Returns
    -------
    (str, str or None)
        The file and the layer name (None when no layer is named).
    """
    if Path(text).exists():
        return text, None
    head, sep, tail = text.rpartition(":")
    if (
        sep
        and head
        and tail.strip()
        and not any(c in tail for c in "/\\")
        and Path(head).suffix.lower() in DRIVERS
    ):
        return head, tail
    return text, None


def list_layers(path: str | os.PathLike[str]) -> list[str]:
    """Names of the layers inside a vector file (one for GeoJSON and shapefiles).

    Parameters
    ----------
    path : path-like
        An existing GeoJSON, GeoPackage or shapefile.

    Returns
    -------
    list of str
        Layer names, in the file's order.

    Raises
    ------
    DataSourceError
        The file cannot be opened as what its suffix says.
    """
    import pyogrio

    p = Path(path)
    try:
        return [str(name) for name, _ in pyogrio.list_layers(p)]
    except Exception as exc:  # any reader failure becomes one clear message
        raise _unreadable(p, driver_for(p), exc) from exc


def _unreadable(p: Path, driver: str, exc: BaseException) -> DataSourceError:
    """The one-line error for a file its reader cannot read: what was expected, and why not."""
    detail = _GDAL_NOISE.sub("", str(exc))
    detail = _NOT_RECOGNISED.sub("not recognised", detail).strip(" ;.")
    detail = detail.replace(str(p), p.name).replace("\n", " ")
    if isinstance(exc, UnicodeDecodeError):
        detail = (
            "its text is not in the encoding it declares (a .cpg saying UTF-8 over GBK text?); "
            "write the right encoding (e.g. GBK) into the .cpg file beside it"
        )
    msg = f"{p}: cannot be read, expected {EXPECTED[driver]}"
    return DataSourceError(f"{msg}: {detail[:300]}" if detail else msg)


def _check_file(p: Path) -> str:
    """The driver of an existing, non-empty file, or a clear error."""
    if not p.exists():
        msg = f"{p}: file not found"
        raise DataSourceError(msg)
    driver = driver_for(p)
    if p.is_dir():
        msg = f"{p}: is a folder; expected {EXPECTED[driver]}"
        raise DataSourceError(msg)
    if p.stat().st_size == 0:
        msg = f"{p}: the file is empty (0 bytes); expected {EXPECTED[driver]}"
        raise DataSourceError(msg)
    if driver == "ESRI Shapefile":
        missing = [s for s in (".shx", ".dbf") if not _sidecar(p, s).exists()]
        if missing:
            msg = f"{p}: {', '.join(missing)} missing beside it; expected {EXPECTED[driver]}"
            raise DataSourceError(msg)
    return driver


def _sidecar(p: Path, suffix: str) -> Path:
    """A shapefile's companion file, whichever case its suffix is written in."""
    for candidate in (p.with_suffix(suffix), p.with_suffix(suffix.upper())):
        if candidate.exists():
            return candidate
    return p.with_suffix(suffix)


def _choose_layer(p: Path, layer: str | None) -> str | None:
    """The layer to read: the one asked for, or the only one; else an error listing them."""
    # A GeoPackage's QGIS styles (``layer_styles``) are not one of its layers of data.
    names = [n for n in list_layers(p) if n != "layer_styles"]
    if layer is not None and layer not in names:
        msg = f"{p}: no layer {layer!r} in the file; its layers: {', '.join(names) or 'none'}"
        raise DataSourceError(msg)
    if layer is None and len(names) > 1:
        msg = (
            f"{p}: holds {len(names)} layers ({', '.join(names)}); choose one as "
            f"FILE:LAYER on the command line (e.g. {p.name}:{names[0]}) or layer= in Python"
        )
        raise DataSourceError(msg)
    return names[0] if layer is None and names else layer


def read_vector(
    path: str | os.PathLike[str], layer: str | None = None, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile or GeoParquet file.

    Parameters
    ----------
    path : path-like
        File to read.
    layer : str, optional
        Layer inside a multi-layer file (GeoPackage); required when the file
        holds more than one.
    encoding : str, optional
        Text encoding of a shapefile's attributes (e.g. ``"gbk"``), for a
        shapefile without a ``.cpg`` file saying so.

    Returns
    -------
    geopandas.GeoDataFrame
        The raw frame, CRS as stored in the file.

    Raises
    ------
    DataSourceError
        One line naming the file and what was expected: missing, empty,
        unknown suffix, unreadable, a layer it does not hold (listing those it
        does), or several layers and none chosen.
    """
    p = Path(path)
    driver = _check_file(p)
    try:
        if driver == "Parquet":
            return gpd.read_parquet(p)
        layer = _choose_layer(p, layer)
        options = {"encoding": encoding} if encoding else {}
        return gpd.read_file(p, layer=layer, engine="pyogrio", **options)
    except DataSourceError:
        raise
    except Exception as exc:  # any reader failure becomes one clear message
        raise _unreadable(p, driver, exc) from exc


def write_vector(
    gdf: gpd.GeoDataFrame,
    path: str | os.PathLike[str],
    layer: str | None = None,
    style: tuple[str, str] | None = None,
    index: bool | None = False,
) -> Path:
    """Write a frame atomically; the format follows the file suffix.

    The frame's index is not written unless asked (a column is written only if it is one),
    GeoParquet carries a ``bbox`` covering column, and the file is read back
    (row count, columns; a shapefile's every part) before it takes its name.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Frame to write.
    path : path-like
        Destination (.geojson, .gpkg, .shp, .parquet).
    layer : str, optional
        Layer name inside a GeoPackage.
    style : (str, str), optional
        A QGIS style (QML, SLD) stored with a GeoPackage layer in its
        ``layer_styles`` table, as QGIS itself stores one; ignored by other
        formats.
    index : bool or None, default False
        Write the index as a column: False never, None as geopandas decides
        (a named or non-integer index); not for shapefiles.

    Returns
    -------
    pathlib.Path
        The destination.

    Raises
    ------
    DataSourceError
        The file could not be written (full disk, unwritable folder) or did
        not read back as written; nothing is left under its name.
    """
    dest = Path(path)
    driver = driver_for(dest)
    if driver == "ESRI Shapefile":
        return _write_shapefile(gdf, dest)
    name = layer or dest.stem
    with atomic_path(dest) as tmp:
        if driver == "Parquet":
            gdf.to_parquet(tmp, index=index, write_covering_bbox=True)
        else:
            options = {"COORDINATE_PRECISION": 7} if driver == "GeoJSON" else {}
            gdf.to_file(tmp, driver=driver, layer=name, engine="pyogrio", index=index, **options)
            if style is not None and driver == "GPKG":
                _add_layer_style(tmp, name, *style)
        _check_written(tmp, dest, driver, name if driver == "GPKG" else None, gdf)
    return dest


def _check_written(
    tmp: Path, dest: Path, driver: str, layer: str | None, gdf: gpd.GeoDataFrame
) -> None:
    """Read a written file back: every row and every column must be there."""
    import pyogrio

    if driver == "Parquet":
        import pyarrow.parquet as pq

        meta = pq.read_metadata(tmp)
        rows, columns = meta.num_rows, set(meta.schema.names)
    else:
        info = pyogrio.read_info(tmp, layer=layer, force_feature_count=True)
        rows, columns = int(info["features"]), {str(f) for f in info["fields"]}
    missing = [str(c) for c in gdf.columns if c != gdf.geometry.name and str(c) not in columns]
    if driver == "GeoJSON" and not len(gdf):
        missing = []  # GeoJSON has no schema: its columns are those its features carry
    if rows != len(gdf) or missing:
        msg = (
            f"{dest}: read back {rows} of {len(gdf)} rows"
            + (f", without columns {missing}" if missing else "")
            + "; nothing written under it"
        )
        raise DataSourceError(msg)


def _add_layer_style(gpkg: Path, layer: str, qml: str, sld: str) -> None:
    """Store a QGIS style for a layer in the GeoPackage's ``layer_styles`` table.

    The table and its columns are those QGIS creates when a user saves a style
    "in the database", so QGIS applies it as the layer's default on opening.
    """
    import pyogrio

    styles = pd.DataFrame(
        {
            "f_table_catalog": [""],
            "f_table_schema": [""],
            "f_table_name": [layer],
            "f_geometry_column": ["geom"],
            "styleName": [layer],
            "styleQML": [qml],
            "styleSLD": [sld],
            "useAsDefault": [True],
            "description": ["tianhe-geo map colours"],
            "owner": [""],
            "ui": [""],
            "update_time": [pd.Timestamp.now(tz="UTC").floor("s")],
        }
    )
    pyogrio.write_dataframe(styles, gpkg, layer="layer_styles", append=True)


def geometry_families(gdf: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    """Split a frame by geometry family, as formats with one geometry type need.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Any frame.

    Returns
    -------
    dict
        ``"points"`` / ``"lines"`` / ``"polygons"`` -> rows of that family
        (multi-part types go with their single-part family); only families
        present.
    """
    family = gdf.geom_type.str.replace("Multi", "", regex=False).map(
        {"Point": "points", "LineString": "lines", "Polygon": "polygons"}
    )
    return {f: gdf[family == f] for f in ("points", "lines", "polygons") if (family == f).any()}


def _write_shapefile(gdf: gpd.GeoDataFrame, dest: Path) -> Path:
    families = geometry_families(gdf)
    if len(families) > 1:
        msg = (
            f"{dest}: a shapefile holds one geometry type, this layer has "
            f"{sorted(families)}; write a GeoPackage, or one shapefile per type "
            "(tianhe_geo.io.geometry_families splits them)"
        )
        raise DataSourceError(msg)
    # A shapefile is several files: write and check them all in a temporary
    # folder, then move them in, the .shp (what readers open) last.
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".shp.") as tmpdir:
            tmp = Path(tmpdir) / dest.name
            gdf = _dbase_ready(gdf)
            gdf.to_file(
                tmp, driver="ESRI Shapefile", engine="pyogrio", encoding="UTF-8", index=False
            )
            _check_shapefile(tmp, dest, gdf)
            _move_shapefile(tmp, dest)
    except TianheGeoError:
        raise
    except WRITE_ERRORS as exc:  # a full disk, an unwritable folder
        raise write_failed(dest, exc) from exc
    return dest


#: The files a shapefile written by this package is made of.
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _dbase_ready(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Columns renamed to dBase's 10 characters and text cut to its 254 bytes."""
    gdf = gdf.rename(columns=_shapefile_names(gdf.columns))
    # dBase text fields hold 254 bytes; cut explicitly rather than let GDAL warn.
    for col in gdf.columns:
        if col != gdf.geometry.name and pd.api.types.is_string_dtype(gdf[col].dtype):
            gdf[col] = gdf[col].map(
                lambda v: v.encode()[:254].decode(errors="ignore") if isinstance(v, str) else v
            )
    return gdf


def _check_shapefile(tmp: Path, dest: Path, gdf: gpd.GeoDataFrame) -> None:
    parts = [s for s in SHAPEFILE_PARTS if s != ".prj" or gdf.crs is not None]
    missing = [s for s in parts if not tmp.with_suffix(s).is_file()]
    empty = [s for s in (".shp", ".shx", ".dbf") if s not in missing and not _size(tmp, s)]
    if missing or empty:
        msg = f"{dest}: parts {missing + empty} missing or empty after writing; nothing written"
        raise DataSourceError(msg)
    _check_written(tmp, dest, "ESRI Shapefile", None, gdf)


def _size(tmp: Path, suffix: str) -> int:
    return tmp.with_suffix(suffix).stat().st_size


def _move_shapefile(tmp: Path, dest: Path) -> None:
    """Move a checked shapefile's parts over the destination's; stale parts go."""
    for stale in dest.parent.glob(f"{glob_escape(dest.stem)}.*"):
        if stale.suffix.lower() not in SHAPEFILE_PARTS and stale.suffix.lower() in _INDEX_PARTS:
            stale.unlink()  # a spatial index of the old geometry would mislead readers
    for suffix in sorted(SHAPEFILE_PARTS, key=lambda s: s == ".shp"):
        if tmp.with_suffix(suffix).exists():  # no .prj for a frame without a CRS
            os.replace(tmp.with_suffix(suffix), dest.with_suffix(suffix))
        else:
            dest.with_suffix(suffix).unlink(missing_ok=True)  # the old one would mislead


#: Index files other tools write beside a shapefile (QGIS, ArcGIS); stale once it changes.
_INDEX_PARTS = (".qix", ".sbn", ".sbx", ".qmd")


def glob_escape(text: str) -> str:
    """``text`` with glob's special characters made literal."""
    return re.sub(r"([\[\]*?])", r"[\1]", text)


def _shapefile_names(columns: Iterable[str]) -> dict[str, str]:
    """Map column names to unique names of at most 10 characters (dBase limit)."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for col in columns:
        if col == "geometry" or len(col) <= 10:
            used.add(col)
    for col in columns:
        if col == "geometry" or len(col) <= 10:
            continue
        base, n = col[:10], 1
        name = base
        while name in used:
            suffix = str(n)
            name = base[: 10 - len(suffix)] + suffix
            n += 1
        used.add(name)
        out[col] = name
    return out


def restore_shapefile_names(gdf: gpd.GeoDataFrame, expected: Iterable[str]) -> gpd.GeoDataFrame:
    """Give columns cut to 10 characters by a shapefile their full names back.

    dBase field names hold 10 characters, so ``approximate`` is stored as
    ``approximat`` (by this package's writer, by GDAL and by QGIS alike). Each
    expected column missing from the frame whose cut name is present is
    renamed back; the cut names follow :func:`write_vector`'s rule, which is
    GDAL's for names that do not collide.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        A frame read from a shapefile.
    expected : iterable of str
        The full column names the frame should have (a layer's schema).

    Returns
    -------
    geopandas.GeoDataFrame
        The frame with those columns renamed (the same frame when none is cut).
    """
    expected = list(expected)
    back = {
        short: full
        for full, short in _shapefile_names(expected).items()
        if short in gdf.columns and full not in gdf.columns
    }
    return gdf.rename(columns=back) if back else gdf


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def misdecoded_text(values: Iterable[object]) -> tuple[str, str] | None:
    """A sample of Chinese text read in the wrong encoding, if the values look like it.

    A GBK shapefile without a ``.cpg`` file is read as Latin-1, so 中山大学
    arrives as ``ÖÐÉ½´óÑ§``: no CJK character anywhere, but bytes that decode
    as GBK (or UTF-8) into Chinese.

    Parameters
    ----------
    values : iterable
        Text values of a column that should hold Chinese (``name_zh``).

    Returns
    -------
    (str, str) or None
        A value as read and what it says in the encoding it was written in,
        or None when the values hold Chinese or do not decode to it.
    """
    texts = [v for v in values if isinstance(v, str)]
    if not texts or any(_CJK.search(t) for t in texts):
        return None
    for text in texts:
        letters = [c for c in text if not c.isspace()]
        # Chinese read as Latin-1 is all high bytes; a European name (pääkirjasto) is
        # mostly ASCII with a few accented letters that may happen to decode as GBK.
        if sum(ord(c) > 127 for c in letters) < 0.5 * len(letters):
            continue
        try:
            raw = text.encode("latin-1")
        except UnicodeEncodeError:
            continue
        for codec in ("utf-8", "gbk"):
            try:
                decoded = raw.decode(codec)
            except UnicodeDecodeError:
                continue
            if _CJK.search(decoded):
                return text, decoded
    return None


#: First characters that make a spreadsheet read a cell as a formula (OWASP CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def inert_cell(value: object) -> object:
    """A text cell a spreadsheet will show as text: ``'`` put before a formula start.

    Parameters
    ----------
    value : object
        A cell; only text starting with ``= + - @``, tab or carriage return changes.

    Returns
    -------
    object
        ``"'=1+2"`` for ``"=1+2"``; anything else unchanged.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_text(table: pd.DataFrame, index: bool = True, index_label: str | None = None) -> str:
    """A table as CSV text with no cell a spreadsheet would run as a formula.

    Text cells, index labels and column names that begin with ``= + - @``,
    tab or carriage return get a leading ``'`` (OWASP's rule against CSV
    injection); numeric columns are written as numbers, untouched.

    Parameters
    ----------
    table : pandas.DataFrame
        The table.
    index : bool, default True
        Write the index as the first column.
    index_label : str, optional
        Its header.

    Returns
    -------
    str
        CSV text.
    """
    safe = table.copy()
    for col in safe.columns:
        if not pd.api.types.is_numeric_dtype(safe[col].dtype):
            safe[col] = safe[col].map(inert_cell)
    if not pd.api.types.is_numeric_dtype(safe.index.dtype):
        safe.index = safe.index.map(inert_cell)
    safe.columns = safe.columns.map(inert_cell)
    label = inert_cell(index_label) if index_label is not None else None
    return safe.to_csv(index=index, index_label=label)
