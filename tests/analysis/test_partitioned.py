import numpy as np
import pandas as pd
import pytest

from tianhe_geo.analysis.coverage import Reach, coverage
from tianhe_geo.analysis.partitioned import coverage_partitioned

from .test_coverage import _random_case

dask_geopandas = pytest.importorskip("dask_geopandas")


@pytest.mark.parametrize("counts", [True, False])
def test_partitioned_equals_in_memory(counts):
    res, fac = _random_case(11, n_res=500, n_fac=12)
    expect = coverage(res, fac, [300, 700], group="zone", counts=counts)
    with pytest.warns(DeprecationWarning, match="coverage_streamed"):
        per, summary = coverage_partitioned(
            dask_geopandas.from_geopandas(res, npartitions=4),
            fac,
            [300, 700],
            group="zone",
            counts=counts,
        )
    assert len(per) == len(res)
    pd.testing.assert_frame_equal(
        per.loc[expect.residents.index], expect.residents, check_dtype=False, check_index_type=False
    )
    pd.testing.assert_frame_equal(summary, expect.summary, check_index_type=False)


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    # Worker processes, as on a real cluster: each partition's plan (the layers, the snap
    # index, the per-node distances) is pickled to them, which threads would not test.
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with (
        cluster as c,
        distributed.Client(c) as client,
    ):
        yield client


@pytest.mark.parametrize("on_network", [False, True])
def test_streamed_on_a_cluster_equals_in_memory(cluster, tmp_path, on_network):
    from tianhe_geo import coverage_many, coverage_to_parquet
    from tianhe_geo.analysis.distance import OnNetwork

    from .test_reach import TS, _build_case

    net, res, layers = _build_case()
    distance = OnNetwork(net, 50.0) if on_network else None
    expect = coverage_many(res, layers, TS, distance=distance, group="sub")
    parts = dask_geopandas.from_geopandas(res, npartitions=5)
    got = coverage_to_parquet(parts, layers, TS, tmp_path / "out", distance=distance, group="sub")
    pd.testing.assert_frame_equal(got, expect)  # exactly: integer persons add up exactly
    files = sorted((tmp_path / "out").glob("part.*.parquet"))
    assert len(files) == 5
    back = dask_geopandas.read_parquet(tmp_path / "out").compute().loc[res.index]
    assert back.crs == res.crs and back.geometry.geom_equals(res.geometry).all()
    reach = Reach.prepare(res, distance)
    for name, fac in layers.items():
        one = reach.coverage(fac, TS).residents  # per resident, in memory
        np.testing.assert_array_equal(back[f"nearest_m_{name}"], one["nearest_m"])
        for t in TS:
            np.testing.assert_array_equal(back[f"covered_{t:g}_{name}"], one[f"covered_{t:g}"])


@pytest.mark.parametrize("on_network", [False, True])
def test_coordinates_stream_on_a_cluster_as_frames_do(cluster, tmp_path, on_network):
    # A plain dask frame of x, y (a table of coordinates at city scale): no shapely
    # point per resident until a partition writes its file; the shares are exact.
    import dask.dataframe as dd
    import shapely

    from tianhe_geo import coverage_many, coverage_to_parquet
    from tianhe_geo.analysis.distance import OnNetwork

    from .test_reach import TS, _build_case

    net, res, layers = _build_case()
    distance = OnNetwork(net, 50.0) if on_network else None
    expect = coverage_many(res, layers, TS, distance=distance, group="sub")
    xy = shapely.get_coordinates(res.geometry.values)
    table = pd.DataFrame(
        {"x": xy[:, 0], "y": xy[:, 1], "population": res["population"], "sub": res["sub"]},
        index=res.index,
    )
    # Layers as coordinates too: the in-memory (m, 2) arrays.
    as_xy = {k: shapely.get_coordinates(v.geometry.values) for k, v in layers.items()}
    got = coverage_to_parquet(
        dd.from_pandas(table, npartitions=3), as_xy, TS, tmp_path / "out",
        distance=distance, group="sub", crs=res.crs,
    )  # fmt: skip
    pd.testing.assert_frame_equal(got, expect)
    back = dask_geopandas.read_parquet(tmp_path / "out").compute().loc[res.index]
    assert back.crs == res.crs and back.geometry.geom_equals(res.geometry).all()


def test_streaming_names_what_it_needs():
    import dask.dataframe as dd

    from tianhe_geo import AnalysisInputError, CrsError
    from tianhe_geo.analysis.partitioned import coverage_streamed

    _, fac = _random_case(2, n_res=40, n_fac=3)
    table = pd.DataFrame({"x": [1.0], "y": [2.0], "population": [3]})
    with pytest.raises(AnalysisInputError, match="crs="):
        coverage_streamed(dd.from_pandas(table, npartitions=1), {"f": fac}, 300)
    with pytest.raises(CrsError, match="geographic"):
        coverage_streamed(dd.from_pandas(table, npartitions=1), {"f": fac}, 300, crs=4326)
    other = dd.from_pandas(table.rename(columns={"x": "lon"}), npartitions=1)
    with pytest.raises(AnalysisInputError, match="x and y columns"):
        coverage_streamed(other, {"f": fac}, 300, crs="EPSG:4547")
