"""Server configuration from the environment: the autopilot ranges (short sessions for the
fault suite, benchmarks/chaos.py)."""

from __future__ import annotations

import pytest

from ocppsim.config import Config, ConfigError


def test_autopilot_ranges_default_to_the_chargers_own() -> None:
    config = Config.from_env({})
    assert config.autopilot_energy_wh is None
    assert config.autopilot_gap_s is None


def test_autopilot_ranges_are_read_as_low_high() -> None:
    config = Config.from_env(
        {"OCPPSIM_AUTOPILOT_ENERGY_WH": "100-400", "OCPPSIM_AUTOPILOT_GAP_S": " 0.5-3 "}
    )
    assert config.autopilot_energy_wh == (100.0, 400.0)
    assert config.autopilot_gap_s == (0.5, 3.0)
    assert Config.from_env({"OCPPSIM_AUTOPILOT_GAP_S": "2"}).autopilot_gap_s == (2.0, 2.0)


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("OCPPSIM_AUTOPILOT_ENERGY_WH", "lots"),
        ("OCPPSIM_AUTOPILOT_ENERGY_WH", "50-400"),  # targets are whole 100 Wh: 50 rounds to 0
        ("OCPPSIM_AUTOPILOT_ENERGY_WH", "400-100"),
        ("OCPPSIM_AUTOPILOT_ENERGY_WH", "100-inf"),
        ("OCPPSIM_AUTOPILOT_GAP_S", "-1-3"),
        ("OCPPSIM_AUTOPILOT_GAP_S", "1-2-3"),
    ],
)
def test_a_bad_autopilot_range_is_a_clear_error(name: str, raw: str) -> None:
    with pytest.raises(ConfigError, match=name):
        Config.from_env({name: raw})
