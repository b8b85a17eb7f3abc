import numpy as np
import pandas as pd
import pytest

from tianhe_geo import AnalysisInputError
from tianhe_geo.analysis.access import two_step_fca, weighted_mean


def test_two_step_by_hand():
    # Residents a (100 p), b (300 p); facility X (10 doctors) reaches both, Y (4) reaches b only.
    table = pd.DataFrame(
        {
            "origin_id": ["a", "b", "b"],
            "destination_id": ["X", "X", "Y"],
            "cost_m": [200.0, 900.0, 50.0],
        }
    )
    pop = pd.Series({"a": 100, "b": 300, "c": 50})
    sup = pd.Series({"X": 10, "Y": 4})
    s = two_step_fca(table, pop, sup, 1000)
    # X: 10/400; Y: 4/300. a = 10/400; b = 10/400 + 4/300; c unreachable = 0.
    assert s["a"] == pytest.approx(1000 * 10 / 400)
    assert s["b"] == pytest.approx(1000 * (10 / 400 + 4 / 300))
    assert s["c"] == 0
    # Supply is conserved: sum(score * pop) / 1000 = total supply reached.
    assert (s * pop).sum() / 1000 == pytest.approx(14)
    narrow = two_step_fca(table, pop, sup, 500)
    assert narrow["b"] == pytest.approx(1000 * 4 / 300)
    with pytest.raises(AnalysisInputError):
        two_step_fca(table, pop, sup, np.nan)


def test_weighted_mean():
    v = pd.Series([1.0, 3.0, 5.0])
    w = pd.Series([1, 3, 0])
    g = pd.Series(["x", "x", "y"])
    m = weighted_mean(v, w, g)
    assert m["x"] == pytest.approx(2.5)
    assert np.isnan(m["y"])
