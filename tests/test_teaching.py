"""The course kit: answer checks, the student edition and the syllabus's lab times."""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from homelib import io, pipeline, teaching

# ---------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------


def test_check_accepts_equal_answers_of_every_kind(capsys):
    teaching.check("a number", 0.1 + 0.2, 0.3)
    teaching.check("an array", [1.0, np.nan], np.array([1.0, np.nan]))
    teaching.check("a series", pd.Series([1, 2], index=["a", "b"]), pd.Series([1.0, 2.0], index=["a", "b"]))
    teaching.check("a table", pd.DataFrame({"x": [1.0]}), pd.DataFrame({"x": [1]}))
    teaching.check("a mapping", {"k": [1, 2]}, {"k": (1, 2)})
    teaching.check("a word", "H2SEA", "H2SEA")
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 6 and all(line.startswith("✓ ") for line in out)
    assert out[3] == "✓ a table: all 1 values of a 1 x 1 table match"


@pytest.mark.parametrize(("student", "expected", "message"), [
    (0.31, 0.3, "✗ x: expected 0.3, got 0.31"),
    ([1.0, 2.0, 3.0], [1.0, 2.5, 3.0], "1 of 3 values differ; first at index 1: expected 2.5, got 2"),
    ([1.0, 2.0], [1.0, 2.0, 3.0], "expected shape (3,), got shape (2,)"),
    ({"a": 1}, {"a": 1, "b": 2}, "keys differ: missing ['b'], unexpected []"),
    ({"a": 1, "b": 3}, {"a": 1, "b": 2}, "['b'] expected 2, got 3"),
    ("XGBoost", "H2SEA", "expected 'H2SEA', got 'XGBoost'"),
    (None, 1.0, "got None (does the function return?)"),
    ([1.0], pd.Series([1.0]), "expected a Series, got list"),
    (pd.Series([1.0, 2.0], index=["a", "b"]), pd.Series([1.0, 2.0], index=["a", "c"]), "Series.index are different"),
])
def test_check_says_what_differs(student, expected, message):
    with pytest.raises(teaching.CheckFailed) as err:
        teaching.check("x", student, expected)
    assert message in str(err.value)
    assert isinstance(err.value, AssertionError)


def test_check_tolerances_and_the_unanswered_placeholder():
    teaching.check("close", 1.0 + 1e-8, 1.0)
    with pytest.raises(teaching.CheckFailed):
        teaching.check("too far", 1.01, 1.0)
    teaching.check("loose", 1.01, 1.0, rtol=0.02)
    with pytest.raises(NotImplementedError, match="x: no answer yet"):
        teaching.check("x", ..., 1.0)


# ---------------------------------------------------------------------------
# exercises and the student edition
# ---------------------------------------------------------------------------


def _chapter():
    """A small chapter: an implement-it exercise, an answer exercise and a prose one."""
    return new_notebook(cells=[
        new_markdown_cell("# 99. Test chapter"),
        new_code_cell("import numpy as np\nbase = 2", metadata={"tags": ["parameters"]}),
        new_markdown_cell("```{exercise}\n:label: ex-99-1\n:class: coding\nWrite twice().\n```"),
        new_markdown_cell("```{solution-start} ex-99-1\n:class: dropdown\n```"),
        new_code_cell('def twice(x):\n    """Twice x."""\n    return 2 * x', metadata={"tags": ["student-stub"]}),
        new_code_cell("assert twice(base) == 4", metadata={"tags": ["student-keep"]}),
        new_code_cell("shown = twice(21)\nshown"),
        new_markdown_cell("The answer is 42."),
        new_markdown_cell("```{solution-end}\n```"),
        new_markdown_cell("```{exercise}\n:label: ex-99-2\n:class: coding\nCompute the mean.\n```"),
        new_markdown_cell("```{solution-start} ex-99-2\n```"),
        new_code_cell("values = np.arange(5)\nmean = float(values.mean())", metadata={"tags": ["student-stub"]}),
        new_code_cell("from homelib import teaching\nteaching.check('mean', mean, 2.0)",
                      metadata={"tags": ["student-keep"]}),
        new_markdown_cell("```{solution-end}\n```"),
        new_markdown_cell("```{exercise}\n:label: ex-99-3\nWhy?\n```\n\n```{solution} ex-99-3\n"
                          ":class: dropdown\nBecause.\n```\n\nText after."),
    ])


def test_chapter_exercises_reads_labels_classes_and_solution_cells():
    ex = {e.label: e for e in teaching.chapter_exercises(_chapter())}
    assert list(ex) == ["ex-99-1", "ex-99-2", "ex-99-3"]
    assert [ex[k].coding for k in ex] == [True, True, False]
    assert ex["ex-99-1"].gated and ex["ex-99-1"].cells == [4, 5, 6, 7] and ex["ex-99-1"].stubs == [4]
    assert ex["ex-99-1"].checks_answer and ex["ex-99-2"].checks_answer
    assert not ex["ex-99-3"].gated and ex["ex-99-3"].code == []


@pytest.mark.parametrize(("cells", "message"), [
    (["```{solution-start} ex-1\n```"], "solution of 'ex-1', which is no exercise"),
    (["```{exercise}\n:label: ex-1\n```", "```{solution-start} ex-1\n```"], "has no solution-end"),
    (["```{solution-end}\n```"], "solution-end without solution-start"),
])
def test_unbalanced_solution_markers_are_refused(cells, message):
    nb = new_notebook(cells=[new_markdown_cell(c) for c in cells])
    with pytest.raises(teaching.StudentEditionError, match=message):
        teaching.chapter_exercises(nb)


def test_student_notebook_drops_solutions_stubs_code_and_keeps_checks():
    source = _chapter()
    before = nbformat.writes(source)
    student = teaching.student_notebook(source)
    assert nbformat.writes(source) == before, "the source notebook was changed"
    text = [c.source for c in student.cells]
    joined = "\n".join(text)
    for gone in ("solution-start", "solution-end", "{solution}", "return 2 * x", "The answer is 42",
                 "shown = twice", "Because.", "np.arange(5)"):
        assert gone not in joined, gone
    assert "raise NotImplementedError('ex-99-1: write the body of twice()')" in joined
    assert '"""Twice x."""' in joined
    assert "values = mean = ..." not in joined and "values = ...\nmean = ..." in joined
    assert "assert twice(base) == 4" in joined and "Text after." in joined
    assert sum(":label: ex-99-" in t for t in text) == 3


def test_the_student_edition_runs_up_to_the_first_stub():
    student = teaching.student_notebook(_chapter())
    ns: dict = {}
    with pytest.raises(NotImplementedError, match="ex-99-1"):
        for cell in student.cells:
            if cell.cell_type == "code":
                exec(cell.source, ns)  # noqa: S102 - the test's own notebook
    ns["twice"] = lambda x: 2 * x  # the student writes it ...
    with pytest.raises(NotImplementedError, match="mean: no answer yet"):
        for cell in student.cells[student.cells.index(next(
                c for c in student.cells if "assert twice" in c.source)):]:
            if cell.cell_type == "code":
                exec(cell.source, ns)  # noqa: S102


def test_a_kept_cell_may_not_read_a_name_only_a_dropped_cell_defines():
    nb = new_notebook(cells=[
        new_markdown_cell("```{exercise}\n:label: ex-1\n```"),
        new_markdown_cell("```{solution-start} ex-1\n```"),
        new_code_cell("answer = 42"),
        new_code_cell("assert answer == 42", metadata={"tags": ["student-keep"]}),
        new_markdown_cell("```{solution-end}\n```"),
    ])
    with pytest.raises(teaching.StudentEditionError, match=r"reads \['answer'\]"):
        teaching.student_notebook(nb)


@pytest.mark.parametrize(("source", "message"), [
    ("for i in range(3):\n    print(i)", "line 1 is a For"),
    ("x.attr = 3", "line 1 is a Assign"),
    ("import numpy as np", "nothing to write"),
])
def test_stub_cells_that_cannot_be_stubbed(source, message):
    with pytest.raises(teaching.StudentEditionError, match=message):
        teaching.stub_source(source, "ex-1")


def test_write_student_edition_every_chapter(tmp_path):
    written = teaching.write_student_edition(tmp_path)
    assert [p.name for p in written] == [p.name for p in pipeline.notebook_paths().values()]
    assert (tmp_path / "README.md").exists()
    for path in written:
        nb = nbformat.read(path, as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
        text = "\n".join(c.source for c in nb.cells)
        assert "solution-start" not in text and "{solution}" not in text, path.name
        for cell in nb.cells:
            if "student-stub" in cell.metadata.get("tags", []):
                assert "NotImplementedError" in cell.source or "= ..." in cell.source, path.name


def test_student_chapter_00_runs_to_its_first_stub(tmp_path):
    """The student edition of chapter 00, run by Papermill with its ci parameters, executes every
    cell up to the first exercise to write and stops there with NotImplementedError."""
    import papermill as pm

    [student] = teaching.write_student_edition(tmp_path, [pipeline.notebook_paths()["00_overview"]])
    params = pipeline.load_profile("ci").notebooks["00_overview"]
    out = tmp_path / "out.ipynb"
    with pytest.raises(pm.PapermillExecutionError) as err:
        pm.execute_notebook(str(student), str(out), parameters=params, kernel_name="python3",
                            cwd=str(io.project_root()), progress_bar=False)
    assert err.value.ename == "NotImplementedError"
    nb = nbformat.read(out, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    failed = [i for i, c in enumerate(code) if any(o.output_type == "error" for o in c.outputs)]
    assert len(failed) == 1
    first_stub = next(i for i, c in enumerate(code) if "student-stub" in c.metadata.get("tags", []))
    assert failed[0] > first_stub and "student-keep" in code[failed[0]].metadata.get("tags", [])
    assert all(c.execution_count is not None for c in code[: failed[0]])


# ---------------------------------------------------------------------------
# lab times
# ---------------------------------------------------------------------------


def test_lab_times_table_from_a_manifest(tmp_path):
    manifest = {"profile": "ci", "git_commit": "abc1234", "notebooks": {
        "00_overview": {"status": "ok", "wall_time_s": 12.4, "executed": "2026-03-01T10:00:00+00:00"},
        "01_survey": {"status": "failed", "wall_time_s": 3.0},
    }}
    page = tmp_path / "syllabus.md"
    page.write_text(f"# S\n\n{teaching.TIMES_BEGIN}\nold\n{teaching.TIMES_END}\n\nend\n")
    teaching.update_syllabus(page, manifest, ["00_overview", "01_survey", "10_claims"])
    text = page.read_text()
    assert "old" not in text and text.endswith("\n\nend\n")
    assert "| 00_overview | 12 | 2026-03-01 |" in text
    assert "| 01_survey | not measured yet | - |" in text
    assert "| 10_claims | not measured yet | - |" in text
    assert "commit `abc1234`" in text
    teaching.update_syllabus(page, manifest)  # idempotent
    assert page.read_text().count(teaching.TIMES_BEGIN) == 1


def test_update_syllabus_refuses_a_page_without_markers(tmp_path):
    page = tmp_path / "syllabus.md"
    page.write_text("# S\n")
    with pytest.raises(ValueError, match="no lab-times markers"):
        teaching.update_syllabus(page, {"notebooks": {}})
    with pytest.raises(ValueError, match="no 'notebooks' mapping"):
        teaching.lab_times({"profile": "ci"})


def test_cli(tmp_path, capsys):
    assert teaching.main(["student", "--out", str(tmp_path / "s")]) == 0
    assert "00_overview.ipynb" in capsys.readouterr().out
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"profile": "ci"}))
    assert teaching.main(["times", "--manifest", str(bad)]) == 1
    assert "no 'notebooks' mapping" in capsys.readouterr().err
