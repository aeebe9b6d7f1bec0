"""The API reference part of the book, one page per module, generated from the package.

:func:`module_names` lists every module of ``homelib`` in the order of the
book (core, then one wing per study); :func:`write_pages` writes
``book/api/<module>.md`` (an ``automodule`` page each) and
:func:`toc_entries` the matching ``_toc.yml`` lines. ``tests/test_registry.py``
fails when a module has no page, so the reference cannot miss a new module.

Examples
--------
>>> names = module_names()
>>> names[0], "homelib.h2sea.models" in names
('homelib.io', True)
"""

from __future__ import annotations

import re
from pathlib import Path

__all__ = ["GROUPS", "module_names", "page_text", "write_pages", "toc_entries",
           "update_toc", "sections_to_rubrics", "setup"]

GROUPS: tuple[tuple[str, str], ...] = (
    ("homelib", "The core"),
    ("homelib.h2sea", "H2SEA wing"),
    ("homelib.pfli", "PFLI wing"),
    ("homelib.exposure", "Exposure wing"),
)
"""The package groups of the reference, in the order of the book."""

_CORE_ORDER = ("io", "params", "geo", "metrics", "pipeline", "registry", "apidoc", "overview")
_SKIP = {"__main__"}


def _package_dir() -> Path:
    return Path(__file__).resolve().parent


def module_names() -> list[str]:
    """Every module of ``homelib`` (not packages' ``__init__``), core first, then each wing.

    Returns
    -------
    list of str
        Dotted module names; the modules of each wing in file order, with its
        ``report`` subpackage last.

    Examples
    --------
    >>> "homelib.pfli.model" in module_names()
    True
    """
    root = _package_dir()
    core = sorted((p.stem for p in root.glob("*.py") if p.stem not in _SKIP | {"__init__"}),
                  key=lambda s: (_CORE_ORDER.index(s) if s in _CORE_ORDER else len(_CORE_ORDER), s))
    names = [f"homelib.{s}" for s in core]
    for wing in sorted(p.name for p in root.iterdir() if (p / "__init__.py").exists()):
        files = sorted(p for p in (root / wing).rglob("*.py") if p.stem not in _SKIP
                       and "__pycache__" not in p.parts and p.name != "__init__.py")
        for f in sorted(files, key=lambda p: (len(p.relative_to(root / wing).parts), str(p))):
            rel = f.relative_to(root).with_suffix("")
            names.append("homelib." + ".".join(rel.parts))
    return names


def page_text(module: str) -> str:
    """The MyST page of one module: a title and an ``automodule`` directive.

    Parameters
    ----------
    module : str
        Dotted module name.

    Returns
    -------
    str

    Examples
    --------
    >>> page_text("homelib.geo").splitlines()[0]
    '# `homelib.geo`'
    """
    return "\n".join([f"# `{module}`", "", "```{eval-rst}", f".. automodule:: {module}",
                      "   :members:", "   :show-inheritance:", "```", ""])


def write_pages(folder: str | Path) -> list[Path]:
    """Write ``<folder>/<module>.md`` for every module; remove pages of modules that are gone.

    Parameters
    ----------
    folder : str or Path
        Usually ``book/api``.

    Returns
    -------
    list of Path
        The pages written.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    keep = set()
    for m in module_names():
        path = folder / f"{m}.md"
        path.write_text(page_text(m))
        keep.add(path.name)
    for old in folder.glob("homelib.*.md"):
        if old.name not in keep:
            old.unlink()
    return [folder / n for n in sorted(keep)]


def toc_entries(prefix: str = "book/api/", indent: int = 10) -> str:
    """The ``_toc.yml`` section lines for the module pages, in the order of the book.

    Parameters
    ----------
    prefix : str
        Path of the pages relative to the book root.
    indent : int
        Spaces before each ``- file:``.

    Returns
    -------
    str

    Examples
    --------
    >>> toc_entries().splitlines()[0].strip()
    '- file: book/api/homelib.io'
    """
    return "\n".join(" " * indent + f"- file: {prefix}{m}" for m in module_names())


def sections_to_rubrics(lines: list[str]) -> list[str]:
    """Turn numpydoc section headers (``Examples`` over ``--------``) into rubrics.

    Module docstrings are not rewritten by numpydoc, so their sections would
    become document sections whose labels collide across the API pages; a
    rubric reads the same and has no label.

    Parameters
    ----------
    lines : list of str
        Docstring lines.

    Returns
    -------
    list of str
        A new list; ``lines`` is not changed.

    Examples
    --------
    >>> sections_to_rubrics(["Intro.", "", "Examples", "--------", ">>> 1", "1"])
    ['Intro.', '', '.. rubric:: Examples', '', '>>> 1', '1']
    """
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        under = nxt.strip()
        if line.strip() and len(under) >= 3 and set(under) == {"-"} and not line.startswith(" "):
            out += [f".. rubric:: {line.strip()}", ""]
            i += 2
            continue
        out.append(line)
        i += 1
    return out


def _process_docstring(app, what, name, obj, options, lines) -> None:  # noqa: ARG001
    if what == "module":
        lines[:] = sections_to_rubrics(lines)


_GENERATED = re.compile(r"^set_\w+_request$")


def _skip_member(app, what, name, obj, skip, options):
    """Skip scikit-learn's generated ``set_*_request`` metadata-routing methods.

    scikit-learn adds them to every estimator class; their docstrings point
    at scikit-learn's own glossary, which this book does not have.
    """
    if _GENERATED.match(name):
        return True
    return None


def setup(app) -> dict:
    """Sphinx extension hook: rubrics for module docstring sections (see ``_config.yml``).

    Parameters
    ----------
    app : sphinx.application.Sphinx

    Returns
    -------
    dict
        Extension metadata.
    """
    app.connect("autodoc-process-docstring", _process_docstring)
    app.connect("autodoc-skip-member", _skip_member)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def update_toc(toc_path: str | Path) -> bool:
    """Rewrite the API section of ``_toc.yml`` between its ``# api-begin`` / ``# api-end`` lines.

    Parameters
    ----------
    toc_path : str or Path
        The book's ``_toc.yml``.

    Returns
    -------
    bool
        Whether the file changed.

    Raises
    ------
    ValueError
        If the markers are missing.
    """
    path = Path(toc_path)
    text = path.read_text()
    begin, end = "# api-begin", "# api-end"
    if begin not in text or end not in text:
        raise ValueError(f"{path}: no '{begin}' / '{end}' lines around the API pages")
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    indent = head.rsplit("\n", 1)[-1]
    new = head + begin + " (generated by python -m homelib.apidoc)\n" + toc_entries(indent=len(indent)) + "\n" + indent + end + tail
    if new != text:
        path.write_text(new)
    return new != text


if __name__ == "__main__":  # pragma: no cover - regenerate the pages and the toc entries
    root = Path(__file__).resolve().parent.parent
    for p in write_pages(root / "book" / "api"):
        print(p)
    update_toc(root / "_toc.yml")
