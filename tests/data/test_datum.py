"""Every layer's datum is checked, points and lines too (#12, item 3).

A copy of each shipped layer shifted to GCJ-02 or BD-09 (what a layer
digitised on AMap/Tencent or Baidu tiles looks like, labelled WGS-84) is
refused with the fix, also when it was digitised 30 m off besides; the same
copies load with ``datum=`` (or ``--datum`` on the command line), and copies
30 m off in WGS-84 load without a word.
"""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

import tianhe_geo
from tianhe_geo import LayerSchemaError
from tianhe_geo.cli import main
from tianhe_geo.data.layers import reference_features
from tianhe_geo.data.paths import layer_path
from tianhe_geo.foundation.crs import ANALYSIS_CRS, datum_fit, datum_suspicion, from_wgs84_to

LAYERS = (
    "boundary",
    "subdistricts",
    "structure",
    "transit",
    "projects",
    "parks",
    "facilities",
    "rivers",
)
NAMES = {"gcj02": "GCJ-02", "bd09": "BD-09"}


def _moved(gdf: gpd.GeoDataFrame, east_m: float) -> gpd.GeoDataFrame:
    """The layer translated ``east_m`` metres east (a different digitising, same datum)."""
    out = gdf.to_crs(ANALYSIS_CRS)
    out = out.set_geometry(
        shapely.transform(out.geometry.values, lambda xy: xy + np.array([east_m, 0.0]))
    )
    return out.to_crs(4326)


@pytest.fixture(scope="module")
def shipped():
    return {n: gpd.read_file(layer_path(n)) for n in LAYERS}


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
@pytest.mark.parametrize("name", LAYERS)
def test_a_shifted_copy_of_every_layer_is_reported(tmp_path, shipped, name, datum):
    # 30 m off besides the datum: not a byte copy of the reference.
    path = tmp_path / f"{name}.geojson"
    from_wgs84_to(_moved(shipped[name], 30.0), datum).to_file(path)
    with pytest.raises(LayerSchemaError) as err:
        tianhe_geo.read_layer_file(path, name)
    text = str(err.value)
    assert f"look like {NAMES[datum]}" in text
    assert f"to_wgs84_from(gdf, '{datum}')" in text and f"--datum {datum}" in text
    # Told the datum, the same file loads, back where the layer was (30 m off).
    back = tianhe_geo.read_layer_file(path, name, datum=datum).to_crs(ANALYSIS_CRS)
    ref = _moved(shipped[name], 30.0).to_crs(ANALYSIS_CRS)
    gap = shapely.hausdorff_distance(back.geometry.values, ref.geometry.values)
    assert gap.max() < 0.01


@pytest.mark.parametrize("name", LAYERS)
def test_a_copy_30_m_off_in_wgs84_loads(tmp_path, shipped, name):
    path = tmp_path / f"{name}.geojson"
    _moved(shipped[name], 30.0).to_file(path)
    assert len(tianhe_geo.read_layer_file(path, name)) == len(shipped[name])


def test_the_fit_figures_behind_the_verdict(shipped):
    ref = reference_features()
    fac = shipped["facilities"]
    as_is = datum_fit(fac, ref)
    shifted = datum_fit(from_wgs84_to(fac, "gcj02"), ref)
    assert as_is["wgs84"] == 1.0 and datum_suspicion(as_is) is None
    assert shifted["gcj02"] == 1.0 and shifted["wgs84"] < 0.4
    assert datum_suspicion(shifted) == "gcj02"
    # Features the reference does not hold give no verdict either way.
    rng = np.random.default_rng(3)
    x0, y0, x1, y1 = shipped["boundary"].total_bounds
    new = gpd.GeoDataFrame(
        geometry=gpd.points_from_xy(rng.uniform(x0, x1, 200), rng.uniform(y0, y1, 200)), crs=4326
    )
    for datum in (None, "gcj02"):
        pts = new if datum is None else from_wgs84_to(new, datum)
        assert datum_suspicion(datum_fit(pts, ref)) is None


def test_half_of_a_layer_from_a_web_map_is_reported(shipped):
    ref = reference_features()
    fac = shipped["facilities"]
    # Half the features shared with the reference, half new (200 m north of any shipped one).
    other = _moved(fac, 0.0).to_crs(ANALYSIS_CRS)
    other = other.set_geometry(
        shapely.transform(other.geometry.values, lambda xy: xy + np.array([0.0, 200.0]))
    )
    mixed = pd.concat([fac.iloc[::2], other.to_crs(4326).iloc[1::2]])
    assert datum_suspicion(datum_fit(from_wgs84_to(mixed, "gcj02"), ref)) == "gcj02"


def test_command_line_refuses_then_converts_with_datum(tmp_path, shipped, capsys):
    path = tmp_path / "fac.geojson"
    from_wgs84_to(shipped["facilities"], "gcj02").to_file(path)
    assert main(["--layer", f"facilities={path}", "layers"]) == 1
    err = capsys.readouterr().err
    assert "GCJ-02" in err and "--datum gcj02" in err
    assert main(["--layer", f"facilities={path}", "--datum", "gcj02", "layers"]) == 0
    assert main(["layers", "--layer", f"facilities={path}", "--datum", "gcj02"]) == 0


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_a_shifted_residents_grid_is_reported_by_its_fit_to_the_district(datum):
    # The modelled grid is no reference feature: the district boundary tells instead.
    from tianhe_geo.data.schemas import SCHEMAS, validate_layer

    grid = gpd.read_file(layer_path("residents"))
    boundary = gpd.read_file(layer_path("boundary"))
    with pytest.raises(LayerSchemaError, match=f"look like {NAMES[datum]}.*--datum {datum}"):
        validate_layer(
            from_wgs84_to(grid, datum),
            SCHEMAS["residents"],
            "residents",
            boundary=boundary,
            reference=reference_features(),
        )
