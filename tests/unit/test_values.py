"""The value rules of 1.6 configuration keys and 2.x variables (protocol/values.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocppsim.protocol import values
from ocppsim.protocol.v16.config import ConfigStore, key_table
from ocppsim.protocol.v201.device_model import DeviceModel

RULES = [
    values.integer(0, 3600),
    values.boolean,
    values.measurands,
    values.TEXT_16,
    values.TEXT_2X,
    values.password,
]


# ---------------------------------------------------------------------- integer


@pytest.mark.parametrize(
    ("text", "stored"),
    [("0", "0"), ("60", "60"), (" 60 ", "60"), ("060", "60"), ("3600", "3600"), ("-0", "0")],
)
def test_v16_9_and_201_integer_accepted_in_canonical_form(text: str, stored: str) -> None:
    assert values.integer(0, 3600)(text) == stored


@pytest.mark.parametrize(
    "text", ["", "-", "x", "1.5", "+5", "1_0", "²", "٣", "--5", "1e3", "3601", "-1", "9" * 40]
)
def test_v16_9_and_201_integer_refuses_non_numbers_and_out_of_range(text: str) -> None:
    assert values.integer(0, 3600)(text) is None


def test_integer_range_may_be_negative() -> None:
    assert values.integer(-10, 10)("-10") == "-10"
    assert values.integer(-10, 10)("-11") is None


# ---------------------------------------------------------------------- boolean


@pytest.mark.parametrize(
    ("text", "stored"),
    [("true", "true"), ("false", "false"), ("True", "true"), ("FALSE", "false"), (" true", "true")],
)
def test_v16_cistring_and_201_boolean_any_case_stored_lowercase(text: str, stored: str) -> None:
    assert values.boolean(text) == stored


@pytest.mark.parametrize("text", ["", "1", "0", "yes", "on", "truee", "t"])
def test_v16_9_and_201_boolean_refuses_other_words(text: str) -> None:
    assert values.boolean(text) is None


# ---------------------------------------------------------------------- measurands


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("", ""),
        ("Voltage", "Voltage"),
        (" Voltage , SoC ", "Voltage,SoC"),
        ("Voltage,,SoC", "Voltage,SoC"),
        (
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC",
            "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage,SoC",
        ),
    ],
)
def test_v16_9_1_and_201_memberlist_measurands_accepted(text: str, stored: str) -> None:
    assert values.measurands(text) == stored


@pytest.mark.parametrize(
    "text",
    ["Frequency", "Voltage,Frequency", "voltage", "Voltage,Voltage", "Voltage;SoC"],
)
def test_v16_9_1_and_201_memberlist_refuses_unknown_and_repeated_members(text: str) -> None:
    assert values.measurands(text) is None


def test_v16_9_1_max_length_keys_report_the_cap_and_every_measurand_fits() -> None:
    config = ConfigStore(key_table(1, True))
    for key in ("MeterValuesSampledDataMaxLength", "StopTxnSampledDataMaxLength"):
        assert config.get_int(key) == values.MAX_MEASURANDS
    assert len(values.MEASURANDS) <= values.MAX_MEASURANDS
    every = ",".join(sorted(values.MEASURANDS))
    assert values.measurands(every) == every


# ---------------------------------------------------------------------- text and password


def test_v16_9_cistring500_and_201_string1000_limits() -> None:
    assert values.TEXT_16("x" * 500) == "x" * 500
    assert values.TEXT_16("x" * 501) is None
    assert values.TEXT_2X("x" * 1000) == "x" * 1000
    assert values.TEXT_2X("x" * 1001) is None
    assert values.TEXT_16(" As Sent ") == " As Sent "


def test_201_security_ctrlr_basic_auth_password_16_to_40_characters() -> None:
    assert values.password("a" * 15) is None
    assert values.password("a" * 16) == "a" * 16
    assert values.password("a" * 40) == "a" * 40
    assert values.password("a" * 41) is None


@given(st.text(max_size=60))
def test_rules_are_total(text: str) -> None:
    for rule in RULES:
        stored = rule(text)
        assert stored is None or isinstance(stored, str)


# ---------------------------------------------------------------------- the stores use them


def test_v16_5_3_change_configuration_stores_the_normalised_value() -> None:
    config = ConfigStore(key_table(2, False))
    assert config.change("AuthorizeRemoteTxRequests", "TRUE") == "Accepted"
    assert config.get("AuthorizeRemoteTxRequests") == "true"
    assert config.get_bool("AuthorizeRemoteTxRequests")
    assert config.change("HeartbeatInterval", " 0120") == "Accepted"
    assert config.get_int("HeartbeatInterval") == 120
    assert config.change("MeterValuesSampledData", "Voltage, Voltage") == "Rejected"
    assert config.change("MeterValuesSampledDataMaxLength", "5") == "Rejected"  # read-only
    assert config.get("MeterValuesSampledDataMaxLength") == str(values.MAX_MEASURANDS)


def test_b05_set_variables_stores_the_normalised_value() -> None:
    model = DeviceModel.standard(
        evses=1,
        dc=False,
        pnc=False,
        identity="CP-1",
        model="Sim-AC",
        vendor="ocppsim",
        heartbeat=300,
        meter_interval=60,
    )

    def set_(component: str, variable: str, value: str) -> str:
        item = {
            "component": {"name": component},
            "variable": {"name": variable},
            "attributeValue": value,
        }
        result, _changed = model.set(item)
        return str(result["attributeStatus"])

    assert set_("AuthCtrlr", "AuthorizeRemoteStart", "True") == "Accepted"
    assert model.value("AuthCtrlr", "AuthorizeRemoteStart") == "true"
    assert set_("SampledDataCtrlr", "TxUpdatedMeasurands", "Voltage , SoC") == "Accepted"
    assert model.value("SampledDataCtrlr", "TxUpdatedMeasurands") == "Voltage,SoC"
    assert set_("SampledDataCtrlr", "TxUpdatedMeasurands", "SoC,SoC") == "Rejected"
    assert set_("TxCtrlr", "StopTxOnEVSideDisconnect", "false") == "Rejected"  # read-only
