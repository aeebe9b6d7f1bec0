"""Sphinx extension: every script the book needs is served by the built site, not a CDN.

- MathJax 3.2.2 from the pinned ``sphinx-mathjax-offline`` wheel: its ``static/``
  folder joins ``html_static_path``, so Sphinx copies it to ``_static/mathjax/``; the
  book's ``mathjax_path`` (``_config.yml``) must point at a file there.
- The folium maps' Leaflet, jQuery and d3 (``homelib.maps.copy_assets``, from the pinned
  ``xstatic-*`` wheels) are copied to ``_static/homelib-maps/`` when the build ends.
- A map embedded in a page at another depth than ``book/`` gets its asset prefix
  (``homelib.maps.ASSET_URL``, written for ``book/`` pages) rewritten for that page.
- A script listed twice in a page's head is written once: sphinx-thebe 0.3.1 adds its
  inline ``const THEBE_JS_URL = ...`` twice under Sphinx 7.4, and the second copy is
  a console error ("Identifier 'THEBE_JS_URL' has already been declared") on every page.

Registered in ``_config.yml`` under ``sphinx: local_extensions``. See "The book
offline" in CONTRIBUTING.md.
"""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ExtensionError
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

logger = logging.getLogger(__name__)

MATHJAX_DIST = "sphinx-mathjax-offline"


def mathjax_static_dir() -> Path:
    """The wheel's ``static/`` folder (it holds ``mathjax/``)."""
    try:
        dist = metadata.distribution(MATHJAX_DIST)
    except metadata.PackageNotFoundError as e:
        raise ExtensionError(f"offline_assets: {MATHJAX_DIST} is not installed "
                             "(pip install -r requirements.txt)") from e
    static = Path(str(dist.locate_file(f"{MATHJAX_DIST}/static")))
    if not (static / "mathjax").is_dir():
        raise ExtensionError(f"offline_assets: no mathjax/ in {static}")
    return static


def _config_inited(app: Sphinx, config: Config) -> None:
    static = mathjax_static_dir()
    path = str(config.mathjax_path)
    if "//" in path or path.startswith("/"):
        raise ExtensionError(f"offline_assets: mathjax_path is {path!r}, a remote URL; set it "
                             "to a file below _static, e.g. mathjax/tex-mml-chtml.js")
    if not (static / path.split("?", 1)[0]).is_file():
        raise ExtensionError(f"offline_assets: mathjax_path {path!r} is not in {static}")
    config.html_static_path = [*config.html_static_path, str(static)]


def _script_key(js: object) -> str:
    # an inline script has filename None or "" depending on who added it
    name = getattr(js, "filename", js) or ""
    return repr((str(name), sorted(getattr(js, "attributes", {}).items())))


def _page_context(app: Sphinx, pagename: str, templatename: str, context: dict,
                  doctree) -> None:
    from homelib import maps

    scripts = context.get("script_files")
    if scripts:
        seen: set[str] = set()
        unique = []
        for js in scripts:
            key = _script_key(js)
            if key not in seen:
                seen.add(key)
                unique.append(js)
        context["script_files"] = unique
    body = context.get("body")
    if not body or maps.ASSET_URL not in body:
        return
    here = relative_uri(app.builder.get_target_uri(pagename), f"_static/{maps.ASSET_SUBDIR}/")
    if here != maps.ASSET_URL:
        context["body"] = body.replace(maps.ASSET_URL, here)


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    from homelib import maps

    written = maps.copy_assets(Path(app.outdir) / "_static" / maps.ASSET_SUBDIR)
    logger.info("offline_assets: %d map asset files copied to _static/%s", len(written),
                maps.ASSET_SUBDIR)


def setup(app: Sphinx) -> dict:
    app.setup_extension("sphinx.ext.mathjax")
    app.connect("config-inited", _config_inited)
    app.connect("html-page-context", _page_context)
    app.connect("build-finished", _build_finished)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
