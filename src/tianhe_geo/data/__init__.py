"""Data: files, schemas and layers.

Where the shipped files are, reading and writing files, OSM extracts, layer
schemas, loaded layers, published plan facts, scenario specifications and the
population grid.

May import only :mod:`tianhe_geo.foundation`.
"""
