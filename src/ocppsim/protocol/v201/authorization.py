"""OCPP 2.0.1 functional block C, Authorization: Authorize with an RFID token (C01) or a
contract certificate (C07, Plug & Charge). ClearCache (C11) is shared (protocol/adapter.py)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from ocppsim.core.intents import SendAuthorize
from ocppsim.protocol.common import Payload
from ocppsim.protocol.rpc import Outgoing

if TYPE_CHECKING:
    from ocppsim.protocol.v201.adapter import V201Adapter


def id_token(a: V201Adapter, value: str) -> Payload:
    """IdTokenType: an eMAID for Plug & Charge (C07), an ISO 14443 card otherwise (C01)."""
    kind = "eMAID" if a.charger.spec.auth_mode == "plug_and_charge" else "ISO14443"
    return {"idToken": value, "type": kind}


def certificate_hash_data(a: V201Adapter) -> list[Payload]:
    """OCSPRequestData for Plug & Charge (C07), derived from the configured certificate hash
    (the simulator has no contract certificate of its own; reference §3.2)."""
    spec = a.charger.spec
    if spec.auth_mode != "plug_and_charge" or not spec.pnc_certificate_hash:
        return []
    digest = hashlib.sha256(spec.pnc_certificate_hash.encode()).hexdigest()
    issuer = hashlib.sha256((spec.pnc_pcid or "ocppsim").encode()).hexdigest()
    return [
        {
            "hashAlgorithm": "SHA256",
            "issuerNameHash": issuer,
            "issuerKeyHash": digest,
            "serialNumber": digest[:16].lstrip("0") or "0",
            "responderURL": "http://ocsp.ocppsim.invalid/",
        }
    ]


def authorize(a: V201Adapter, intent: SendAuthorize) -> Outgoing:
    """Authorize (C01, C07): the answer's idTokenInfo decides; a certificateStatus is shown."""
    c = a.charger
    connector, id_tag = intent.connector, intent.id_tag
    return Outgoing(
        "Authorize",
        lambda: _authorize_payload(a, id_tag),
        on_result=lambda p, now: _authorize_result(a, connector, p, now),
        on_failure=lambda why, now: c.on_authorize_result(connector, False, why, now),
    )


def _authorize_payload(a: V201Adapter, id_tag: str) -> Payload:
    payload: Payload = {"idToken": id_token(a, id_tag)}
    hashes = certificate_hash_data(a)
    if hashes:
        payload["iso15118CertificateHashData"] = hashes
    return payload


def _authorize_result(a: V201Adapter, connector: int, payload: Payload, now: float) -> None:
    info = payload.get("idTokenInfo", {})
    status = str(info.get("status", "?"))
    if "certificateStatus" in payload:
        status = f"{status}, certificate {payload['certificateStatus']}"
    a.charger.on_authorize_result(connector, info.get("status") == "Accepted", status, now)
