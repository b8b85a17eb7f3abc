import geopandas as gpd
import pytest

import tianhe_geo


@pytest.fixture(scope="session")
def boundary() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("boundary")


@pytest.fixture(scope="session")
def subdistricts() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("subdistricts")
