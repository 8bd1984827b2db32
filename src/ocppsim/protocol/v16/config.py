"""The charger's OCPP 1.6 configuration keys (1.6 §9), with read-only and reboot flags.

GetConfiguration reads them, ChangeConfiguration writes them; the adapter applies the keys that
change behaviour (intervals, measurands, retry rule) to the charger and the RPC layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from ocppsim.protocol.values import MAX_MEASURANDS, TEXT_16, Rule, boolean, integer, measurands


@dataclass(frozen=True, slots=True)
class Key:
    default: str
    rule: Rule = TEXT_16  # protocol/values.py: what a CSMS may write, and how it is stored
    readonly: bool = False
    reboot: bool = False
    secret: bool = False  # write-only: GetConfiguration shows no value (1.6J errata 3.12)


_MAX_MEASURANDS = str(MAX_MEASURANDS)


@cache
def key_table(num_connectors: int, dc: bool) -> dict[str, Key]:
    """The keys and their defaults; one shared table per kind of charger (never mutate it)."""
    sampled = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
    return {
        "AllowOfflineTxForUnknownId": Key("false", boolean),
        "AuthorizationCacheEnabled": Key("false", boolean),
        "AuthorizeRemoteTxRequests": Key("false", boolean),
        "ClockAlignedDataInterval": Key("0", integer(0, 86400)),
        "ConnectionTimeOut": Key("60", integer(1, 3600)),
        "ConnectorPhaseRotation": Key("NotApplicable"),
        "GetConfigurationMaxKeys": Key("50", readonly=True),
        "HeartbeatInterval": Key("300", integer(1, 86400)),
        "LocalAuthorizeOffline": Key("true", boolean),
        "LocalPreAuthorize": Key("false", boolean),
        "MeterValuesAlignedData": Key("Energy.Active.Import.Register", measurands),
        "MeterValuesAlignedDataMaxLength": Key(_MAX_MEASURANDS, readonly=True),
        "MeterValuesSampledData": Key(sampled + (",SoC" if dc else ""), measurands),
        "MeterValuesSampledDataMaxLength": Key(_MAX_MEASURANDS, readonly=True),
        "MeterValueSampleInterval": Key("60", integer(1, 86400)),
        "NumberOfConnectors": Key(str(num_connectors), readonly=True),
        "ResetRetries": Key("1", integer(0, 10)),
        "StopTransactionOnEVSideDisconnect": Key("true", boolean),
        "StopTransactionOnInvalidId": Key("true", boolean),
        "StopTxnAlignedData": Key("", measurands),
        "StopTxnAlignedDataMaxLength": Key(_MAX_MEASURANDS, readonly=True),
        "StopTxnSampledData": Key("", measurands),
        "StopTxnSampledDataMaxLength": Key(_MAX_MEASURANDS, readonly=True),
        "SupportedFeatureProfiles": Key("Core,RemoteTrigger", readonly=True),
        "TransactionMessageAttempts": Key("3", integer(1, 10)),
        "TransactionMessageRetryInterval": Key("10", integer(1, 3600)),
        "UnlockConnectorOnEVSideDisconnect": Key("true", boolean),
        "WebSocketPingInterval": Key("0", integer(0, 3600)),
        # A new profile applies on the next connection (1.6 security whitepaper: reconnect).
        "SecurityProfile": Key("0", integer(0, 3), reboot=True),
        "AuthorizationKey": Key("", secret=True),
    }


@dataclass(slots=True)
class ConfigStore:
    """Key values of one charger (strings, as 1.6 transports them).

    ``keys`` is a shared table; only the values that differ from its defaults are stored per
    charger, so ten thousand chargers do not hold ten thousand copies of thirty defaults.
    """

    keys: dict[str, Key]
    values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        value = self.values.get(name)
        return self.keys[name].default if value is None else value

    def set(self, name: str, value: str) -> None:
        """Store a value without the checks of ``change`` (the charger's own settings)."""
        if self.keys[name].default == value:
            self.values.pop(name, None)
        else:
            self.values[name] = value

    def get_int(self, name: str) -> int:
        return int(self.get(name))

    def get_bool(self, name: str) -> bool:
        return self.get(name) == "true"  # stored lowercase (protocol/values.py)

    def read(self, names: list[str] | None) -> tuple[list[dict[str, object]], list[str]]:
        """GetConfiguration: (configurationKey entries, unknownKey names)."""
        wanted = names if names else list(self.keys)
        known: list[dict[str, object]] = []
        unknown: list[str] = []
        for name in wanted:
            key = self.keys.get(name)
            if key is None:
                unknown.append(name)
                continue
            entry: dict[str, object] = {"key": name, "readonly": key.readonly}
            if not key.secret:
                entry["value"] = self.get(name)
            known.append(entry)
        return known, unknown

    def change(self, name: str, value: str) -> str:
        """ChangeConfiguration: Accepted, Rejected, RebootRequired or NotSupported."""
        key = self.keys.get(name)
        if key is None:
            return "NotSupported"
        stored = None if key.readonly else key.rule(value)
        if stored is None:
            return "Rejected"
        self.set(name, stored)
        return "RebootRequired" if key.reboot else "Accepted"
