"""The OCPP 2.x device model of a simulated charging station (2.0.1 part 2 appendix 3).

Variables are addressed by component (name, instance, EVSE) and variable (name, instance);
only the ``Actual`` attribute exists. GetVariables, SetVariables and the reports read it; the
adapter applies the variables that change behaviour (intervals, measurands, retry rule).

The variable definitions (type, mutability, value rule, default value) are one table shared by
every station of a kind; a station stores only the values that differ from the defaults, so a
10,000-charger load test does not hold 10,000 copies of sixty variables.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from ocppsim.protocol.common import Payload
from ocppsim.protocol.values import (
    MEASURANDS,
    TEXT_2X,
    Rule,
    boolean,
    integer,
    measurands,
    password,
)

VarKey = tuple[str, str, int, str, str]  # component, component instance, evse, variable, instance


@dataclass(frozen=True, slots=True)
class Variable:
    """A variable's definition; ``value`` is its default (a station's own is in the model)."""

    component: str
    name: str
    value: str
    data_type: str = "string"  # integer, boolean, decimal, string, MemberList, OptionList
    mutability: str = "ReadWrite"  # ReadOnly, ReadWrite, WriteOnly
    rule: Rule = TEXT_2X  # protocol/values.py: what a CSMS may write, and how it is stored
    reboot: bool = False
    instance: str = ""
    component_instance: str = ""
    evse: int = 0
    values_list: str = ""

    @property
    def key(self) -> VarKey:
        return (self.component, self.component_instance, self.evse, self.name, self.instance)

    def component_json(self) -> Payload:
        c: Payload = {"name": self.component}
        if self.component_instance:
            c["instance"] = self.component_instance
        if self.evse:
            c["evse"] = {"id": self.evse}
        return c

    def variable_json(self) -> Payload:
        v: Payload = {"name": self.name}
        if self.instance:
            v["instance"] = self.instance
        return v

    def report_json(self, value: str) -> Payload:
        attribute: Payload = {"type": "Actual", "mutability": self.mutability}
        if self.mutability != "WriteOnly":
            attribute["value"] = value
        characteristics: Payload = {"dataType": self.data_type, "supportsMonitoring": False}
        if self.values_list:
            characteristics["valuesList"] = self.values_list
        return {
            "component": self.component_json(),
            "variable": self.variable_json(),
            "variableAttribute": [attribute],
            "variableCharacteristics": characteristics,
        }


@cache
def standard_table(
    evses: int, dc: bool, pnc: bool, model: str, vendor: str
) -> dict[VarKey, Variable]:
    """The variables a CSMS commonly reads, with the simulator's defaults: one table per kind
    of station (never mutated). A station's identity and intervals are its own values."""
    sampled = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage" + (
        ",SoC" if dc else ""
    )
    flag = "true" if pnc else "false"
    members = ",".join(sorted(MEASURANDS))
    v = Variable
    variables = [
        v("OCPPCommCtrlr", "HeartbeatInterval", "300", "integer", rule=integer(1, 86400)),
        v(
            "OCPPCommCtrlr",
            "MessageTimeout",
            "30",
            "integer",
            rule=integer(1, 3600),
            instance="Default",
        ),
        v(
            "OCPPCommCtrlr",
            "MessageAttempts",
            "3",
            "integer",
            rule=integer(1, 10),
            instance="TransactionEvent",
        ),
        v(
            "OCPPCommCtrlr",
            "MessageAttemptInterval",
            "10",
            "integer",
            rule=integer(1, 3600),
            instance="TransactionEvent",
        ),
        v("OCPPCommCtrlr", "RetryBackOffWaitMinimum", "3", "integer", rule=integer(0, 3600)),
        v("OCPPCommCtrlr", "RetryBackOffRandomRange", "10", "integer", rule=integer(0, 3600)),
        v("OCPPCommCtrlr", "RetryBackOffRepeatTimes", "3", "integer", rule=integer(0, 20)),
        v("OCPPCommCtrlr", "WebSocketPingInterval", "0", "integer", rule=integer(0, 3600)),
        v("OCPPCommCtrlr", "OfflineThreshold", "60", "integer", rule=integer(0, 86400)),
        v("OCPPCommCtrlr", "ResetRetries", "1", "integer", rule=integer(0, 10)),
        v("OCPPCommCtrlr", "NetworkConfigurationPriority", "0", "string", mutability="ReadOnly"),
        v(
            "OCPPCommCtrlr",
            "NetworkProfileConnectionAttempts",
            "3",
            "integer",
            rule=integer(1, 100),
        ),
        v(
            "OCPPCommCtrlr",
            "FileTransferProtocols",
            "HTTPS",
            "MemberList",
            "ReadOnly",
            values_list="HTTPS",
        ),
        v("OCPPCommCtrlr", "QueueAllMessages", "false", "boolean", rule=boolean),
        v("SampledDataCtrlr", "Enabled", "true", "boolean", rule=boolean),
        v(
            "SampledDataCtrlr",
            "TxUpdatedInterval",
            "60",
            "integer",
            rule=integer(0, 86400),
        ),
        v(
            "SampledDataCtrlr",
            "TxUpdatedMeasurands",
            sampled,
            "MemberList",
            rule=measurands,
            values_list=members,
        ),
        v(
            "SampledDataCtrlr",
            "TxStartedMeasurands",
            "Energy.Active.Import.Register",
            "MemberList",
            rule=measurands,
            values_list=members,
        ),
        v(
            "SampledDataCtrlr",
            "TxEndedMeasurands",
            "Energy.Active.Import.Register",
            "MemberList",
            rule=measurands,
            values_list=members,
        ),
        v("SampledDataCtrlr", "TxEndedInterval", "0", "integer", rule=integer(0, 86400)),
        v("AlignedDataCtrlr", "Enabled", "false", "boolean", rule=boolean),
        v("AlignedDataCtrlr", "Interval", "0", "integer", rule=integer(0, 86400)),
        v(
            "AlignedDataCtrlr",
            "Measurands",
            "Energy.Active.Import.Register",
            "MemberList",
            rule=measurands,
            values_list=members,
        ),
        v("AuthCtrlr", "Enabled", "true", "boolean", rule=boolean),
        v("AuthCtrlr", "AuthorizeRemoteStart", "false", "boolean", rule=boolean),
        v("AuthCtrlr", "LocalAuthorizeOffline", "true", "boolean", rule=boolean),
        v("AuthCtrlr", "LocalPreAuthorize", "false", "boolean", rule=boolean),
        v("TxCtrlr", "EVConnectionTimeOut", "60", "integer", rule=integer(0, 3600)),
        v("TxCtrlr", "StopTxOnEVSideDisconnect", "true", "boolean", "ReadOnly"),
        v("TxCtrlr", "StopTxOnInvalidId", "true", "boolean", rule=boolean),
        v(
            "TxCtrlr",
            "TxStartPoint",
            "PowerPathClosed",
            "MemberList",
            "ReadOnly",
            values_list="PowerPathClosed",
        ),
        v(
            "TxCtrlr",
            "TxStopPoint",
            "EVConnected,Authorized",
            "MemberList",
            "ReadOnly",
            values_list="EVConnected,Authorized",
        ),
        v("ISO15118Ctrlr", "PnCEnabled", flag, "boolean", rule=boolean),
        v("ISO15118Ctrlr", "CentralContractValidationAllowed", "false", "boolean", rule=boolean),
        v("ISO15118Ctrlr", "ContractValidationOffline", "false", "boolean", rule=boolean),
        v("ISO15118Ctrlr", "ContractCertificateInstallationEnabled", flag, "boolean", rule=boolean),
        v("ISO15118Ctrlr", "V2GCertificateInstallationEnabled", flag, "boolean", rule=boolean),
        v("SecurityCtrlr", "SecurityProfile", "0", "integer", rule=integer(0, 3), reboot=True),
        v(
            "SecurityCtrlr",
            "BasicAuthPassword",
            "",
            "string",
            "WriteOnly",
            rule=password,
        ),
        v("SecurityCtrlr", "Identity", "", "string", "ReadOnly"),
        v("SecurityCtrlr", "OrganizationName", "ocppsim", "string"),
        v("ChargingStation", "Available", "true", "boolean", "ReadOnly"),
        v(
            "ChargingStation",
            "AvailabilityState",
            "Available",
            "OptionList",
            "ReadOnly",
            values_list="Available,Occupied,Reserved,Unavailable,Faulted",
        ),
        v("ChargingStation", "Model", model, "string", "ReadOnly"),
        v("ChargingStation", "VendorName", vendor, "string", "ReadOnly"),
        v("DeviceDataCtrlr", "ItemsPerMessage", "50", "integer", "ReadOnly", instance="GetReport"),
        v(
            "DeviceDataCtrlr",
            "ItemsPerMessage",
            "50",
            "integer",
            "ReadOnly",
            instance="GetVariables",
        ),
        v(
            "DeviceDataCtrlr",
            "ItemsPerMessage",
            "50",
            "integer",
            "ReadOnly",
            instance="SetVariables",
        ),
        v(
            "DeviceDataCtrlr",
            "BytesPerMessage",
            "65000",
            "integer",
            "ReadOnly",
            instance="GetReport",
        ),
        v(
            "DeviceDataCtrlr",
            "BytesPerMessage",
            "65000",
            "integer",
            "ReadOnly",
            instance="GetVariables",
        ),
    ]
    for evse in range(1, evses + 1):
        variables += [
            v("EVSE", "Available", "true", "boolean", "ReadOnly", evse=evse),
            v(
                "EVSE",
                "AvailabilityState",
                "Available",
                "OptionList",
                "ReadOnly",
                evse=evse,
                values_list="Available,Occupied,Reserved,Unavailable,Faulted",
            ),
            v("EVSE", "SupplyPhases", "3" if not dc else "0", "integer", "ReadOnly", evse=evse),
        ]
    return {var.key: var for var in variables}


@dataclass(slots=True)
class DeviceModel:
    #: The definitions (shared between stations: never mutated).
    variables: dict[VarKey, Variable] = field(default_factory=dict)
    #: This station's values that differ from the definitions' defaults.
    values: dict[VarKey, str] = field(default_factory=dict)

    @classmethod
    def standard(
        cls,
        *,
        evses: int,
        dc: bool,
        pnc: bool,
        identity: str,
        model: str,
        vendor: str,
        heartbeat: int,
        meter_interval: int,
    ) -> DeviceModel:
        """A station over the shared ``standard_table``, with its own identity and intervals."""
        station = cls(standard_table(evses, dc, pnc, model, vendor))
        station.put(("SecurityCtrlr", "", 0, "Identity", ""), identity)
        station.put(("OCPPCommCtrlr", "", 0, "HeartbeatInterval", ""), str(heartbeat))
        station.put(("SampledDataCtrlr", "", 0, "TxUpdatedInterval", ""), str(meter_interval))
        return station

    def current(self, var: Variable) -> str:
        """The station's value of ``var``."""
        return self.values.get(var.key, var.value)

    def put(self, key: VarKey, value: str) -> None:
        """Store a value (no checks: the station's own settings)."""
        if self.variables[key].value == value:
            self.values.pop(key, None)
        else:
            self.values[key] = value

    def find(self, component: Payload, variable: Payload) -> tuple[Variable | None, str]:
        """The variable, or None and UnknownComponent / UnknownVariable."""
        name = component.get("name", "")
        instance = component.get("instance", "")
        evse = int(component.get("evse", {}).get("id", 0))
        if not any(k[0] == name and k[1] == instance and k[2] == evse for k in self.variables):
            return None, "UnknownComponent"
        key = (name, instance, evse, variable.get("name", ""), variable.get("instance", ""))
        found = self.variables.get(key)
        return (found, "Accepted") if found else (None, "UnknownVariable")

    def get(self, item: Payload) -> Payload:
        """One GetVariableResult."""
        result: Payload = {"component": item["component"], "variable": item["variable"]}
        attribute = item.get("attributeType", "Actual")
        if "attributeType" in item:
            result["attributeType"] = attribute
        var, status = self.find(item["component"], item["variable"])
        if var is not None and attribute != "Actual":
            status = "NotSupportedAttributeType"
        elif var is not None and var.mutability == "WriteOnly":
            status = "Rejected"
        result["attributeStatus"] = status
        if status == "Accepted" and var is not None:
            result["attributeValue"] = self.current(var)
        return result

    def set(self, item: Payload) -> tuple[Payload, Variable | None]:
        """One SetVariableResult, and the variable that changed (if any)."""
        result: Payload = {"component": item["component"], "variable": item["variable"]}
        attribute = item.get("attributeType", "Actual")
        if "attributeType" in item:
            result["attributeType"] = attribute
        var, status = self.find(item["component"], item["variable"])
        value = str(item["attributeValue"])
        changed = None
        if var is not None:
            if attribute != "Actual":
                status = "NotSupportedAttributeType"
            elif (stored := self._accept(var, value)) is None:
                status = "Rejected"
            else:
                self.put(var.key, stored)
                changed = var
                status = "RebootRequired" if var.reboot else "Accepted"
        result["attributeStatus"] = status
        return result, changed

    @staticmethod
    def _accept(var: Variable, value: str) -> str | None:
        """The text to store, or None when ``var`` refuses ``value`` (read-only or its rule)."""
        return None if var.mutability == "ReadOnly" else var.rule(value)

    def value(self, component: str, name: str, instance: str = "") -> str:
        key = (component, "", 0, name, instance)
        found = self.values.get(key)
        return self.variables[key].value if found is None else found

    def report(self, base: str) -> Iterator[Payload]:
        """ReportData for GetBaseReport: FullInventory, ConfigurationInventory or
        SummaryInventory (availability only)."""
        for var in self.variables.values():
            if base == "ConfigurationInventory" and var.mutability == "ReadOnly":
                continue
            if base == "SummaryInventory" and var.name not in ("AvailabilityState", "Available"):
                continue
            yield var.report_json(self.current(var))

    def matching(self, criteria: list[Payload]) -> Iterator[Payload]:
        """ReportData for GetReport's componentVariable filter."""
        for var in self.variables.values():
            for c in criteria:
                comp = c["component"]
                if comp.get("name") != var.component:
                    continue
                if "instance" in comp and comp["instance"] != var.component_instance:
                    continue
                if "evse" in comp and int(comp["evse"].get("id", 0)) != var.evse:
                    continue
                wanted = c.get("variable")
                if wanted and (
                    wanted.get("name") != var.name
                    or ("instance" in wanted and wanted["instance"] != var.instance)
                ):
                    continue
                yield var.report_json(self.current(var))
                break
