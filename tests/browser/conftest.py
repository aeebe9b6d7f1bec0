"""Browser tests: Chromium through Playwright, a local HTTP server, and a per-page summary.

Run by ``make browser-test`` (after ``make book``); not part of ``make test``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "_build" / "browser-report.json"
CHROMIUM = os.environ.get("HOMELIB_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}


def is_local(url: str) -> bool:
    """A request to the test's own server (anything else is aborted)."""
    return urlsplit(url).hostname in LOCAL_HOSTS


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def http_server(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on 127.0.0.1 (a free port) in a thread; yields the base URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0),
                                functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def serve():
    """``with serve(directory) as base_url:`` a local HTTP server for the test."""
    return http_server


@pytest.fixture(scope="session")
def browser():
    """The distribution's Chromium, headless (Playwright downloads no browser here)."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: `make browser-test` installs it "
                    "(apt-get install -y chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


_STARTED: list[float] = []


def pytest_sessionstart(session):
    _STARTED.append(time.time())


def pytest_terminal_summary(terminalreporter):
    # only a report written by this run (test_book.py writes it when its tests end)
    if not REPORT.is_file() or (_STARTED and REPORT.stat().st_mtime < _STARTED[0]):
        return
    results = json.loads(REPORT.read_text())
    tr = terminalreporter
    tr.section("book pages in Chromium (offline)")
    tr.write_line(f"{'page':36} {'s':>5} {'MB':>5} {'blocked':>7} {'maps':>4} {'math':>4} "
                  "problems")
    for page, r in sorted(results.items()):
        if "redirect" in r:
            tr.write_line(f"{page:36} redirect to {r['redirect']}")
            continue
        tr.write_line(f"{page:36} {r['seconds']:5.1f} {r['bytes'] / 2**20:5.2f} "
                      f"{r['remote_blocked']:7d} {r['maps']:4d} {r['formulas']:4d} "
                      f"{len(r['problems'])}")
