"""Reconnect waits: exponential, capped, jittered, reset after a healthy run."""

from __future__ import annotations

import random

from wardeye.config.models import ReconnectConfig
from wardeye.ingest.backoff import Backoff


def test_doubles_up_to_the_cap_with_bounded_jitter() -> None:
    backoff = Backoff(ReconnectConfig(initial_seconds=1, max_seconds=8, jitter=0.2),
                      random.Random(7))  # fmt: skip
    delays = [backoff.next_delay() for _ in range(7)]
    for delay, base in zip(delays, [1, 2, 4, 8, 8, 8, 8], strict=True):
        assert base <= delay <= base * 1.2
    assert len({round(d, 6) for d in delays[3:]}) > 1  # jitter spreads cameras apart
    backoff.reset()
    assert 1 <= backoff.next_delay() <= 1.2


def test_no_jitter_is_exact() -> None:
    backoff = Backoff(ReconnectConfig(initial_seconds=0.5, max_seconds=30, jitter=0))
    assert [backoff.next_delay() for _ in range(4)] == [0.5, 1.0, 2.0, 4.0]
    assert backoff.failures == 4
