"""Reconnect back-off (OCPP 2.0.1 part 4 §5.3, used for every version; reference R11).

The first attempt waits WaitMinimum plus a random part; each failed attempt doubles the delay,
RepeatTimes times at most, then it stays constant. Never tighter than WaitMinimum.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BackOff:
    wait_minimum: float = 3.0
    random_range: float = 10.0
    repeat_times: int = 3

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds before reconnect attempt ``attempt`` (0 for the first after a loss)."""
        factor = float(2 ** min(attempt, self.repeat_times))
        return (self.wait_minimum + rng.uniform(0.0, self.random_range)) * factor
