"""The charger's OCPP 1.6 configuration keys (1.6 §9), with read-only and reboot flags.

GetConfiguration reads them, ChangeConfiguration writes them; the adapter applies the keys that
change behaviour (intervals, measurands, retry rule) to the charger and the RPC layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

MEASURANDS = frozenset(
    {"Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC"}
)


def _int(low: int, high: int) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        return value.strip().lstrip("-").isdigit() and low <= int(value) <= high

    return check


def _bool(value: str) -> bool:
    return value.lower() in ("true", "false")


def _measurands(value: str) -> bool:
    items = [v.strip() for v in value.split(",") if v.strip()]
    return len(items) <= 5 and all(i in MEASURANDS for i in items)


def _any(value: str) -> bool:
    return len(value) <= 500


@dataclass(frozen=True, slots=True)
class Key:
    default: str
    check: Callable[[str], bool] = _any
    readonly: bool = False
    reboot: bool = False
    secret: bool = False  # write-only: GetConfiguration shows no value (1.6J errata 3.12)


@cache
def key_table(num_connectors: int, dc: bool) -> dict[str, Key]:
    """The keys and their defaults; one shared table per kind of charger (never mutate it)."""
    sampled = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
    return {
        "AllowOfflineTxForUnknownId": Key("false", _bool),
        "AuthorizationCacheEnabled": Key("false", _bool),
        "AuthorizeRemoteTxRequests": Key("false", _bool),
        "ClockAlignedDataInterval": Key("0", _int(0, 86400)),
        "ConnectionTimeOut": Key("60", _int(1, 3600)),
        "ConnectorPhaseRotation": Key("NotApplicable"),
        "GetConfigurationMaxKeys": Key("50", readonly=True),
        "HeartbeatInterval": Key("300", _int(1, 86400)),
        "LocalAuthorizeOffline": Key("true", _bool),
        "LocalPreAuthorize": Key("false", _bool),
        "MeterValuesAlignedData": Key("Energy.Active.Import.Register", _measurands),
        "MeterValuesAlignedDataMaxLength": Key("5", readonly=True),
        "MeterValuesSampledData": Key(sampled + (",SoC" if dc else ""), _measurands),
        "MeterValuesSampledDataMaxLength": Key("5", readonly=True),
        "MeterValueSampleInterval": Key("60", _int(1, 86400)),
        "NumberOfConnectors": Key(str(num_connectors), readonly=True),
        "ResetRetries": Key("1", _int(0, 10)),
        "StopTransactionOnEVSideDisconnect": Key("true", _bool),
        "StopTransactionOnInvalidId": Key("true", _bool),
        "StopTxnAlignedData": Key("", _measurands),
        "StopTxnAlignedDataMaxLength": Key("5", readonly=True),
        "StopTxnSampledData": Key("", _measurands),
        "StopTxnSampledDataMaxLength": Key("5", readonly=True),
        "SupportedFeatureProfiles": Key("Core,RemoteTrigger", readonly=True),
        "TransactionMessageAttempts": Key("3", _int(1, 10)),
        "TransactionMessageRetryInterval": Key("10", _int(1, 3600)),
        "UnlockConnectorOnEVSideDisconnect": Key("true", _bool),
        "WebSocketPingInterval": Key("0", _int(0, 3600)),
        # A new profile applies on the next connection (1.6 security whitepaper: reconnect).
        "SecurityProfile": Key("0", _int(0, 3), reboot=True),
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
        return self.get(name).lower() == "true"

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
        if key.readonly or not key.check(value):
            return "Rejected"
        self.set(name, value)
        return "RebootRequired" if key.reboot else "Accepted"
