"""homelib.maps in Chromium, on a small site the test writes (no book build needed).

The same figure is opened four ways: offline (tiles aborted), with tiles (served by the
test), with no tile layer, and with the scripts missing (a notebook opened outside the
book). The interactive map must draw its layers whenever its scripts load, and the
static image must be visible exactly when the map cannot show a background.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import folium
import pytest

from homelib import maps

pytestmark = pytest.mark.enable_socket

PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>maps</title></head>
<body style="width:900px">{body}</body></html>"""


def _map(tiles: str | None = "OpenStreetMap") -> folium.Map:
    m = folium.Map(location=[47.0, 3.0], zoom_start=5, tiles=tiles)
    for lat, lon in [(48.85, 2.35), (45.76, 4.84), (43.3, 5.37)]:
        folium.CircleMarker([lat, lon], radius=5, color="red", fill=True,
                            tooltip=f"{lat}, {lon}").add_to(m)
    folium.PolyLine([[48.85, 2.35], [43.3, 5.37]], color="green", weight=2).add_to(m)
    return m


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("site")
    maps.copy_assets(root / "_static" / maps.ASSET_SUBDIR)
    (root / "book").mkdir()
    with_tiles = maps.map_with_fallback(_map(), caption="Three cities and a line")
    no_tiles = maps.map_with_fallback(_map(tiles=None), caption="No tile layer")
    (root / "book" / "tiles.html").write_text(PAGE.format(body=with_tiles._repr_html_()))
    (root / "book" / "none.html").write_text(PAGE.format(body=no_tiles._repr_html_()))
    # the scripts' URL points nowhere, as in a notebook opened outside the book
    lost = maps.map_with_fallback(_map(), caption="Scripts missing", assets="../nowhere/")
    (root / "book" / "lost.html").write_text(PAGE.format(body=lost._repr_html_()))
    return root


def _open(browser, base: str, page: str, *, tile_png: bytes | None):
    """Open ``page``; remote requests are aborted, or answered with ``tile_png``."""
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    errors: list[str] = []

    def route(r):
        if urlsplit(r.request.url).hostname in {"127.0.0.1", "localhost"}:
            r.continue_()
        elif tile_png is not None and "tile.openstreetmap.org" in r.request.url:
            r.fulfill(status=200, content_type="image/png", body=tile_png)
        else:
            r.abort()

    context.route("**/*", route)
    page_ = context.new_page()
    page_.on("pageerror", lambda e: errors.append(str(e)))
    page_.goto(base + page, wait_until="load")
    page_.wait_for_timeout(500)
    frame = page_.query_selector("figure.homelib-map iframe").content_frame()
    state = page_.evaluate("""() => {
        const f = document.querySelector("figure.homelib-map");
        const img = f.querySelector("img.homelib-map-static");
        return {tiles: f.getAttribute("data-tiles"),
                static: img.checkVisibility() && img.naturalWidth > 0,
                note: f.querySelector(".homelib-map-note").checkVisibility(),
                caption: f.querySelector("figcaption").innerText};
    }""")
    state["vectors"] = frame.evaluate(
        "() => document.querySelectorAll('.leaflet-overlay-pane path').length")
    state["leaflet"] = frame.evaluate("() => !!document.querySelector('.leaflet-container')")
    state["errors"] = errors
    context.close()
    return state


def test_offline_draws_layers_and_shows_static_image(browser, serve, site):
    with serve(site) as base:
        s = _open(browser, base, "book/tiles.html", tile_png=None)
    assert s["leaflet"] and s["vectors"] == 4, s  # 3 circle markers and 1 line
    assert s["tiles"] == "failed" and s["static"] and s["note"], s
    assert s["caption"] == "Three cities and a line"
    assert not s["errors"], s


def test_with_tiles_hides_static_image(browser, serve, site):
    png = (site / "_static" / maps.ASSET_SUBDIR / "leaflet" / "images" / "layers.png")
    with serve(site) as base:
        s = _open(browser, base, "book/tiles.html", tile_png=png.read_bytes())
    assert s["leaflet"] and s["vectors"] == 4, s
    assert s["tiles"] == "loaded" and not s["static"] and not s["note"], s
    assert not s["errors"], s


def test_no_tile_layer_needs_no_static_image(browser, serve, site):
    with serve(site) as base:
        s = _open(browser, base, "book/none.html", tile_png=None)
    assert s["leaflet"] and s["vectors"] == 4, s
    assert s["tiles"] == "none" and not s["static"], s


def test_missing_scripts_leave_static_image(browser, serve, site):
    with serve(site) as base:
        s = _open(browser, base, "book/lost.html", tile_png=None)
    assert not s["leaflet"], s
    assert s["tiles"] == "pending" and s["static"], s
