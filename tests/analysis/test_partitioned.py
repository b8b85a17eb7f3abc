import pandas as pd
import pytest

from tianhe_geo.analysis.coverage import coverage
from tianhe_geo.analysis.partitioned import coverage_partitioned

from .test_coverage import _random_case

dask_geopandas = pytest.importorskip("dask_geopandas")


@pytest.mark.parametrize("counts", [True, False])
def test_partitioned_equals_in_memory(counts):
    res, fac = _random_case(11, n_res=500, n_fac=12)
    expect = coverage(res, fac, [300, 700], group="zone", counts=counts)
    per, summary = coverage_partitioned(
        dask_geopandas.from_geopandas(res, npartitions=4),
        fac,
        [300, 700],
        group="zone",
        counts=counts,
    )
    pd.testing.assert_frame_equal(
        per.loc[expect.residents.index], expect.residents, check_dtype=False, check_index_type=False
    )
    pd.testing.assert_frame_equal(summary, expect.summary, check_index_type=False)
