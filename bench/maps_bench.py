"""How long each shipped map takes to build and render, and how large its page is.

Run: ``.venv/bin/python bench/maps_bench.py``. Prints one row per map and language
(seconds to build and render, page size in KB); the main job writes the same pages.
Was written by 0.1's ``build_maps`` into the user's output folder; a measurement
belongs here instead.
"""

import time

import tianhe_geo
from tianhe_geo.present.mapkit import finish, render_html
from tianhe_geo.present.maps import MAP_NAMES, shipped_map


def main() -> None:
    layers = tianhe_geo.load_layers()
    start = time.perf_counter()
    result = tianhe_geo.analyse(layers)
    print(f"analysis: {time.perf_counter() - start:.2f} s")
    print(f"{'map':<24}{'lang':<6}{'seconds':>9}{'KB':>9}")
    for name in MAP_NAMES:
        for lang in ("zh", "en"):
            start = time.perf_counter()
            page = render_html(finish(shipped_map(name, layers, result, lang)))
            seconds = time.perf_counter() - start
            print(f"{name:<24}{lang:<6}{seconds:>9.2f}{len(page.encode()) / 1024:>9.0f}")


if __name__ == "__main__":
    main()
