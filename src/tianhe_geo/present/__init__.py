"""Present: pictures and pages.

The map kit, the shipped maps, charts, tables as people read them, and the report.

Builds everything in memory: never writes a file and never loads a layer (the
pipeline does both). May import every layer below it.
"""
