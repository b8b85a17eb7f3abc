"""Where residents live: a dasymetric population grid from census counts.

Each subdistrict's census population is spread over a regular grid (100 m
cells in EPSG:4547 by default) in proportion to each cell's residential
land, that is its area inside the subdistrict less the non-residential masks
(water, ecological and city parks, forest). Per-subdistrict sums equal the
census exactly. The grid is modelled, not observed: it is as good as the
masks and the subdistrict polygons.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..foundation.crs import ANALYSIS_CRS, require_crs
from ..foundation.errors import AnalysisInputError


def _grid(bounds: tuple[float, float, float, float], cell: float) -> np.ndarray:
    x0 = np.floor(bounds[0] / cell) * cell
    y0 = np.floor(bounds[1] / cell) * cell
    xs = np.arange(x0, bounds[2], cell)
    ys = np.arange(y0, bounds[3], cell)
    gx, gy = np.meshgrid(xs, ys)
    return shapely.box(gx.ravel(), gy.ravel(), gx.ravel() + cell, gy.ravel() + cell)


def dasymetric_grid(
    zones: gpd.GeoDataFrame,
    masks: gpd.GeoSeries | None = None,
    population: str = "population",
    zone_id: str = "code",
    cell_size: float = 100.0,
    crs: str = ANALYSIS_CRS,
) -> gpd.GeoDataFrame:
    """Distribute zone populations onto grid cells over residential land.

    Parameters
    ----------
    zones : geopandas.GeoDataFrame
        Polygons with a population count (persons) and an id column.
    masks : geopandas.GeoSeries, optional
        Non-residential land to exclude (any CRS); a zone wholly masked keeps
        its population spread over its whole area rather than losing it.
    population : str, default "population"
        Column of persons per zone.
    zone_id : str, default "code"
        Column identifying the zone, copied to ``subdistrict``.
    cell_size : float, default 100
        Cell edge in metres.
    crs : str, default EPSG:4547
        Projected CRS of the grid.

    Returns
    -------
    geopandas.GeoDataFrame
        Cells (clipped to their zone) in ``crs`` with ``id``, ``subdistrict``,
        ``population`` (persons, float), ``residential_m2``; per-zone sums of
        ``population`` equal the zone's count.
    """
    require_crs(zones, "zones")
    if cell_size <= 0:
        msg = f"cell_size must be > 0 metres, got {cell_size!r}"
        raise AnalysisInputError(msg)
    z = zones.to_crs(crs)
    cells = _grid(tuple(z.total_bounds), cell_size)
    zi, ci = shapely.STRtree(cells).query(z.geometry.values, predicate="intersects")
    pieces = shapely.intersection(cells[ci], z.geometry.values[zi])
    keep = shapely.area(pieces) > 1e-6
    zi, ci, pieces = zi[keep], ci[keep], pieces[keep]
    area = shapely.area(pieces)
    resid = area.copy()
    if masks is not None and len(masks):
        mask = shapely.union_all(masks.to_crs(crs).geometry.values)
        hit = shapely.intersects(pieces, mask)
        resid[hit] = area[hit] - shapely.area(shapely.intersection(pieces[hit], mask))
        resid = np.clip(resid, 0.0, None)
    zone_resid = np.bincount(zi, weights=resid, minlength=len(z))
    # A zone with no residential land left spreads over its whole area.
    weight = np.where(zone_resid[zi] > 0, resid, area)
    zone_weight = np.bincount(zi, weights=weight, minlength=len(z))
    pop = z[population].to_numpy(dtype=float)
    cell_pop = pop[zi] * weight / zone_weight[zi]
    codes = z[zone_id].astype(str).to_numpy()
    out = gpd.GeoDataFrame(
        {
            "id": [f"{codes[a]}-{b}" for a, b in zip(zi, ci, strict=True)],
            "subdistrict": codes[zi],
            "population": cell_pop,
            "residential_m2": resid,
        },
        geometry=pieces,
        crs=crs,
    )
    return out.set_index(pd.Index(out["id"].to_numpy())).rename_axis(None)


def round_keeping_totals(
    values: np.ndarray | pd.Series, groups: np.ndarray | pd.Series, decimals: int = 2
) -> np.ndarray:
    """Round to ``decimals`` places so that every group still sums to its rounded total.

    Plain rounding of a grid's cells lets a subdistrict's sum drift from its
    census count by up to half a unit per cell; here each value is floored and
    the group's shortfall handed, one unit each, to the cells with the largest
    remainders (the largest-remainder method).

    Parameters
    ----------
    values : array-like of float
        Values (e.g. persons per cell), >= 0.
    groups : array-like
        Group label per value (e.g. subdistrict code).
    decimals : int, default 2
        Decimal places kept (2 = hundredths of a person).

    Returns
    -------
    numpy.ndarray
        Rounded values; per group ``sum == round(original sum, decimals)``
        (up to float representation), each within one unit of the original.
    """
    scale = 10.0**decimals
    scaled = np.asarray(values, dtype=float) * scale
    codes, _ = pd.factorize(np.asarray(groups))
    floors = np.floor(scaled)
    remainder = scaled - floors
    target = np.rint(np.bincount(codes, weights=scaled))
    short = (target - np.bincount(codes, weights=floors)).astype(np.int64)
    # Rank cells within their group by remainder, largest first.
    order = np.lexsort((-remainder, codes))
    starts = np.searchsorted(codes[order], np.arange(len(target)))
    rank = np.empty(len(order), dtype=np.int64)
    sizes = np.bincount(codes, minlength=len(target))
    rank[order] = np.arange(len(order)) - np.repeat(starts, sizes)
    return (floors + (rank < short[codes])) / scale
