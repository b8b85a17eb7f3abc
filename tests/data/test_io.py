import pytest

import tianhe_geo
from tianhe_geo import DataSourceError
from tianhe_geo.data.io import atomic_path, read_vector, write_text, write_vector


def test_atomic_write_leaves_old_file_on_failure(tmp_path, boundary):
    path = tmp_path / "b.geojson"
    write_vector(boundary, path)
    before = path.read_bytes()
    with pytest.raises(RuntimeError, match="crash"), atomic_path(path) as tmp:
        tmp.write_text("half a file")
        raise RuntimeError("crash while writing")
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["b.geojson"]


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg", ".shp", ".parquet"])
def test_round_trip_formats(tmp_path, suffix, subdistricts):
    path = write_vector(subdistricts, tmp_path / f"s{suffix}")
    back = read_vector(path)
    assert len(back) == 21 and back.crs.to_epsg() == 4326


def test_unsupported_and_missing(tmp_path):
    with pytest.raises(DataSourceError, match="unsupported"):
        read_vector(tmp_path / "x.kml")
    with pytest.raises(DataSourceError, match="not found"):
        read_vector(tmp_path / "x.gpkg")
    write_text("ok", tmp_path / "t.txt")
    assert (tmp_path / "t.txt").read_text() == "ok"


def test_sources_md_accounts_for_every_layer():
    text = (tianhe_geo.data_dir() / "SOURCES.md").read_text("utf-8")
    for name in tianhe_geo.LAYER_NAMES:
        assert f"## {name}" in text, name
        section = text.split(f"## {name}")[1]
        assert "CRS" in section and "ccura" in section, name
