"""Reconnect back-off (R11): at least WaitMinimum, doubling, then constant."""

import random

from ocppsim.core.backoff import BackOff


def test_without_randomness_the_delay_doubles_then_stays() -> None:
    b = BackOff(wait_minimum=3, random_range=0, repeat_times=2)
    rng = random.Random(1)
    assert [b.delay(k, rng) for k in range(5)] == [3, 6, 12, 12, 12]


def test_random_part_stays_in_bounds() -> None:
    b = BackOff(wait_minimum=1, random_range=2, repeat_times=3)
    rng = random.Random(7)
    for k in range(8):
        factor = 2 ** min(k, 3)
        for _ in range(200):
            d = b.delay(k, rng)
            assert 1 * factor <= d <= 3 * factor
