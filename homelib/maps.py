"""Folium maps that work offline: local scripts and a static fallback image.

A folium map loads Leaflet, jQuery and friends from CDNs and its background from a
tile server. Offline (a laptop on a train, CI) that leaves a blank box. This module
makes a map that

- loads its scripts and styles from ``_static/homelib-maps/`` of the built book
  (copied there at build time from the pinned ``xstatic-*`` wheels by
  :func:`copy_assets`, see ``book/_ext/offline_assets.py``), so Leaflet always draws
  the map's markers, circles and lines, with or without a network;
- carries a static PNG of the same layers (matplotlib, embedded as base64) and a
  caption. The PNG is visible until the first map tile has loaded, and stays visible
  when the tiles cannot be loaded (offline) or when the map's scripts never run
  (an untrusted notebook, a notebook opened outside the book).

Notebooks show a map with :func:`map_with_fallback`::

    maps.map_with_fallback(pfli.map_errors(world, pu), caption="Errors of PFLI")

Only folium's Leaflet, jQuery (popups) and d3 (branca colour scales) are served
locally. A colour scale drawn with :func:`color_legend` needs no script at all (branca's
own legend loads all of d3, 330 kB, for one bar). Bootstrap, Font Awesome and Leaflet.awesome-markers (used only by
``folium.Icon``) have no pinned package: they are left out, and a map with a
``folium.Icon`` or any other remote script raises ``ValueError`` instead of drawing a
half-working map.
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

__all__ = [
    "ASSET_URL",
    "ASSET_SUBDIR",
    "LOCAL_ASSETS",
    "MapFigure",
    "MapLayers",
    "asset_files",
    "color_legend",
    "copy_assets",
    "map_layers",
    "map_with_fallback",
    "offline_html",
    "static_figure",
]

#: Where the assets live in the built site, below ``_static``.
ASSET_SUBDIR = "homelib-maps"
#: The URL prefix written into a map's HTML: relative to a page in ``book/`` of the built
#: site (``_build/html/book/NN_name.html`` -> ``_build/html/_static/homelib-maps/``).
#: The book's ``offline_assets`` extension rewrites it for pages at another depth.
ASSET_URL = f"../_static/{ASSET_SUBDIR}/"

#: CDN URL used by folium/branca 0.20/0.8 -> (distribution, file inside it, path below
#: ``_static/homelib-maps``). The versions match: Leaflet 1.9.3 and jQuery 3.7.1 exactly,
#: d3 3.5.17 for branca's 3.5.5 (same 3.5 API).
LOCAL_ASSETS: dict[str, tuple[str, str, str]] = {
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js":
        ("xstatic-leaflet", "xstatic/pkg/leaflet/data/leaflet.js", "leaflet/leaflet.js"),
    "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css":
        ("xstatic-leaflet", "xstatic/pkg/leaflet/data/leaflet.css", "leaflet/leaflet.css"),
    "https://code.jquery.com/jquery-3.7.1.min.js":
        ("xstatic-jquery", "xstatic/pkg/jquery/data/jquery.min.js", "jquery/jquery.min.js"),
    "https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js":
        ("xstatic-d3", "xstatic/pkg/d3/data/d3.js", "d3/d3.js"),
}
# Leaflet's CSS refers to these (marker icon, layer-control button).
_LEAFLET_IMAGES = ["layers.png", "layers-2x.png", "marker-icon.png", "marker-icon-2x.png",
                   "marker-shadow.png"]
# folium.Map defaults with no local copy; none is needed without folium.Icon.
_DROPPED = {"bootstrap", "awesome_markers", "bootstrap_css", "glyphicons_css",
            "awesome_markers_font_css", "awesome_markers_css", "awesome_rotate_css"}
_REMOTE = re.compile(r'<(?:script|link)\b[^>]*?\b(?:src|href)="((?:https?:)?//[^"]+)"')
_DEFAULT_COLOR = "#3388ff"


def asset_files() -> dict[str, Path]:
    """The local files the maps load: path below ``_static/homelib-maps`` -> installed file.

    Raises
    ------
    FileNotFoundError
        A pinned ``xstatic-*`` package is missing or lacks the file.

    Examples
    --------
    >>> files = asset_files()
    >>> sorted(files)[:3]
    ['d3/d3.js', 'jquery/jquery.min.js', 'leaflet/images/layers-2x.png']
    >>> all(p.is_file() for p in files.values())
    True
    """
    out: dict[str, Path] = {}
    entries = list(LOCAL_ASSETS.values())
    entries += [("xstatic-leaflet", f"xstatic/pkg/leaflet/data/images/{n}",
                 f"leaflet/images/{n}") for n in _LEAFLET_IMAGES]
    for dist, inner, dest in entries:
        try:
            path = Path(str(metadata.distribution(dist).locate_file(inner)))
        except metadata.PackageNotFoundError as e:
            raise FileNotFoundError(f"package {dist!r} (in requirements.txt) is not installed: "
                                    f"the maps need its {inner}") from e
        if not path.is_file():
            raise FileNotFoundError(f"package {dist!r} has no {inner} (looked at {path})")
        out[dest] = path
    return dict(sorted(out.items()))


def copy_assets(dest: str | Path) -> list[Path]:
    """Copy the maps' scripts, styles and images into ``dest`` (``.../_static/homelib-maps``).

    Parameters
    ----------
    dest : str or Path
        The target folder (created if missing).

    Returns
    -------
    list of Path
        The files written, sorted.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as d:
    ...     written = copy_assets(d)
    ...     [p.relative_to(d).as_posix() for p in written if p.suffix != ".png"]
    ['d3/d3.js', 'jquery/jquery.min.js', 'leaflet/leaflet.css', 'leaflet/leaflet.js']
    """
    dest = Path(dest)
    written = []
    for rel, src in asset_files().items():
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, target)
        written.append(target)
    return sorted(written)


def color_legend(colormap: Any, caption: str, *, n_stops: int = 8, fmt: str = "{:,.0f}"):
    """A colour bar for a folium map in plain HTML and CSS: no script, no d3.

    branca's ``LinearColormap.add_to(map)`` draws its legend with d3 (330 kB loaded by
    every page that shows it); this element draws the same scale as a CSS gradient with
    its two end values and caption, in the map's lower right corner.

    Parameters
    ----------
    colormap : branca.colormap.LinearColormap
        The scale used to colour the map (its ``vmin``, ``vmax`` and colours are read).
    caption : str
        Text above the bar (HTML-escaped).
    n_stops : int
        Colours sampled along the scale for the gradient (at least 2).
    fmt : str
        Format of the two end values.

    Returns
    -------
    branca.element.MacroElement
        Add it with ``.add_to(folium_map)``.

    Examples
    --------
    >>> import branca.colormap as cm
    >>> import folium
    >>> m = folium.Map(location=[0, 0], zoom_start=2)
    >>> _ = color_legend(cm.linear.viridis.scale(10, 2000), "income").add_to(m)
    >>> doc = m.get_root().render()
    >>> "linear-gradient(to right, #440154" in doc, "2,000" in doc, "d3.min.js" in doc
    (True, True, False)
    """
    from branca.element import MacroElement, Template

    if int(n_stops) < 2:
        raise ValueError(f"n_stops must be at least 2 (got {n_stops!r})")
    lo, hi = float(colormap.vmin), float(colormap.vmax)
    values = np.linspace(lo, hi, int(n_stops))
    stops = ", ".join(colormap.rgb_hex_str(float(v)) for v in values)

    class _Legend(MacroElement):
        _template = Template(
            "{% macro html(this, kwargs) %}"
            '<div style="position:absolute;bottom:24px;right:10px;z-index:1000;'
            "background:rgba(255,255,255,0.85);padding:4px 8px;border-radius:4px;"
            'font:11px sans-serif;color:#222">'
            "<div>{{ this.caption }}</div>"
            '<div style="width:180px;height:10px;margin:2px 0;'
            'background:linear-gradient(to right, {{ this.stops }})"></div>'
            '<div style="display:flex;justify-content:space-between">'
            "<span>{{ this.lo }}</span><span>{{ this.hi }}</span></div></div>"
            "{% endmacro %}")

    legend = _Legend()
    legend._name = "ColorLegend"
    legend.caption = html.escape(str(caption))
    legend.stops = stops
    legend.lo, legend.hi = html.escape(fmt.format(lo)), html.escape(fmt.format(hi))
    return legend


def _walk(element: Any) -> Iterator[Any]:
    for child in list(getattr(element, "_children", {}).values()):
        yield child
        yield from _walk(child)


def _color(options: dict, fill: bool) -> str:
    if fill and options.get("fill") and options.get("fillColor"):
        return str(options["fillColor"])
    return str(options.get("color") or options.get("fillColor") or _DEFAULT_COLOR)


class MapLayers(NamedTuple):
    """The drawable layers of a folium map.

    ``points``: one row per marker (lat, lon, color, radius in pixels, kind), ``lines``:
    one row per vertex (line id, lat, lon, color, weight), in drawing order.

    Parameters
    ----------
    points : DataFrame
        The markers.
    lines : DataFrame
        The vertices of the lines.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(location=[48.9, 2.3])
    >>> _ = folium.CircleMarker([48.9, 2.3], radius=5).add_to(m)
    >>> layers = map_layers(m)
    >>> len(layers.points), len(layers.lines)
    (1, 0)
    """

    points: pd.DataFrame
    lines: pd.DataFrame


def map_layers(folium_map: Any) -> MapLayers:
    """The markers, circles and lines of ``folium_map`` (any depth: feature groups too).

    ``folium.Circle`` (radius in metres) is drawn with a 4-pixel radius; polygons and
    rectangles count as (closed) lines. Other layers (GeoJSON, heat maps) are not read.

    Parameters
    ----------
    folium_map : folium.Map
        The map; it is not changed.

    Returns
    -------
    MapLayers
        Its points and lines.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(location=[48.9, 2.3], zoom_start=5)
    >>> _ = folium.CircleMarker([48.9, 2.3], radius=5, color="red").add_to(m)
    >>> _ = folium.PolyLine([[48.9, 2.3], [45.8, 4.8]], color="green", weight=2).add_to(m)
    >>> layers = map_layers(m)
    >>> layers.points[["lat", "lon", "color", "radius"]].to_dict("records")
    [{'lat': 48.9, 'lon': 2.3, 'color': 'red', 'radius': 5.0}]
    >>> layers.lines[["line", "lat", "lon", "color"]].values.tolist()
    [[0, 48.9, 2.3, 'green'], [0, 45.8, 4.8, 'green']]
    """
    from folium import vector_layers as vl
    from folium.map import Marker

    points: list[dict] = []
    lines: list[dict] = []

    def add_line(coords: Any, options: dict, closed: bool) -> None:
        arr = np.asarray(coords, dtype=float)
        if closed and len(arr) > 2:
            arr = np.vstack([arr, arr[:1]])
        line = len({r["line"] for r in lines})
        for lat, lon in arr:
            lines.append({"line": line, "lat": float(lat), "lon": float(lon),
                          "color": _color(options, fill=False),
                          "weight": float(options.get("weight", 3))})

    for el in _walk(folium_map):
        options = dict(getattr(el, "options", {}) or {})
        if isinstance(el, vl.BaseMultiLocation | vl.Rectangle):
            locs = el.locations
            if isinstance(el, vl.Rectangle):
                (a, b), (c, d) = locs
                locs = [[a, b], [a, d], [c, d], [c, b]]
            closed = not isinstance(el, vl.PolyLine) or isinstance(el, vl.Polygon)
            arr = np.asarray(locs, dtype=object)
            parts = locs if arr.ndim >= 2 and np.asarray(locs[0], dtype=object).ndim == 2 \
                else [locs]
            for part in parts:
                add_line(part, options, closed)
        elif isinstance(el, Marker) and el.location is not None:
            if isinstance(el, vl.CircleMarker):
                kind, radius = "circle_marker", float(options.get("radius", 10))
            elif isinstance(el, vl.Circle):
                kind, radius = "circle", 4.0
            else:
                kind, radius = "marker", 6.0
            points.append({"lat": float(el.location[0]), "lon": float(el.location[1]),
                           "color": _color(options, fill=True), "radius": radius, "kind": kind})
    return MapLayers(
        pd.DataFrame(points, columns=["lat", "lon", "color", "radius", "kind"]),
        pd.DataFrame(lines, columns=["line", "lat", "lon", "color", "weight"]),
    )


def _mpl_color(color: str) -> str | tuple:
    from matplotlib import colors

    try:
        return colors.to_rgba(color)
    except ValueError:
        return colors.to_rgba(_DEFAULT_COLOR)


def static_figure(folium_map: Any, *, title: str | None = None,
                  figsize: tuple[float, float] = (7.0, 4.5)):
    """A matplotlib figure of the map's layers (:func:`map_layers`) in longitude/latitude.

    The aspect ratio is corrected by the cosine of the mean latitude, so shapes look as
    on the web map; colours and marker sizes follow the folium options. Made without
    pyplot, so nothing is shown by a notebook unless returned.

    Parameters
    ----------
    folium_map : folium.Map
        The map (:func:`map_layers` reads its layers).
    title : str, optional
        The axes title.
    figsize : tuple of float, default (7.0, 4.5)
        Figure size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, axes labelled in degrees.

    Raises
    ------
    ValueError
        The map has no markers or lines to draw (pass ``static=`` to
        :func:`map_with_fallback` instead).

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(location=[48.9, 2.3])
    >>> _ = folium.CircleMarker([48.9, 2.3], radius=4).add_to(m)
    >>> fig = static_figure(m, title="one point")
    >>> fig.axes[0].get_title()
    'one point'
    """
    from matplotlib.figure import Figure

    layers = map_layers(folium_map)
    if layers.points.empty and layers.lines.empty:
        raise ValueError("static_figure: the map has no markers, circles or lines to draw; "
                         "pass static= (a matplotlib figure) to map_with_fallback")
    fig = Figure(figsize=figsize)
    ax = fig.add_subplot()
    for _, seg in layers.lines.groupby("line", sort=False):
        ax.plot(seg["lon"], seg["lat"], color=_mpl_color(seg["color"].iat[0]),
                linewidth=max(0.5, 0.75 * float(seg["weight"].iat[0])), zorder=1)
    p = layers.points
    if not p.empty:
        ax.scatter(p["lon"], p["lat"], s=(1.44 * p["radius"].to_numpy()) ** 2,
                   c=[_mpl_color(c) for c in p["color"]], alpha=0.8, linewidths=0,
                   marker="o", zorder=2)
    lats = np.concatenate([p["lat"].to_numpy(), layers.lines["lat"].to_numpy()])
    ax.set_aspect(1.0 / max(np.cos(np.deg2rad(float(np.mean(lats)))), 0.05))
    ax.set_xlabel("longitude (°)")
    ax.set_ylabel("latitude (°)")
    ax.grid(True, linewidth=0.3, alpha=0.5)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


def _check_icons(folium_map: Any) -> None:
    from folium.map import Icon

    for el in _walk(folium_map):
        if isinstance(el, Icon):
            raise ValueError("folium.Icon (Leaflet.awesome-markers) has no offline copy: "
                             "use folium.CircleMarker, or folium.Marker without icon=")


def offline_html(folium_map: Any, *, assets: str = ASSET_URL, notify: bool = True) -> str:
    """The map's standalone HTML document with its scripts and styles loaded from ``assets``.

    ``notify`` adds a small script that reports to the enclosing :class:`MapFigure`
    whether the tiles loaded (it hides the static image) or failed (it keeps it).
    The map is not changed (its script lists are restored after rendering).

    Parameters
    ----------
    folium_map : folium.Map
        The map.
    assets : str, default "../_static/homelib-maps/"
        URL prefix of the local copies of the scripts and styles (:func:`copy_assets`).
    notify : bool, default True
        Add the tile-status script.

    Returns
    -------
    str
        The HTML document.

    Raises
    ------
    ValueError
        The map uses a ``folium.Icon`` or a script/style with no local copy (a plugin);
        the message names it.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(location=[48.9, 2.3])
    >>> doc = offline_html(m, assets="static/")
    >>> '<script src="static/leaflet/leaflet.js">' in doc, "cdn.jsdelivr" in doc
    (True, False)
    """
    from branca.element import Figure

    _check_icons(folium_map)
    own = {k: folium_map.__dict__[k] for k in ("default_js", "default_css")
           if k in folium_map.__dict__}
    parent = folium_map._parent
    folium_map.default_js = [(n, u) for n, u in folium_map.default_js if n not in _DROPPED]
    folium_map.default_css = [(n, u) for n, u in folium_map.default_css if n not in _DROPPED]
    try:
        root = Figure() if parent is None else folium_map.get_root()
        if parent is None:
            root.add_child(folium_map)
        doc = root.render()
    finally:
        folium_map._parent = parent
        for k in ("default_js", "default_css"):
            if k in own:
                folium_map.__dict__[k] = own[k]
            else:
                folium_map.__dict__.pop(k, None)
    for url, (_, _, rel) in LOCAL_ASSETS.items():
        doc = doc.replace(f'"{url}"', f'"{assets}{rel}"')
    remote = sorted(set(_REMOTE.findall(doc)))
    if remote:
        raise ValueError(f"offline_html: no local copy of {remote} (add it to "
                         "homelib.maps.LOCAL_ASSETS with a pinned package, or drop the plugin)")
    if notify:
        cut = doc.rfind("</script>")
        if cut < 0:
            raise ValueError("offline_html: the rendered map has no script")
        doc = doc[:cut] + _notify_js(folium_map.get_name()) + doc[cut:]
    return doc


# Runs in the map's iframe, in the same script block as the map (so before any tile
# event), and tells the enclosing <figure class="homelib-map"> how the tiles did:
# data-tiles = pending | loaded | failed | none (no tile layer).
_NOTIFY_JS = """
    (function () {
      try {
        var map = window[__MAP_NAME__];
        var fig = window.frameElement && window.frameElement.closest(".homelib-map");
        if (!map || !fig) { return; }
        var set = function (state) {
          if (fig.getAttribute("data-tiles") === "loaded") { return; }
          fig.setAttribute("data-tiles", state);
          var show = state === "failed" ? "" : "none";
          fig.querySelector(".homelib-map-static").style.display = show;
          fig.querySelector(".homelib-map-note").style.display = show;
        };
        var tiles = 0;
        map.eachLayer(function (layer) {
          if (layer instanceof L.TileLayer) {
            tiles += 1;
            layer.on("tileload", function () { set("loaded"); });
            layer.on("tileerror", function () { set("failed"); });
          }
        });
        fig.setAttribute("data-tiles", tiles ? "pending" : "none");
        if (!tiles) { set("none"); }
      } catch (err) {
        if (window.console) { console.warn("homelib map state:", err); }
      }
    })();
"""


def _notify_js(map_name: str) -> str:
    return _NOTIFY_JS.replace("__MAP_NAME__", json.dumps(map_name))


_NOTE = ("Map tiles could not be loaded (no network?): the map above draws its layers on "
         "a blank background. The same layers as a static image:")
_UNTRUSTED = ("Interactive map: needs JavaScript (in Jupyter: trust the notebook) and the "
              "book's scripts. A static image follows.")


def _srcdoc(document: str) -> str:
    # The value of a single-quoted attribute: only "&" and "'" need escaping, which keeps
    # folium's many double quotes as they are (html.escape would add ~30% to the page).
    return document.replace("&", "&amp;").replace("'", "&#39;")


@dataclass(frozen=True)
class MapFigure:
    """An interactive map, its static image and a caption; shown in notebooks as HTML.

    ``document`` is the map's standalone HTML (:func:`offline_html`), shown in an
    iframe; ``png`` the static image; ``ratio`` the map's height as a share of its width.

    Parameters
    ----------
    document : str
        The map's standalone HTML.
    png : bytes
        The static image shown until (or unless) the tiles load.
    caption : str
        The caption under the map.
    name : str
        A short name (file names and element ids).
    ratio : str, default "60%"
        Height as a share of the width.

    Examples
    --------
    >>> fig = MapFigure("<html></html>", b"", "One point.", "demo")
    >>> fig.caption, fig.ratio
    ('One point.', '60%')
    """

    document: str
    png: bytes
    caption: str
    name: str
    ratio: str = "60%"

    def _repr_html_(self) -> str:
        src = base64.b64encode(self.png).decode("ascii")
        cap = html.escape(self.caption)
        return (
            f'<figure class="homelib-map" id="homelib-{self.name}" data-tiles="pending" '
            'style="margin:1em 0;">'
            f'<div class="homelib-map-live" style="position:relative;width:100%;height:0;'
            f'padding-bottom:{self.ratio};">'
            f'<span style="color:#565656">{html.escape(_UNTRUSTED)}</span>'
            f'<iframe title="{cap}" srcdoc=\'{_srcdoc(self.document)}\' '
            'style="position:absolute;width:100%;height:100%;left:0;top:0;border:none;" '
            'allowfullscreen></iframe></div>'
            f'<p class="homelib-map-note" style="display:none;font-size:0.9em;'
            f'color:#565656;margin:0.4em 0;">{html.escape(_NOTE)}</p>'
            f'<img class="homelib-map-static" src="data:image/png;base64,{src}" '
            f'alt="Static image: {cap}" style="max-width:100%;height:auto;">'
            f'<figcaption style="font-size:0.9em;">{cap}</figcaption></figure>'
        )


def _png(static: Any) -> bytes:
    from matplotlib.figure import Figure

    if isinstance(static, Figure):
        buf = io.BytesIO()
        static.savefig(buf, format="png", dpi=100, bbox_inches="tight")
        return buf.getvalue()
    if isinstance(static, bytes | bytearray):
        data = bytes(static)
    elif isinstance(static, str | Path):
        data = Path(static).read_bytes()
    else:
        raise TypeError(f"static: expected a matplotlib Figure, PNG bytes or a path, "
                        f"got {type(static).__name__}")
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        raise ValueError("static: not a PNG image")
    return data


def map_with_fallback(folium_map: Any, static: Any = None, *, caption: str,
                      assets: str = ASSET_URL, ratio: str = "60%") -> MapFigure:
    """Show ``folium_map`` offline-proof: local scripts, a static image and a caption.

    Parameters
    ----------
    folium_map : folium.Map
        The map (not changed).
    static : matplotlib Figure, PNG bytes, path or None
        The static image; ``None`` draws the map's own layers (:func:`static_figure`).
    caption : str
        Shown below the map (and as the image's alt text); must not be empty.
    assets : str
        URL prefix of the local scripts (default: right for every page in ``book/``).
    ratio : str
        The map's height as a CSS share of its width.

    Returns
    -------
    MapFigure
        Displays as HTML in notebooks and in the book.

    Examples
    --------
    >>> import folium
    >>> m = folium.Map(location=[48.9, 2.3], zoom_start=5)
    >>> _ = folium.CircleMarker([48.9, 2.3], radius=4, tooltip="Paris").add_to(m)
    >>> fig = map_with_fallback(m, caption="Paris & around")
    >>> out = fig._repr_html_()
    >>> "leaflet/leaflet.js" in out, "https://cdn" in out, "Paris &amp; around" in out
    (True, False, True)
    """
    if not isinstance(caption, str) or not caption.strip():
        raise ValueError(f"map_with_fallback: caption must be a non-empty string, got {caption!r}")
    if not re.fullmatch(r"\d+(\.\d+)?(%|px)", ratio):
        raise ValueError(f"map_with_fallback: ratio must look like '60%' or '400px', got {ratio!r}")
    document = offline_html(folium_map, assets=assets)
    png = _png(static_figure(folium_map) if static is None else static)
    return MapFigure(document=document, png=png, caption=caption.strip(),
                     name=folium_map.get_name(), ratio=ratio)
