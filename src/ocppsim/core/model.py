"""The charger's vocabulary: kinds, modes, versions and error codes.

These are the names the REST API uses; the OCPP adapters translate them. The limits of each
setting are in ``core/limits.py``.
"""

from __future__ import annotations

from enum import StrEnum


class ChargerType(StrEnum):
    """AC or DC charging."""

    AC = "AC"
    DC = "DC"


class Mode(StrEnum):
    """What the charger does: `off` stopped and not connected; `on` and `manual` connected,
    sessions only when you start them; `autopilot` connected, running sessions by itself."""

    OFF = "off"
    ON = "on"
    AUTOPILOT = "autopilot"
    MANUAL = "manual"


class OcppVersion(StrEnum):
    """The OCPP version the charger speaks: 1.6 (JSON), 2.0.1 or 2.1."""

    V16 = "1.6"
    V201 = "2.0.1"
    V21 = "2.1"


class AuthMode(StrEnum):
    """How sessions are authorized: RFID tag, or Plug & Charge (the eMAID)."""

    RFID = "rfid"
    PLUG_AND_CHARGE = "plug_and_charge"


class ErrorCode(StrEnum):
    """An error to simulate, named as in OCPP 1.6 ChargePointErrorCode; `NoError` clears it.
    Any other value is a fault: the connectors become Faulted."""

    NO_ERROR = "NoError"
    GROUND_FAILURE = "GroundFailure"
    OVER_CURRENT_FAILURE = "OverCurrentFailure"
    EV_COMMUNICATION_ERROR = "EVCommunicationError"
    INTERNAL_ERROR = "InternalError"
    CONNECTOR_LOCK_FAILURE = "ConnectorLockFailure"
    HIGH_TEMPERATURE = "HighTemperature"
    UNDER_VOLTAGE = "UnderVoltage"
    OVER_VOLTAGE = "OverVoltage"
