"""QGIS styles for exported layers, in the maps' colours (QML and SLD text).

:mod:`tianhe_geo.pipeline` stores them with each layer of an exported
GeoPackage (its ``layer_styles`` table), so QGIS opens the layers drawn as the
web maps draw them: facilities by category, parks by tier, structure by kind,
the other layers in their map colour.
"""

from __future__ import annotations

from xml.sax.saxutils import quoteattr

import geopandas as gpd

from .maps import COLOURS, OVERVIEW, RAMP

#: Layer -> (colour, coded column whose value picks the colour, fill opacity).
_LAYER_COLOURS: dict[str, tuple[str, str | None, float]] = {
    spec.layer: (spec.colour, spec.colour_by, spec.fill_opacity) for spec in reversed(OVERVIEW)
}
_LAYER_COLOURS |= {
    "facilities": ("#3388ff", "category", 0.45),
    "boundary": ("#000000", None, 0.0),
    "residents": (RAMP[2], None, 0.45),
}

_SYMBOL = {"points": "marker", "lines": "line", "polygons": "fill"}


def _rgba(colour: str, opacity: float = 1.0) -> str:
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"{r},{g},{b},{round(opacity * 255)}"


def _symbol_qml(name: str, family: str, colour: str, opacity: float) -> str:
    kind = _SYMBOL[family]
    if kind == "marker":
        cls = "SimpleMarker"
        props = {"name": "circle", "color": _rgba(colour), "outline_color": "35,35,35,255"}
        props["size"] = "2.6"
    elif kind == "line":
        cls, props = "SimpleLine", {"line_color": _rgba(colour), "line_width": "0.6"}
    else:
        cls = "SimpleFill"
        props = {"color": _rgba(colour, opacity), "outline_color": _rgba(colour)}
        props |= {"style": "solid", "outline_width": "0.4"}
    options = "".join(
        f'<Option type="QString" name="{k}" value={quoteattr(v)}/>' for k, v in props.items()
    )
    return (
        f'<symbol type="{kind}" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f'<layer class="{cls}" enabled="1" pass="0" locked="0">'
        f'<Option type="Map">{options}</Option></layer></symbol>'
    )


def layer_style(name: str, gdf: gpd.GeoDataFrame) -> tuple[str, str] | None:
    """The QGIS style of an exported layer: QML and SLD text, in the maps' colours.

    Parameters
    ----------
    name : str
        Layer name (``facilities``, ``parks``...).
    gdf : geopandas.GeoDataFrame
        The layer as written (its geometry type and coded values).

    Returns
    -------
    (str, str) or None
        QML and SLD documents; None for a layer without geometry.
    """
    families = gdf.geom_type.str.replace("Multi", "", regex=False).map(
        {"Point": "points", "LineString": "lines", "Polygon": "polygons"}
    )
    if families.dropna().empty:
        return None
    family = str(families.mode().iloc[0])  # a mixed layer is drawn as its commonest type
    colour, column, opacity = _LAYER_COLOURS.get(name, ("#3388ff", None, 0.45))
    values = []
    if column and column in gdf.columns:
        present = set(gdf[column].dropna().astype(str))
        values = [(v, c) for v, c in COLOURS.get(column, {}).items() if v in present]
    if values:
        cats = "".join(
            f'<category symbol="{i}" value={quoteattr(v)} label={quoteattr(v)} render="true"/>'
            for i, (v, _) in enumerate(values)
        )
        symbols = "".join(
            _symbol_qml(str(i), family, c, opacity) for i, (_, c) in enumerate(values)
        )
        renderer = (
            f'<renderer-v2 type="categorizedSymbol" attr={quoteattr(column or "")} '
            f'symbollevels="0" enableorderby="0" forceraster="0"><categories>{cats}</categories>'
            f"<symbols>{symbols}</symbols></renderer-v2>"
        )
    else:
        renderer = (
            '<renderer-v2 type="singleSymbol" symbollevels="0" enableorderby="0" '
            f'forceraster="0"><symbols>{_symbol_qml("0", family, colour, opacity)}</symbols>'
            "</renderer-v2>"
        )
    qml = (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>"
        f'<qgis version="3.34.0" styleCategories="Symbology">{renderer}</qgis>'
    )
    return qml, _sld(name, family, colour if not values else values, opacity, column)


def _sld(
    name: str, family: str, colours: str | list[tuple[str, str]], opacity: float, column: str | None
) -> str:
    """The same style as an OGC SLD 1.1 document (for tools other than QGIS)."""
    rules = [(None, colours)] if isinstance(colours, str) else colours
    body = ""
    for value, colour in rules:
        flt = (
            f"<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>{column}</ogc:PropertyName>"
            f"<ogc:Literal>{value}</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter>"
            if value is not None
            else ""
        )
        if family == "points":
            sym = (
                "<se:PointSymbolizer><se:Graphic><se:Mark><se:WellKnownName>circle"
                f'</se:WellKnownName><se:Fill><se:SvgParameter name="fill">{colour}'
                "</se:SvgParameter></se:Fill></se:Mark><se:Size>7</se:Size></se:Graphic>"
                "</se:PointSymbolizer>"
            )
        elif family == "lines":
            sym = (
                f'<se:LineSymbolizer><se:Stroke><se:SvgParameter name="stroke">{colour}'
                "</se:SvgParameter></se:Stroke></se:LineSymbolizer>"
            )
        else:
            sym = (
                f'<se:PolygonSymbolizer><se:Fill><se:SvgParameter name="fill">{colour}'
                f'</se:SvgParameter><se:SvgParameter name="fill-opacity">{opacity}'
                '</se:SvgParameter></se:Fill><se:Stroke><se:SvgParameter name="stroke">'
                f"{colour}</se:SvgParameter></se:Stroke></se:PolygonSymbolizer>"
            )
        body += f"<se:Rule><se:Name>{value or name}</se:Name>{flt}{sym}</se:Rule>"
    return (
        '<?xml version="1.0" encoding="UTF-8"?><StyledLayerDescriptor version="1.1.0" '
        'xmlns="http://www.opengis.net/sld" xmlns:ogc="http://www.opengis.net/ogc" '
        'xmlns:se="http://www.opengis.net/se"><NamedLayer>'
        f"<se:Name>{name}</se:Name><UserStyle><se:FeatureTypeStyle>{body}"
        "</se:FeatureTypeStyle></UserStyle></NamedLayer></StyledLayerDescriptor>"
    )
