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
from tianhe_geo.data.layers import reference_features, reference_without
from tianhe_geo.data.paths import layer_path
from tianhe_geo.data.schemas import SCHEMAS, validate_layer
from tianhe_geo.foundation.crs import (
    ANALYSIS_CRS,
    SIGN_TEST_P,
    datum_fit,
    datum_sign_test,
    datum_suspicion,
    from_wgs84_to,
    sign_test_suspicion,
)

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
    assert main(["layers", "--layer", f"facilities={path}", "--datum", "gcj02"]) == 0


def test_a_shifted_residents_grid_is_reported_by_its_fit_to_the_district():
    # The modelled grid is no reference feature: the district boundary tells instead.
    from tianhe_geo.data.schemas import SCHEMAS, validate_layer

    grid = gpd.read_file(layer_path("residents")).iloc[::4]  # every 4th cell: still the district
    boundary = gpd.read_file(layer_path("boundary"))
    for datum in ("gcj02", "bd09"):
        with pytest.raises(LayerSchemaError, match=f"look like {NAMES[datum]}.*--datum {datum}"):
            validate_layer(
                from_wgs84_to(grid, datum),
                SCHEMAS["residents"],
                "residents",
                boundary=boundary,
                reference=reference_features(),
            )


def test_metres_or_swapped_axes_labelled_wgs84_are_named(tmp_path, shipped):
    fac = shipped["facilities"]
    metres = tmp_path / "metres.geojson"
    fac.to_crs(ANALYSIS_CRS).set_crs(4326, allow_override=True).to_file(metres)
    with pytest.raises(LayerSchemaError, match=r"projected metres labelled WGS-84.*EPSG:4547"):
        tianhe_geo.read_layer_file(metres, "facilities")
    swapped = tmp_path / "swapped.geojson"
    fac.set_geometry(gpd.points_from_xy(fac.geometry.y, fac.geometry.x), crs=4326).to_file(swapped)
    with pytest.raises(LayerSchemaError, match="latitude and longitude swapped"):
        tianhe_geo.read_layer_file(swapped, "facilities")


# --------------------------------------------------------------------------
# Leave one out: a file holding none of the shipped copy's features
# --------------------------------------------------------------------------
#: (layer, datum) pairs reported when the layer's own shipped copy is left out of
#: the reference, by the sign test or the fit to the district. The others lean
#: too little: facilities (points not on any other layer) in GCJ-02, the eight
#: projects in GCJ-02 and the rivers in BD-09.
LEFT_OUT_REPORTED = {(n, d) for n in LAYERS for d in NAMES} - {
    ("facilities", "gcj02"),
    ("projects", "gcj02"),
    ("rivers", "bd09"),
}


def test_shifted_layers_are_reported_without_their_own_shipped_copy(shipped):
    boundary = shipped["boundary"]
    reported = set()
    for name in LAYERS:
        reference = reference_without(name)
        outline = None if name == "boundary" else boundary
        # The real layer as it is: no verdict against the other layers.
        validate_layer(shipped[name], SCHEMAS[name], name, outline, reference)
        for datum, label in NAMES.items():
            try:
                validate_layer(
                    from_wgs84_to(shipped[name], datum), SCHEMAS[name], name, outline, reference
                )
            except LayerSchemaError as err:
                assert f"look like {label}" in str(err)
                reported.add((name, datum))
    assert reported == LEFT_OUT_REPORTED


def test_random_points_and_lines_in_the_district_lean_to_no_datum(shipped):
    ref = reference_features()
    rng = np.random.default_rng(7)
    area = shipped["boundary"].union_all()
    x0, y0, x1, y1 = area.bounds
    smallest = 1.0
    for _ in range(5):
        pts = shapely.points(rng.uniform(x0, x1, 1500), rng.uniform(y0, y1, 1500))
        pts = gpd.GeoDataFrame(geometry=pts[shapely.contains(area, pts)][:300], crs=4326)
        xy = np.column_stack([rng.uniform(x0, x1, 40), rng.uniform(y0, y1, 40)])
        lines = gpd.GeoDataFrame(
            geometry=[shapely.LineString(xy[i : i + 4]) for i in range(0, 40, 4)], crs=4326
        )
        for frame in (pts, lines):
            test = datum_sign_test(frame, ref)
            assert sign_test_suspicion(test) is None
            smallest = min(smallest, *(p for _, _, p in test.values()))
    assert smallest > 1e3 * SIGN_TEST_P  # far from the threshold, not just under it
