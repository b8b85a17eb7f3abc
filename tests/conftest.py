import geopandas as gpd
import pytest

import tianhe_geo


@pytest.fixture(scope="session")
def boundary() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("boundary")


@pytest.fixture(scope="session")
def subdistricts() -> gpd.GeoDataFrame:
    return tianhe_geo.load_layer("subdistricts")


@pytest.fixture(scope="session")
def built_maps(tmp_path_factory):
    """Run the main job once on the shipped data, as the README's `make maps` does."""
    from tianhe_geo.cli import main

    out = tmp_path_factory.mktemp("maps")
    assert main(["-q", "build", "--out", str(out)]) == 0
    return out
