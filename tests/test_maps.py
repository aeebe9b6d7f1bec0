"""homelib.maps: offline folium maps with a static fallback (no browser; see tests/browser)."""

import base64
import re
from html.parser import HTMLParser

import branca.colormap as cm
import folium
import pytest
from folium import plugins

from homelib import maps


def _map() -> folium.Map:
    m = folium.Map(location=[47.0, 3.0], zoom_start=5)
    group = folium.FeatureGroup(name="cities").add_to(m)
    folium.CircleMarker([48.85, 2.35], radius=5, color="red", fill=True,
                        popup="Paris").add_to(group)
    folium.Circle([45.76, 4.84], radius=6000, color="#440154ff").add_to(group)
    folium.Marker([43.3, 5.37]).add_to(m)
    folium.PolyLine([[48.85, 2.35], [43.3, 5.37]], color="green", weight=2).add_to(m)
    folium.Polygon([[46, 1], [46, 2], [47, 2]], color="blue").add_to(m)
    folium.LayerControl().add_to(m)
    return m


class _Attrs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(markup: str) -> list[tuple[str, dict]]:
    p = _Attrs()
    p.feed(markup)
    return p.tags


def test_every_folium_default_is_local_or_dropped():
    # a folium upgrade that changes a CDN URL must fail here, not in a reader's browser
    for name, url in [*folium.Map.default_js, *folium.Map.default_css]:
        assert url in maps.LOCAL_ASSETS or name in maps._DROPPED, (name, url)


def test_offline_html_loads_only_local_scripts():
    m = _map()
    cmap = cm.linear.viridis.scale(0, 1)
    cmap.add_to(m)  # branca adds d3 from a CDN when rendered
    doc = maps.offline_html(m, assets="A/")
    srcs = [a.get("src") or a.get("href") for t, a in _tags(doc) if t in ("script", "link")]
    srcs = [s for s in srcs if s]
    assert "A/leaflet/leaflet.js" in srcs and "A/leaflet/leaflet.css" in srcs
    assert "A/jquery/jquery.min.js" in srcs and "A/d3/d3.js" in srcs
    assert all(s.startswith("A/") for s in srcs), srcs
    assert "bootstrap" not in doc and "awesome-markers" not in doc
    assert "tile.openstreetmap.org" in doc  # tiles still come from the network when online


def test_offline_html_leaves_the_map_unchanged():
    m = _map()
    before = (list(m.default_js), list(m.default_css), m._parent, set(m.__dict__))
    first = maps.offline_html(m)
    assert (list(m.default_js), list(m.default_css), m._parent, set(m.__dict__)) == before
    # (folium itself renders a map differently the second time: a repeated tile addTo)
    assert maps.offline_html(m).startswith(first[:1000])
    assert "cdn.jsdelivr.net" in m._repr_html_()  # folium's own display is untouched


def test_icon_and_plugins_without_local_copy_are_refused():
    m = folium.Map(location=[0, 0])
    folium.Marker([0, 0], icon=folium.Icon(color="red")).add_to(m)
    with pytest.raises(ValueError, match="folium.Icon"):
        maps.offline_html(m)
    m = folium.Map(location=[0, 0])
    plugins.MarkerCluster([[0, 0], [1, 1]]).add_to(m)
    with pytest.raises(ValueError, match="markercluster"):
        maps.offline_html(m)


def test_map_layers_reads_nested_markers_and_lines():
    layers = maps.map_layers(_map())
    p = layers.points
    assert p["kind"].tolist() == ["circle_marker", "circle", "marker"]
    assert p["color"].tolist() == ["red", "#440154ff", "#3388ff"]
    assert p["radius"].tolist() == [5.0, 4.0, 6.0]
    lines = layers.lines
    assert lines.groupby("line").size().tolist() == [2, 4]  # the polygon is closed
    assert lines.loc[lines.line == 1, ["lat", "lon"]].iloc[0].tolist() == \
        lines.loc[lines.line == 1, ["lat", "lon"]].iloc[-1].tolist()
    assert lines.loc[lines.line == 0, "color"].unique().tolist() == ["green"]


def test_static_figure_needs_something_to_draw():
    with pytest.raises(ValueError, match="no markers"):
        maps.static_figure(folium.Map(location=[0, 0]))


def test_map_with_fallback_html():
    m = _map()
    fig = maps.map_with_fallback(m, caption="Cities <and> a line")
    out = fig._repr_html_()
    tags = _tags(out)
    figure = [a for t, a in tags if t == "figure"][0]
    assert figure["class"] == "homelib-map" and figure["data-tiles"] == "pending"
    iframe = [a for t, a in tags if t == "iframe"][0]
    assert iframe["srcdoc"] == fig.document  # the single-quoted srcdoc round-trips
    img = [a for t, a in tags if t == "img"][0]
    png = base64.b64decode(img["src"].split(",", 1)[1])
    assert png.startswith(b"\x89PNG") and png == fig.png
    assert "<figcaption" in out and "Cities &lt;and&gt; a line</figcaption>" in out
    assert not re.search(r'(src|href)="https?://', out)


def test_map_with_fallback_accepts_a_given_image_and_checks_its_arguments(tmp_path):
    m = _map()
    png = maps.map_with_fallback(m, caption="x").png
    assert maps.map_with_fallback(m, png, caption="x").png == png
    path = tmp_path / "map.png"
    path.write_bytes(png)
    assert maps.map_with_fallback(m, path, caption="x").png == png
    with pytest.raises(ValueError, match="not a PNG"):
        maps.map_with_fallback(m, b"GIF89a", caption="x")
    with pytest.raises(TypeError, match="static"):
        maps.map_with_fallback(m, 3, caption="x")
    with pytest.raises(ValueError, match="caption"):
        maps.map_with_fallback(m, caption="  ")
    with pytest.raises(ValueError, match="ratio"):
        maps.map_with_fallback(m, caption="x", ratio="tall")


def test_copy_assets_has_what_leaflet_css_refers_to(tmp_path):
    written = maps.copy_assets(tmp_path)
    css = (tmp_path / "leaflet" / "leaflet.css").read_text()
    for ref in re.findall(r"url\((images/[^)]+)\)", css):
        assert (tmp_path / "leaflet" / ref).is_file(), ref
    for _, _, rel in maps.LOCAL_ASSETS.values():
        assert tmp_path / rel in written


def test_color_legend_draws_the_scale_without_d3():
    m = _map()
    cmap = cm.linear.viridis.scale(100.0, 300.0)
    maps.color_legend(cmap, "income <yuan>", n_stops=3).add_to(m)
    doc = maps.offline_html(m, assets="A/")
    # the gradient runs through the scale's colours at its ends and middle, in order
    stops = [cmap.rgb_hex_str(v) for v in (100.0, 200.0, 300.0)]
    assert f"linear-gradient(to right, {', '.join(stops)})" in doc
    assert "<span>100</span><span>300</span>" in doc
    assert "income &lt;yuan&gt;" in doc  # the caption is escaped
    assert "d3" not in [s.split("/")[1] for t, a in _tags(doc) if t == "script"
                        for s in [a.get("src") or ""] if s.startswith("A/")]
    with pytest.raises(ValueError, match="n_stops"):
        maps.color_legend(cmap, "x", n_stops=1)


def test_h2sea_maps_load_no_d3():
    # chapter 02's maps: the page-weight budget of the browser test has no room for d3
    from homelib.h2sea.report import collected

    src, ds = collected._example_dataset()
    doc = maps.offline_html(collected.folium_map(src, ds, max_homes=3), assets="A/")
    assert "A/d3/d3.js" not in doc and "linear-gradient" in doc
