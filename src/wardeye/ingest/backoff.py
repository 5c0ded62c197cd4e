"""Capped exponential backoff with jitter between reconnect attempts to one camera."""

from __future__ import annotations

import random

from wardeye.config.models import ReconnectConfig


class Backoff:
    """initial, 2x initial, 4x ... up to the cap, each plus a random fraction (``jitter``) so a
    hundred cameras behind one failed switch don't all reconnect in the same instant."""

    def __init__(self, config: ReconnectConfig, rng: random.Random | None = None) -> None:
        self._config = config
        self._rng = rng or random.Random()
        self._failures = 0

    @property
    def failures(self) -> int:
        return self._failures

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt; each call counts one more failure."""
        base = min(
            self._config.max_seconds,
            self._config.initial_seconds * (2 ** min(self._failures, 30)),
        )
        self._failures += 1
        return float(base * (1.0 + self._rng.uniform(0.0, self._config.jitter)))

    def reset(self) -> None:
        self._failures = 0
