"""Every published value of data/reference is shown beside a regenerated one, or listed as
not regenerated with a reason; the chapters named do show the files."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest

from homelib import io
from homelib.claims import published as P

ROOT = Path(__file__).resolve().parent.parent


def test_every_published_value_is_covered_exactly_once():
    c = P.coverage()
    v = P.published_values()
    assert len(c) == len(v) > 400
    assert set(c["status"]) == {"shown", "not regenerated"}
    # every value of every data table, counted independently of the registry
    n = 0
    for path in sorted(io.reference_dir().glob("*.csv")):
        if path.stem == "claims":
            continue
        keys, values = P.FILES[path.stem]
        n += len(pd.read_csv(path)) * len(values)
    assert len(c) == n
    nr = P.not_regenerated()
    assert (nr["reason"].str.len() > 20).all()
    assert set(nr["row"]) >= {"l2", "corr_singapore_literature", "cmb_switch_distance"}


def test_a_value_without_a_rule_or_with_two_fails():
    without = tuple(r for r in P.RULES if r.file != "pfli_table8_hiding_u1")
    with pytest.raises(ValueError, match="pfli_table8_hiding_u1.*neither shown"):
        P.coverage(without)
    twice = (*P.RULES, P.Rule("pfli_table8_hiding_u1", "shown", "10_claims"))
    with pytest.raises(ValueError, match="covered by 2 rules"):
        P.coverage(twice)


def test_rules_need_a_chapter_or_a_reason():
    with pytest.raises(ValueError, match="needs its chapter"):
        P.Rule("h2sea_facts", "shown")
    with pytest.raises(ValueError, match="needs a reason"):
        P.Rule("h2sea_facts", "not regenerated")
    with pytest.raises(ValueError, match="unknown file"):
        P.Rule("nope", "shown", "03_h2sea")


def _source(chapter: str) -> str:
    nb = nbformat.read(ROOT / "notebooks" / f"{chapter}.ipynb", as_version=4)
    return "\n".join(c.source for c in nb.cells)


def test_shown_values_are_loaded_by_their_chapter():
    """A chapter named as showing a file loads it (for the survey facts: shows the
    calibration table, whose rows the post-run test checks)."""
    c = P.coverage()
    for (file, chapter), _rows in c[c["status"] == "shown"].groupby(["file", "chapter"]):
        src = _source(chapter)
        if file in ("h2sea_facts", "h2sea_table2_demographics"):  # rows: test_notebooks.py
            assert "write_calibration" in src, chapter
        elif file == "pfli_facts" and chapter == "08_pfli":
            assert '"hometown_work_accuracy"' in src
        else:
            assert file in src, (file, chapter)
