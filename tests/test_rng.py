from __future__ import annotations

import numpy as np

from scoresim.core.rng import Streams


def test_same_key_same_draws_and_prefix_stable() -> None:
    a = Streams(5).stream("m", "d")
    b = Streams(5).stream("m", "d")
    assert np.array_equal(a.uniform(3, 100), b.uniform(3, 100))
    # Agent i's draw does not depend on how many agents there are (births append ids).
    assert np.array_equal(a.uniform(3, 1000)[:100], b.uniform(3, 100))
    assert np.array_equal(a.normal(3, 1000)[:10], b.normal(3, 10))


def test_streams_differ_by_seed_module_decision_step_and_sub() -> None:
    base = Streams(5).stream("m", "d").uniform(0, 50)
    others = [
        Streams(6).stream("m", "d").uniform(0, 50),
        Streams(5).stream("m2", "d").uniform(0, 50),
        Streams(5).stream("m", "d2").uniform(0, 50),
        Streams(5).stream("m", "d").uniform(1, 50),
        Streams(5).stream("m", "d").uniform(0, 50, sub=1),
    ]
    for o in others:
        assert not np.array_equal(base, o)


def test_uniforms_look_uniform_and_normals_normal() -> None:
    s = Streams(1).stream("m", "d")
    u = s.uniform(0, 200_000)
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 0.005
    z = s.normal(1, 200_000)
    assert np.isfinite(z).all()
    assert abs(z.mean()) < 0.01 and abs(z.std() - 1) < 0.01


def test_choice_index_in_range() -> None:
    sizes = np.array([0, 1, 5, 100])
    picked = Streams(2).stream("m", "c").choice_index(0, sizes)
    assert picked[0] == -1 and picked[1] == 0
    assert 0 <= picked[2] < 5 and 0 <= picked[3] < 100


def test_draw_log_sees_every_block() -> None:
    seen: list[tuple[str, str, int, int]] = []
    s = Streams(3, log=lambda m, d, t, u: seen.append((m, d, t, u.size))).stream("m", "d")
    s.uniform(4, 7)
    s.bernoulli(5, 0.5, 3)
    assert seen == [("m", "d", 4, 7), ("m", "d", 5, 3)]
