"""``homelib.pfli.data.subsample_world``: seeded induced sub-networks of a social world
(chapter 11's growing sizes on a folder)."""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from homelib.pfli.data import read_social_world, subsample_world

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "social_world"


@pytest.fixture(scope="module")
def world():
    return read_social_world(FIXTURE)


@pytest.mark.parametrize("share", [0.1, 0.25, 0.5, 0.9])
def test_sizes_and_edges_only_among_kept_users(world, share):
    sub = subsample_world(world, share, seed=4)
    k = round(share * world.n_users)
    assert sub.n_users == k
    assert sub.users.user_id.tolist() == list(range(k))
    assert sub.n_places == world.n_places and sub.orgs.equals(world.orgs)
    # find which original users were kept: the same rows, in order
    order = np.random.default_rng(4).permutation(world.n_users)
    kept = np.sort(order[:k])
    cols = [c for c in world.users.columns if c != "user_id"]
    assert sub.users[cols].equals(world.users.iloc[kept][cols].reset_index(drop=True))
    # the induced edges: exactly the original edges with both ends kept, renumbered
    pos = {int(u): i for i, u in enumerate(kept)}
    expect = sorted((pos[int(u)], pos[int(v)]) for u, v in world.edges
                    if int(u) in pos and int(v) in pos)
    assert sorted(map(tuple, sub.edges.tolist())) == expect
    assert (sub.edges[:, 0] < sub.edges[:, 1]).all() and sub.edges.max() < k
    assert sub.adjacency.shape == (k, k) and sub.adjacency.nnz == 2 * len(expect)
    assert sub.stats["subsample"] == {"share": share, "seed": 4, "of_users": world.n_users}


def test_share_one_is_the_input_world(world):
    full = subsample_world(world, 1.0, seed=9)
    assert full.users.equals(world.users)
    assert full.places.equals(world.places) and full.orgs.equals(world.orgs)
    assert np.array_equal(full.edges, world.edges)
    assert (full.adjacency != world.adjacency).nnz == 0


def test_seeded_and_nested(world):
    a, b = subsample_world(world, 0.3, seed=1), subsample_world(world, 0.3, seed=1)
    assert a.users.equals(b.users) and np.array_equal(a.edges, b.edges)
    assert not a.users.equals(subsample_world(world, 0.3, seed=2).users)
    # one seed: the users of a smaller share are among those of a larger one
    cols = ["current_place", "hometown", "work"]
    small, large = subsample_world(world, 0.2, seed=1), subsample_world(world, 0.6, seed=1)
    order = np.random.default_rng(1).permutation(world.n_users)
    assert set(order[:small.n_users]) <= set(order[:large.n_users])
    assert len(small.users[cols].merge(large.users[cols].drop_duplicates())) >= small.n_users


def test_input_is_not_mutated(world):
    before = copy.deepcopy(world)
    sub = subsample_world(world, 0.5, seed=0)
    sub.users.loc[0, "hometown"] = -1
    sub.places.loc[0, "lat"] = 0.0
    assert world.users.equals(before.users) and world.places.equals(before.places)
    assert np.array_equal(world.edges, before.edges) and world.stats == before.stats
    assert (world.adjacency != before.adjacency).nnz == 0


@pytest.mark.parametrize("share", [0.0, -0.5, 1.01, float("nan"), "half", True, None])
def test_bad_share_is_named(world, share):
    with pytest.raises(ValueError, match=r"^share: must be a number in \(0, 1\]; got"):
        subsample_world(world, share, seed=0)


def test_a_share_that_keeps_nobody_is_named(world):
    with pytest.raises(ValueError, match="share: 0.0001 of 744 users keeps no user"):
        subsample_world(world, 0.0001, seed=0)


def test_empty_edges_subsample():
    from homelib.pfli.data import world_from_tables

    pl = pd.DataFrame({"place_id": [0], "lat": [48.85], "lon": [2.35]})
    us = pd.DataFrame({"user_id": range(3), "current_place": 0, "hometown": -1, "work": -1,
                       "current_visible": True, "hometown_visible": False,
                       "work_visible": False, "friends_visible": True})
    sub = subsample_world(world_from_tables(pl, us, [[0, 1]]), 0.34, seed=0)
    assert sub.n_users == 1 and sub.edges.shape == (0, 2) and sub.adjacency.nnz == 0
