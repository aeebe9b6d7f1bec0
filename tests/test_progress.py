"""The library's progress rule (issue 9 item 6): bars on a terminal, silent under CI or a pipe."""

from __future__ import annotations

import io
import sys

import pytest

from homelib import progress


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_silent_without_a_terminal(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    assert progress.quiet() is True
    assert list(progress.bar(range(3))) == [0, 1, 2]
    assert sys.stderr.getvalue() == ""


def test_drawn_on_a_terminal_and_silent_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    err = _Tty()
    monkeypatch.setattr(sys, "stderr", err)
    assert progress.quiet() is False
    assert list(progress.bar(range(4), desc="folds", unit="fold")) == [0, 1, 2, 3]
    assert "folds" in err.getvalue()
    monkeypatch.setenv("CI", "1")
    assert progress.quiet() is True
    assert progress.quiet(True) is False  # an explicit request wins over the rule


def test_enabled_must_be_a_bool():
    with pytest.raises(TypeError, match="enabled"):
        progress.quiet(1)


@pytest.mark.parametrize("module, name", [
    ("homelib.pfli.evaluation", "bar"), ("homelib.h2sea.protocol", "bar"),
    ("homelib.pfli.scale.partitioned", "bar"), ("homelib.claims.simulated", "progress"),
    ("homelib.pfli.world", "progress"), ("homelib.pipeline", "progress"),
])
def test_long_steps_report_through_the_shared_rule(module, name):
    import importlib

    mod = importlib.import_module(module)
    assert getattr(mod, name) in (progress.bar, progress)
    assert "tqdm" not in vars(mod) or module == "homelib.pipeline"  # pipeline keeps tqdm.write


def test_pfli_folds_show_a_bar(monkeypatch):
    from homelib.pfli.evaluation import evaluate_pfli
    from homelib.pfli.model import PFLIConfig
    from homelib.pfli.world import SocialConfig, build_social_world

    monkeypatch.delenv("CI", raising=False)
    w = build_social_world(SocialConfig(n_users=400, n_places=20, n_multi_orgs=3), seed=1)
    err = _Tty()
    monkeypatch.setattr(sys, "stderr", err)
    evaluate_pfli(w, config=PFLIConfig(train_users=80), folds=2, ks=[10], with_baselines=False)
    assert "PFLI folds" in err.getvalue()
