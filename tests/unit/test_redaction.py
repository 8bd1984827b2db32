"""Secrets set by the CSMS are replaced before a frame reaches the message log (reference T5)."""

from __future__ import annotations

from ocppsim.protocol.redaction import REDACTED, redact


def test_16_authorization_key() -> None:
    payload = {"key": "AuthorizationKey", "value": "00112233445566778899aabbccddeeff"}
    assert redact("ChangeConfiguration", payload) == {"key": "AuthorizationKey", "value": REDACTED}
    assert payload["value"] != REDACTED  # the charger itself still gets the value
    other = {"key": "HeartbeatInterval", "value": "60"}
    assert redact("ChangeConfiguration", other) is other


def test_2x_basic_auth_password_among_other_variables() -> None:
    payload = {
        "setVariableData": [
            {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "attributeValue": "0123456789abcdef-secret",
            },
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "attributeValue": "60",
            },
        ]
    }
    logged = redact("SetVariables", payload)
    assert [i["attributeValue"] for i in logged["setVariableData"]] == [REDACTED, "60"]
    assert "secret" not in repr(logged)
    assert payload["setVariableData"][0]["attributeValue"] == "0123456789abcdef-secret"


def test_2x_network_profile_passwords() -> None:
    payload = {
        "configurationSlot": 1,
        "connectionData": {
            "ocppCsmsUrl": "wss://csms.example/ocpp",
            "basicAuthPassword": "pw-basic",
            "apn": {"apn": "internet", "apnPassword": "pw-apn", "apnAuthentication": "AUTO"},
            "vpn": {"server": "vpn", "user": "u", "password": "pw-vpn", "key": "pw-key"},
        },
    }
    logged = repr(redact("SetNetworkProfile", payload))
    assert "pw-" not in logged
    assert "wss://csms.example/ocpp" in logged


def test_anything_else_is_untouched() -> None:
    payload = {"idTag": "AABBCCDD"}
    assert redact("Authorize", payload) is payload
    assert redact("SetVariables", ["not", "a", "dict"]) == ["not", "a", "dict"]
