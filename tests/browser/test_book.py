"""The built book in a real browser, with no network: ``make browser-test``.

Serves ``_build/html`` from a local HTTP server and opens every page in the
distribution's Chromium through Playwright. Any request to another host (map tiles,
a CDN) is aborted by the test and counted apart; everything else must work. For each
page it checks:

- no failed request to the local server (network error or HTTP status >= 400);
- no console error and no uncaught exception (load errors of the aborted remote
  requests excepted: they are counted with them);
- formulas typeset: every ``.math`` element holds a MathJax container, no MathJax
  error, and no raw ``\\(``, ``\\[`` or ``$$`` in the visible text (code excepted);
- every folium map's Leaflet container drew vector layers (markers, circles, lines),
  and sits in a ``homelib.maps.map_with_fallback`` figure with a caption whose static
  image is visible while the tiles are missing;
- every image loaded (``naturalWidth > 0``; map tiles excepted);
- no table cell ends in "..." (a truncated table);
- the page and the local files it loads weigh at most 5 MB.

It saves a full-page screenshot of each page directly in ``book/`` (chapters, data
cards, provenance; not the API reference) to ``_build/screenshots/<page>.png``, and a
JSON report to ``_build/browser-report.json``. Not part of ``make test``
(``tests/browser`` is in pytest's ``norecursedirs``); run after ``make book``.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("HOMELIB_SITE", ROOT / "_build" / "html"))
SHOTS = ROOT / "_build" / "screenshots"
REPORT = ROOT / "_build" / "browser-report.json"
MAX_PAGE_BYTES = 5 * 1024 * 1024
SKIP_DIRS = {"_static", "_sources", "_images", "_downloads"}
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="\d+;\s*url=([^"]+)"', re.I)

pytestmark = pytest.mark.enable_socket  # pytest-socket, if a run disables sockets

RESULTS: dict[str, dict] = {}


def site_pages() -> list[str]:
    """Every HTML page of the built site, relative to it (``book/00_overview.html``)."""
    if not SITE.is_dir():
        return []
    return sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html")
                  if not SKIP_DIRS & set(p.relative_to(SITE).parts[:-1]))


def shot_name(page: str) -> str:
    """``book/00_overview.html`` -> ``00_overview``; pages outside ``book/`` keep a prefix."""
    p = Path(page)
    return p.stem if p.parent.as_posix() in (".", "book") else page[:-5].replace("/", "__")


def wants_screenshot(page: str) -> bool:
    """The book's own pages (chapters, data cards, provenance...): ``book/*.html``, not
    the generated API reference, index or search pages (they cost time, show little)."""
    return Path(page).parent.as_posix() == "book"


def _local(url: str) -> bool:
    return urlsplit(url).hostname in {"127.0.0.1", "localhost"}


@pytest.fixture(scope="module")
def server(serve):
    with serve(SITE) as base:
        yield base


@pytest.fixture(scope="module", autouse=True)
def report():
    REPORT.unlink(missing_ok=True)
    yield
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(RESULTS, indent=2, sort_keys=True) + "\n")


# One evaluation in the page once it has loaded and MathJax has finished.
PAGE_JS = r"""
async () => {
  const out = {};
  const imgs = Array.from(document.images);
  imgs.forEach(i => { if (i.loading === "lazy") { i.loading = "eager"; } });
  await Promise.all(imgs.map(i => i.complete ? null : new Promise(r => {
    i.addEventListener("load", r); i.addEventListener("error", r); setTimeout(r, 15000);
  })));
  out.broken_images = imgs.filter(i => i.naturalWidth === 0)
    .map(i => (i.currentSrc || i.src || "(no src)").slice(0, 100));

  const maths = Array.from(document.querySelectorAll(".math"));
  out.math = maths.length;
  out.mjx = document.querySelectorAll("mjx-container").length;
  out.untypeset = maths.filter(m => !m.querySelector("mjx-container"))
    .map(m => m.textContent.trim().slice(0, 60));
  out.math_errors = Array.from(document.querySelectorAll("mjx-merror"))
    .map(e => (e.getAttribute("data-mjx-error") || e.textContent).slice(0, 80));

  const skip = new Set(["SCRIPT", "STYLE", "PRE", "CODE", "TEXTAREA", "NOSCRIPT",
                        "MJX-CONTAINER", "MJX-ASSISTIVE-MML"]);
  const raw = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue;
    if (!/\\\(|\\\[|\$\$/.test(t)) { continue; }
    let el = n.parentElement, ok = true;
    for (let a = el; a; a = a.parentElement) { if (skip.has(a.tagName)) { ok = false; break; } }
    if (!ok || !el.checkVisibility()) { continue; }
    const i = t.search(/\\\(|\\\[|\$\$/);
    raw.push(t.slice(Math.max(0, i - 20), i + 40).replace(/\s+/g, " "));
  }
  out.raw_math = raw;

  out.truncated = Array.from(document.querySelectorAll("td, th"))
    .map(c => c.innerText.trim())
    .filter(t => t.endsWith("...") || t.endsWith("\u2026"))
    .map(t => t.slice(-60));

  out.figures = Array.from(document.querySelectorAll("figure.homelib-map")).map(f => {
    const img = f.querySelector("img.homelib-map-static");
    const cap = f.querySelector("figcaption");
    return {id: f.id, tiles: f.getAttribute("data-tiles") || "",
            caption: cap ? cap.innerText.trim() : "",
            static_visible: !!img && img.checkVisibility() && img.naturalWidth > 0};
  });
  return out;
}
"""

# In each iframe: the folium maps it holds.
FRAME_JS = r"""
() => Array.from(document.querySelectorAll(".folium-map")).map(m => ({
  leaflet: m.classList.contains("leaflet-container"),
  vectors: m.querySelectorAll(".leaflet-overlay-pane path, .leaflet-overlay-pane canvas, "
                              + ".leaflet-marker-icon").length,
  width: m.clientWidth, height: m.clientHeight,
  broken_images: Array.from(m.querySelectorAll("img:not(.leaflet-tile)"))
    .filter(i => i.complete && i.naturalWidth === 0).map(i => i.src.slice(0, 100)),
}))
"""


def _wait_for_math(page) -> None:
    # Sphinx defines window.MathJax as the configuration; MathJax itself adds startup.
    page.evaluate("""() => (window.MathJax && MathJax.startup && MathJax.startup.promise)
        ? MathJax.startup.promise.then(() => true) : false""")


def check_page(browser, base: str, page_path: str) -> tuple[list[str], dict]:
    """Open one page and return (problems, facts)."""
    problems: list[str] = []
    remote: list[str] = []
    local: dict[str, None] = {}
    console_errors: list[str] = []
    failed: list[str] = []

    def route(r):
        if _local(r.request.url):
            r.continue_()
        else:
            remote.append(r.request.url)
            r.abort()

    def on_console(msg):
        if msg.type != "error":
            return
        where = (msg.location or {}).get("url", "")
        if msg.text.startswith("Failed to load resource") and where and not _local(where):
            return  # an aborted remote request, counted in `remote`
        console_errors.append(f"{msg.text[:200]} ({where.replace(base, '/')[:80]})")

    context = browser.new_context(viewport={"width": 1280, "height": 900},
                                  service_workers="block")
    context.route("**/*", route)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda e: console_errors.append(f"uncaught: {str(e)[:200]}"))
    page.on("request", lambda r: local.setdefault(r.url) if _local(r.url) else None)
    page.on("requestfailed", lambda r: failed.append(f"{r.url.replace(base, '/')} "
                                                     f"({r.failure})") if _local(r.url) else None)
    page.on("response", lambda r: failed.append(f"{r.url.replace(base, '/')} (HTTP {r.status})")
            if _local(r.url) and r.status >= 400 else None)
    t0 = time.perf_counter()
    try:
        page.goto(base + page_path, wait_until="load", timeout=60_000)
        _wait_for_math(page)
        try:
            page.wait_for_load_state("networkidle", timeout=10_000)
        except Exception:  # noqa: BLE001 - a page that keeps polling is still checked
            pass
        facts = page.evaluate(PAGE_JS)

        maps = []
        for k, el in enumerate(page.query_selector_all("iframe")):
            frame = el.content_frame()
            if frame is None:
                continue
            found = frame.evaluate(FRAME_JS)
            in_figure = el.evaluate("e => !!e.closest('figure.homelib-map')")
            for m in found:
                m["iframe"] = k
                m["in_figure"] = in_figure
                maps.append(m)
        facts["maps"] = maps
        if wants_screenshot(page_path):
            SHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SHOTS / f"{shot_name(page_path)}.png"), full_page=True)
    finally:
        context.close()
    seconds = time.perf_counter() - t0

    size = 0
    for url in local:
        f = SITE / unquote(urlsplit(url).path).lstrip("/")
        if f.is_dir():
            f = f / "index.html"
        if f.is_file():
            size += f.stat().st_size

    problems += [f"failed request: {f}" for f in failed]
    problems += [f"console error: {e}" for e in console_errors]
    if facts["math"] and not facts["mjx"]:
        problems.append(f"{facts['math']} formulas, none typeset by MathJax")
    elif facts["untypeset"]:
        problems.append(f"{len(facts['untypeset'])} formulas not typeset, e.g. "
                        f"{facts['untypeset'][0]!r}")
    problems += [f"MathJax error: {e!r}" for e in facts["math_errors"]]
    problems += [f"raw LaTeX visible: {t!r}" for t in facts["raw_math"][:5]]
    for m in facts["maps"]:
        name = f"map in iframe {m['iframe']}"
        if not m["leaflet"]:
            problems.append(f"{name}: Leaflet did not start (its scripts did not load)")
        elif m["vectors"] == 0:
            problems.append(f"{name}: no markers, circles or lines drawn")
        if m["width"] == 0 or m["height"] == 0:
            problems.append(f"{name}: zero size ({m['width']}x{m['height']})")
        problems += [f"{name}: image not loaded: {s}" for s in m["broken_images"]]
        if not m["in_figure"]:
            problems.append(f"{name}: no static fallback and caption "
                            "(show it with homelib.maps.map_with_fallback)")
    for f in facts["figures"]:
        if not f["caption"]:
            problems.append(f"map figure {f['id']}: empty caption")
        if f["tiles"] not in ("loaded", "none") and not f["static_visible"]:
            problems.append(f"map figure {f['id']}: tiles {f['tiles'] or 'unknown'} but the "
                            "static image is not visible")
    problems += [f"image not loaded: {s}" for s in facts["broken_images"]]
    problems += [f"truncated table cell: {t!r}" for t in facts["truncated"][:5]]
    if len(facts["truncated"]) > 5:
        problems.append(f"... and {len(facts['truncated']) - 5} more truncated cells")
    if size > MAX_PAGE_BYTES:
        problems.append(f"page weighs {size / 2**20:.1f} MB with its assets (limit "
                        f"{MAX_PAGE_BYTES / 2**20:.0f} MB)")
    hosts = sorted({urlsplit(u).hostname or u[:30] for u in remote})
    info = {"seconds": round(seconds, 2), "bytes": size, "remote_blocked": len(remote),
            "remote_hosts": hosts, "formulas": facts["math"], "maps": len(facts["maps"]),
            "map_figures": len(facts["figures"]), "problems": problems}
    return problems, info


PAGES = site_pages()


def test_site_is_built():
    assert PAGES, f"no HTML pages in {SITE}: build the book first (make book)"
    assert len({shot_name(p) for p in PAGES}) == len(PAGES), "screenshot names collide"


@pytest.mark.parametrize("page_path", PAGES)
def test_page(page_path, browser, server):
    html = (SITE / page_path).read_text(encoding="utf-8", errors="replace")
    redirect = REDIRECT.search(html[:2000])
    if redirect:
        # a redirect stub (index.html): its target must exist; the target is tested itself
        target = (SITE / page_path).parent / redirect.group(1).split("#")[0]
        RESULTS[page_path] = {"redirect": redirect.group(1), "problems": []}
        assert target.is_file(), f"{page_path}: redirects to missing {redirect.group(1)}"
        return
    problems, info = check_page(browser, server, page_path)
    RESULTS[page_path] = info
    assert not problems, f"{page_path}:\n  - " + "\n  - ".join(problems)
