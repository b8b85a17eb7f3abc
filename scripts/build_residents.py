"""Build data/geo/residents.geojson: a MODELLED dasymetric population grid.

Method (see ``tianhe_geo.population.dasymetric_grid``): 100 m cells in
EPSG:4547 over each subdistrict polygon; each cell's weight is its area less
the non-residential masks; each subdistrict's 2020 census population is split
over its cells by weight, so per-subdistrict sums equal the census exactly.
Masks: ecological and city parks (forest parks, botanical garden, large
urban parks) from the parks layer, and water (the Pearl River polygon and
creeks buffered by 15 m) from the rivers layer. Community and pocket parks
are left in: they sit among homes and are smaller than a cell.

Accuracy: as good as the subdistrict polygons (approximate, ~1.5 km at the
borders) and the masks; treat cell counts as a model, not a count.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from tianhe_geo import load_layer
from tianhe_geo.data.io import write_vector
from tianhe_geo.data.population import dasymetric_grid, round_keeping_totals

OUT = Path(__file__).resolve().parents[1] / "data" / "geo" / "residents.geojson"
CREEK_HALF_WIDTH_M = 15.0


def masks() -> gpd.GeoSeries:
    """Non-residential land: large parks and water, in EPSG:4547."""
    parks = load_layer("parks").to_crs("EPSG:4547")
    big = parks[parks["tier"].isin(["ecological", "city"])].geometry
    rivers = load_layer("rivers").to_crs("EPSG:4547")
    lines = rivers.geom_type.str.contains("Line")
    water = pd.concat([rivers[~lines].geometry, rivers[lines].geometry.buffer(CREEK_HALF_WIDTH_M)])
    return gpd.GeoSeries(pd.concat([big, water]).to_numpy(), crs="EPSG:4547")


def main() -> None:
    """Write the residents layer."""
    grid = dasymetric_grid(load_layer("subdistricts"), masks(), cell_size=100.0)
    grid = grid[grid["population"] > 0].copy()
    # Hundredths of a person, rounded so each subdistrict still sums to its census count.
    grid["population"] = round_keeping_totals(grid["population"], grid["subdistrict"])
    grid["name_zh"] = "模拟人口网格"
    grid["name_en"] = "modelled population cell"
    grid["modelled"] = True
    grid["source"] = "MODELLED: 2020 census by subdistrict, dasymetric on 100 m cells"
    grid["accuracy_m"] = 1500.0
    grid = grid.drop(columns=["residential_m2"]).to_crs("EPSG:4326")
    write_vector(grid, OUT)
    print(f"wrote {OUT}: {len(grid)} cells, {grid['population'].sum():,.0f} persons")


if __name__ == "__main__":
    main()
