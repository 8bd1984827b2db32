"""``protocol.v201.device_model.DeviceModel`` on its own: GetVariables (2.0.1 B06), SetVariables
(B05), GetBaseReport (B07) and GetReport (B08) over the shared table of definitions.

Value formats (boolean spelling, measurand lists, integer syntax) are not pinned here: only
values every rule accepts or refuses are used.
"""

from __future__ import annotations

from typing import Any

import pytest

from ocppsim.protocol.v201.device_model import DeviceModel, standard_table

Item = dict[str, Any]


def station(*, evses: int = 2, heartbeat: int = 300, meter_interval: int = 60) -> DeviceModel:
    """A 2-EVSE AC station; 300 s and 60 s are the table's defaults."""
    return DeviceModel.standard(
        evses=evses,
        dc=False,
        pnc=False,
        identity="CP-1",
        model="Sim-22",
        vendor="ocppsim",
        heartbeat=heartbeat,
        meter_interval=meter_interval,
    )


def item(
    component: str,
    variable: str,
    *,
    value: str | None = None,
    evse: int | None = None,
    component_instance: str | None = None,
    instance: str | None = None,
    attribute: str | None = None,
) -> Item:
    """A GetVariableData or (with ``value``) SetVariableData entry."""
    c: Item = {"name": component}
    if component_instance is not None:
        c["instance"] = component_instance
    if evse is not None:
        c["evse"] = {"id": evse}
    v: Item = {"name": variable}
    if instance is not None:
        v["instance"] = instance
    entry: Item = {"component": c, "variable": v}
    if value is not None:
        entry["attributeValue"] = value
    if attribute is not None:
        entry["attributeType"] = attribute
    return entry


HEARTBEAT = item("OCPPCommCtrlr", "HeartbeatInterval")
PASSWORD = item("SecurityCtrlr", "BasicAuthPassword")
MODEL = item("ChargingStation", "Model")


# ---------------------------------------------------------------------- B06 GetVariables


def test_b06_a_known_variable_is_accepted_with_its_value() -> None:
    result = station().get(HEARTBEAT)
    assert result == {**HEARTBEAT, "attributeStatus": "Accepted", "attributeValue": "300"}
    assert "attributeType" not in result  # echoed only when asked


def test_b06_the_station_s_own_values_are_read() -> None:
    s = station(heartbeat=120)
    assert s.get(HEARTBEAT)["attributeValue"] == "120"
    assert s.get(item("SecurityCtrlr", "Identity"))["attributeValue"] == "CP-1"
    assert s.get(MODEL)["attributeValue"] == "Sim-22"


def test_b06_the_actual_attribute_is_echoed_and_other_attributes_are_not_supported() -> None:
    s = station()
    actual = s.get({**HEARTBEAT, "attributeType": "Actual"})
    assert (actual["attributeType"], actual["attributeStatus"]) == ("Actual", "Accepted")
    for attribute in ("Target", "MinSet", "MaxSet"):
        result = s.get({**HEARTBEAT, "attributeType": attribute})
        assert result["attributeType"] == attribute
        assert result["attributeStatus"] == "NotSupportedAttributeType"
        assert "attributeValue" not in result


@pytest.mark.parametrize(
    "entry",
    [
        item("NoSuchCtrlr", "HeartbeatInterval"),
        item("OCPPCommCtrlr", "HeartbeatInterval", component_instance="Other"),
        item("EVSE", "AvailabilityState", evse=3),  # the station has two EVSEs
        item("EVSE", "AvailabilityState"),  # EVSE variables exist only per EVSE
    ],
    ids=["name", "component instance", "evse beyond the station", "evse missing"],
)
def test_b06_an_unknown_component(entry: Item) -> None:
    result = station().get(entry)
    assert result == {**entry, "attributeStatus": "UnknownComponent"}


@pytest.mark.parametrize(
    "entry",
    [
        item("OCPPCommCtrlr", "NoSuchVariable"),
        item("OCPPCommCtrlr", "MessageTimeout"),  # it exists only as instance "Default"
        item("OCPPCommCtrlr", "HeartbeatInterval", instance="Default"),
        item("DeviceDataCtrlr", "BytesPerMessage", instance="SetVariables"),
    ],
    ids=["name", "instance missing", "instance not defined", "other instance"],
)
def test_b06_an_unknown_variable(entry: Item) -> None:
    result = station().get(entry)
    assert result == {**entry, "attributeStatus": "UnknownVariable"}


def test_b06_variables_by_instance_and_by_evse() -> None:
    s = station()
    timeout = s.get(item("OCPPCommCtrlr", "MessageTimeout", instance="Default"))
    assert (timeout["attributeStatus"], timeout["attributeValue"]) == ("Accepted", "30")
    for evse in (1, 2):
        state = s.get(item("EVSE", "AvailabilityState", evse=evse))
        assert (state["attributeStatus"], state["attributeValue"]) == ("Accepted", "Available")


def test_b06_a_write_only_variable_is_never_read() -> None:
    s = station()
    s.set({**PASSWORD, "attributeValue": "a-password-of-20-ch"})
    result = s.get(PASSWORD)
    assert result == {**PASSWORD, "attributeStatus": "Rejected"}


# ---------------------------------------------------------------------- B05 SetVariables


def test_b05_a_read_write_variable_is_set_and_read_back() -> None:
    s = station()
    result, changed = s.set({**HEARTBEAT, "attributeValue": "120"})
    assert result == {**HEARTBEAT, "attributeStatus": "Accepted"}
    assert changed is not None
    assert (changed.component, changed.name) == ("OCPPCommCtrlr", "HeartbeatInterval")
    assert s.get(HEARTBEAT)["attributeValue"] == "120"
    assert s.value("OCPPCommCtrlr", "HeartbeatInterval") == "120"


def test_b05_the_actual_attribute_is_echoed() -> None:
    result, _ = station().set({**HEARTBEAT, "attributeValue": "120", "attributeType": "Actual"})
    assert (result["attributeType"], result["attributeStatus"]) == ("Actual", "Accepted")


def test_b05_a_read_only_variable_is_rejected_and_keeps_its_value() -> None:
    s = station()
    result, changed = s.set({**MODEL, "attributeValue": "Other"})
    assert result == {**MODEL, "attributeStatus": "Rejected"}
    assert changed is None
    assert s.get(MODEL)["attributeValue"] == "Sim-22"


def test_b05_a_value_the_variable_cannot_hold_is_rejected() -> None:
    s = station()
    result, changed = s.set({**HEARTBEAT, "attributeValue": "every now and then"})
    assert (result["attributeStatus"], changed) == ("Rejected", None)
    assert s.get(HEARTBEAT)["attributeValue"] == "300"


def test_b05_the_security_profile_needs_a_reboot() -> None:
    s = station()
    profile = item("SecurityCtrlr", "SecurityProfile")
    result, changed = s.set({**profile, "attributeValue": "1"})
    assert result["attributeStatus"] == "RebootRequired"
    assert changed is not None
    assert s.get(profile)["attributeValue"] == "1"


def test_b05_unknown_components_variables_and_attributes_change_nothing() -> None:
    s = station()
    for entry, status in [
        (item("NoSuchCtrlr", "HeartbeatInterval", value="120"), "UnknownComponent"),
        (item("OCPPCommCtrlr", "NoSuchVariable", value="120"), "UnknownVariable"),
        ({**HEARTBEAT, "attributeValue": "120", "attributeType": "Target"}, ""),
    ]:
        result, changed = s.set(entry)
        assert result["attributeStatus"] == (status or "NotSupportedAttributeType")
        assert changed is None
    assert s.get(HEARTBEAT)["attributeValue"] == "300"


def test_b05_a_write_only_variable_is_set() -> None:
    s = station()
    result, changed = s.set({**PASSWORD, "attributeValue": "a-password-of-20-ch"})
    assert result["attributeStatus"] == "Accepted"
    assert changed is not None
    assert s.value("SecurityCtrlr", "BasicAuthPassword") == "a-password-of-20-ch"


# ---------------------------------------------------------------------- storage


def test_a_station_stores_only_values_that_differ_from_the_defaults() -> None:
    s = station()
    assert s.values == {("SecurityCtrlr", "", 0, "Identity", ""): "CP-1"}
    s.set({**HEARTBEAT, "attributeValue": "120"})
    assert s.values[("OCPPCommCtrlr", "", 0, "HeartbeatInterval", "")] == "120"
    s.set({**HEARTBEAT, "attributeValue": "300"})  # back to the default: nothing to keep
    assert ("OCPPCommCtrlr", "", 0, "HeartbeatInterval", "") not in s.values
    own = station(heartbeat=120, meter_interval=15)
    assert own.values == {
        ("SecurityCtrlr", "", 0, "Identity", ""): "CP-1",
        ("OCPPCommCtrlr", "", 0, "HeartbeatInterval", ""): "120",
        ("SampledDataCtrlr", "", 0, "TxUpdatedInterval", ""): "15",
    }


def test_stations_of_a_kind_share_one_table_that_is_never_mutated() -> None:
    first, second = station(), station()
    assert first.variables is second.variables
    assert first.variables is standard_table(2, False, False, "Sim-22", "ocppsim")
    defaults = {key: var.value for key, var in first.variables.items()}
    first.set({**HEARTBEAT, "attributeValue": "120"})
    first.set({**item("SecurityCtrlr", "SecurityProfile"), "attributeValue": "2"})
    assert {key: var.value for key, var in first.variables.items()} == defaults
    assert second.get(HEARTBEAT)["attributeValue"] == "300"
    assert second.values == {("SecurityCtrlr", "", 0, "Identity", ""): "CP-1"}


def test_other_kinds_of_station_get_their_own_table() -> None:
    one_evse = station(evses=1)
    assert one_evse.variables is not station().variables
    assert one_evse.get(item("EVSE", "Available", evse=2))["attributeStatus"] == (
        "UnknownComponent"
    )


# ---------------------------------------------------------------------- B07 GetBaseReport


def _names(reports: list[Item]) -> list[tuple[str, int, str, str]]:
    return [
        (
            r["component"]["name"],
            r["component"].get("evse", {}).get("id", 0),
            r["variable"]["name"],
            r["variable"].get("instance", ""),
        )
        for r in reports
    ]


def test_b07_full_inventory_reports_every_variable_once_with_the_station_s_values() -> None:
    s = station(heartbeat=120)
    reports = list(s.report("FullInventory"))
    assert len(reports) == len(s.variables)
    assert len(set(_names(reports))) == len(reports)
    by_name = {(r["component"]["name"], r["variable"]["name"]): r for r in reports}
    heartbeat = by_name[("OCPPCommCtrlr", "HeartbeatInterval")]
    assert heartbeat["variableAttribute"] == [
        {"type": "Actual", "mutability": "ReadWrite", "value": "120"}
    ]
    assert heartbeat["variableCharacteristics"] == {
        "dataType": "integer",
        "supportsMonitoring": False,
    }
    model = by_name[("ChargingStation", "Model")]
    assert model["variableAttribute"][0]["mutability"] == "ReadOnly"
    assert model["variableAttribute"][0]["value"] == "Sim-22"
    # A WriteOnly value is never reported.
    password = by_name[("SecurityCtrlr", "BasicAuthPassword")]
    assert password["variableAttribute"] == [{"type": "Actual", "mutability": "WriteOnly"}]
    # Lists carry their allowed values.
    state = by_name[("ChargingStation", "AvailabilityState")]
    assert state["variableCharacteristics"]["valuesList"].split(",")[0] == "Available"


def test_b07_configuration_inventory_leaves_out_read_only_variables() -> None:
    s = station()
    reports = list(s.report("ConfigurationInventory"))
    mutabilities = {r["variableAttribute"][0]["mutability"] for r in reports}
    assert mutabilities == {"ReadWrite", "WriteOnly"}
    writable = [v for v in s.variables.values() if v.mutability != "ReadOnly"]
    assert len(reports) == len(writable)
    assert ("OCPPCommCtrlr", 0, "HeartbeatInterval", "") in _names(reports)


def test_b07_summary_inventory_reports_availability_of_the_station_and_each_evse() -> None:
    reports = list(station().report("SummaryInventory"))
    assert _names(reports) == [
        ("ChargingStation", 0, "Available", ""),
        ("ChargingStation", 0, "AvailabilityState", ""),
        ("EVSE", 1, "Available", ""),
        ("EVSE", 1, "AvailabilityState", ""),
        ("EVSE", 2, "Available", ""),
        ("EVSE", 2, "AvailabilityState", ""),
    ]


# ---------------------------------------------------------------------- B08 GetReport


def test_b08_a_component_alone_matches_all_its_variables() -> None:
    s = station()
    reports = list(s.matching([{"component": {"name": "AuthCtrlr"}}]))
    assert [n[2] for n in _names(reports)] == [
        "Enabled",
        "AuthorizeRemoteStart",
        "LocalAuthorizeOffline",
        "LocalPreAuthorize",
    ]


def test_b08_a_variable_name_matches_every_instance_unless_one_is_given() -> None:
    s = station()
    every = list(s.matching([item("DeviceDataCtrlr", "ItemsPerMessage")]))
    assert [n[3] for n in _names(every)] == ["GetReport", "GetVariables", "SetVariables"]
    one = list(s.matching([item("DeviceDataCtrlr", "ItemsPerMessage", instance="GetVariables")]))
    assert _names(one) == [("DeviceDataCtrlr", 0, "ItemsPerMessage", "GetVariables")]


def test_b08_an_evse_narrows_the_component() -> None:
    s = station()
    reports = list(s.matching([{"component": {"name": "EVSE", "evse": {"id": 2}}}]))
    assert _names(reports) == [
        ("EVSE", 2, "Available", ""),
        ("EVSE", 2, "AvailabilityState", ""),
        ("EVSE", 2, "SupplyPhases", ""),
    ]
    every = list(s.matching([{"component": {"name": "EVSE"}}]))  # no evse: all of them
    assert len(every) == 6


def test_b08_a_component_instance_must_match() -> None:
    s = station()
    assert (
        list(s.matching([item("OCPPCommCtrlr", "HeartbeatInterval", component_instance="X")])) == []
    )
    assert list(s.matching([{"component": {"name": "OCPPCommCtrlr", "instance": "X"}}])) == []
    assert list(s.matching([{"component": {"name": "OCPPCommCtrlr", "instance": ""}}]))


def test_b08_several_criteria_report_each_variable_once_in_table_order() -> None:
    s = station(heartbeat=120)
    reports = list(
        s.matching(
            [
                item("SecurityCtrlr", "Identity"),
                item("OCPPCommCtrlr", "HeartbeatInterval"),
                {"component": {"name": "OCPPCommCtrlr"}},
                item("NoSuchCtrlr", "Anything"),
            ]
        )
    )
    names = _names(reports)
    assert len(names) == len(set(names))
    assert names[0] == ("OCPPCommCtrlr", 0, "HeartbeatInterval", "")
    assert names[-1] == ("SecurityCtrlr", 0, "Identity", "")
    assert len(names) == 1 + sum(1 for v in s.variables.values() if v.component == "OCPPCommCtrlr")
    assert reports[0]["variableAttribute"][0]["value"] == "120"


def test_b08_no_match_reports_nothing() -> None:
    s = station()
    assert list(s.matching([item("NoSuchCtrlr", "Anything")])) == []
    assert list(s.matching([item("AuthCtrlr", "NoSuchVariable")])) == []
