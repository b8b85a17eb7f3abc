"""Analysis: distance and coverage methods valid for any city.

Straight-line and street-network cost tables, the distance method every result
carries, population-weighted coverage, the two-step floating catchment,
facility siting (maximal and set covering), and coverage on partitioned
(dask) frames. May import only :mod:`tianhe_geo.foundation` and
:mod:`tianhe_geo.data`.

Inside, imports run one way too: ``_inputs`` and ``_radius_counts`` at the
bottom, then the producers ``euclidean`` and ``network``, then ``distance``,
then ``coverage``, then ``access``, ``siting`` and ``partitioned``.
"""

from typing import Any


def __getattr__(name: str) -> Any:
    # tianhe-geo 0.1 had a module ``tianhe_geo.analysis`` holding the planning
    # questions, which now live in ``tianhe_geo.plan``. Its names resolve here for
    # one release, with a DeprecationWarning; the import is made by name at run time
    # so the layer rule (analysis never imports plan) holds for all other code.
    from .._deprecated import moved_name

    return moved_name(__name__, name)
