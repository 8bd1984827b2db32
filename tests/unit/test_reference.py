"""The API reference's content (``ocppsim.api.ui.reference``), from the real app's OpenAPI
document: every operation once, in reading order, and every generated example request accepted
by the real API."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ocppsim.api import create_app
from ocppsim.api.ui import reference
from ocppsim.api.ui.reference import OperationDoc, Reference
from ocppsim.config import Config
from ocppsim.services.container import Services
from tests.conftest import ApiUser

METHODS = ("get", "post", "put", "patch", "delete")

#: Operations whose example request answers something other than 2xx in a fresh account,
#: and why (none of them may answer 400 or 422: the example itself is valid).
EXPECTED_REFUSALS = {
    # The example charger is created with mode off; a manual session needs mode on or manual.
    ("POST", "/api/chargers/{chargepoint_id}/start"): 409,
    # No session is running on the example charger.
    ("POST", "/api/chargers/{chargepoint_id}/stop"): 409,
    # The example prefix is a made-up key, not one of the user's.
    ("DELETE", "/api/me/api-keys/{prefix}"): 404,
}
#: Not sent: a Server-Sent Events stream never ends, and httpx's ASGI transport reads the
#: whole body (the e2e test opens it over a real socket instead).
NOT_SENT = {("GET", "/api/logs/stream")}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app(Config(database_url="unused://")).openapi()


@pytest.fixture(scope="module")
def ref(document: dict[str, Any]) -> Reference:
    return reference.build(document)


def _document_operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def _op(ref: Reference, method: str, path: str) -> OperationDoc:
    return next(op for op in ref.operations() if (op.method, op.path) == (method, path))


def test_every_operation_appears_once(document: dict[str, Any], ref: Reference) -> None:
    listed = [(op.method, op.path) for op in ref.operations()]
    assert sorted(listed) == sorted(_document_operations(document))
    assert len(set(listed)) == len(listed)
    anchors = [op.anchor for op in ref.operations()] + [s.anchor for s in ref.sections]
    assert len(set(anchors)) == len(anchors)


def test_sections_follow_the_reading_order(ref: Reference) -> None:
    tags = [s.tag for s in ref.sections]
    assert tags == ["account", "chargers", "settings", "logs", "load test", "admin"]
    for section in ref.sections:
        assert section.title
        assert section.intro  # the document's tag description
        assert section.operations
    assert [s.title for s in ref.sections][3:] == ["OCPP logs", "Load test", "Administration"]
    chargers = next(s for s in ref.sections if s.tag == "chargers")
    assert [op.path for op in chargers.operations][:2] == ["/api/chargers", "/api/chargers"]


def test_fields_follow_the_schemas(document: dict[str, Any], ref: Reference) -> None:
    create = _op(ref, "POST", "/api/chargers")
    schema = document["components"]["schemas"]["CreateChargerIn"]
    assert [f.name for f in create.body] == list(schema["properties"])
    fields = {f.name: f for f in create.body}
    assert {n for n, f in fields.items() if f.required} == set(schema["required"])
    assert fields["charger_type"].enum == ("AC", "DC")
    assert fields["num_connectors"].constraints == ("1\u20135",)
    assert fields["num_connectors"].default == "1"
    assert fields["chargepoint_id"].constraints == ("at most 48 characters",)
    assert fields["mode"].default == '"off"'
    assert fields["pnc_emaid"].nullable
    assert not fields["pnc_emaid"].required
    start = {f.name: f for f in _op(ref, "POST", "/api/chargers/{chargepoint_id}/start").body}
    assert start["energy_kwh"].constraints == ("> 0, \u2264 1000",)
    history = {p.name: p for p in _op(ref, "GET", "/api/logs").parameters}
    assert history["limit"].location == "query"
    assert history["limit"].default == "200"
    assert history["before_id"].description.startswith("Older than this id")
    stream = _op(ref, "GET", "/api/logs/stream")
    assert [p.location for p in stream.parameters] == ["query", "header"]
    assert stream.stream
    assert "new EventSource(" in stream.event_source
    assert "api_key=" in stream.event_source
    assert stream.curl.startswith("curl -s -N ")


def test_curl_examples(ref: Reference) -> None:
    create = _op(ref, "POST", "/api/chargers")
    assert create.curl == (
        'curl -s -X POST -H "X-API-Key: $KEY" -H "Content-Type: application/json" \\\n'
        '  -d \'{"chargepoint_id": "SIM-AC-001", "charger_type": "AC", "max_power_kw": 22.0, '
        '"backend_url": "ws://127.0.0.1:9000"}\' \\\n'
        "  $API/api/chargers"
    )
    assert _op(ref, "GET", "/api/chargers").curl == 'curl -s -H "X-API-Key: $KEY" $API/api/chargers'
    mode = _op(ref, "POST", "/api/chargers/{chargepoint_id}/mode")
    assert mode.example_path == "/api/chargers/SIM-AC-001/mode"
    # A rename goes to another id than the charger's own.
    rename = _op(ref, "POST", "/api/chargers/{chargepoint_id}/chargepoint-id")
    assert json.loads(rename.example_body) == {"chargepoint_id": "SIM-AC-002"}
    # Settings: the optional field with an example; the others are left out.
    settings = _op(ref, "POST", "/api/settings")
    assert json.loads(settings.example_body) == {"ocpp_backend_url": "ws://127.0.0.1:9000"}


def test_the_intro_comes_from_the_document(ref: Reference) -> None:
    assert [w.how for w in ref.auth] == [
        "X-API-Key: $KEY",
        "Authorization: Bearer $KEY",
        "?api_key=$KEY",
    ]
    assert dict(ref.common_errors)["401"] == "Authentication required"
    # Operation-specific refusals stay with their operation.
    admin = _op(ref, "POST", "/api/admin/server-settings")
    special = [(e.status, e.description) for e in admin.errors if not e.common]
    assert [status for status, _ in special] == ["403"]
    assert special[0][1].startswith("Not an administrator")
    # An operation lists only the statuses it can return.
    assert [e.status for e in _op(ref, "GET", "/api/me").errors] == ["401"]
    get_charger = _op(ref, "GET", "/api/chargers/{chargepoint_id}")
    assert [e.status for e in get_charger.errors] == ["401", "404"]


def test_response_examples_follow_the_schemas(document: dict[str, Any], ref: Reference) -> None:
    schemas = document["components"]["schemas"]
    charger = json.loads(_op(ref, "GET", "/api/chargers/{chargepoint_id}").responses[0].example)
    assert set(charger) == set(schemas["ChargerOut"]["properties"])
    assert charger["chargepoint_id"] == "SIM-AC-001"
    settings = json.loads(_op(ref, "GET", "/api/settings").responses[0].example)
    assert settings["settings"]["heartbeat_interval"] == "300"  # strings, as the API answers
    logs = json.loads(_op(ref, "GET", "/api/logs").responses[0].example)
    assert isinstance(logs, list)
    assert set(logs[0]) == set(schemas["LogOut"]["properties"])
    deleted = _op(ref, "DELETE", "/api/chargers/{chargepoint_id}").responses
    assert [(r.status, r.example) for r in deleted] == [("204", "")]


def test_the_result_is_kept_per_document(document: dict[str, Any]) -> None:
    assert reference.build(document) is reference.build(document)
    assert reference.build(json.loads(json.dumps(document))) == reference.build(document)


def test_schema_forms_of_other_generators() -> None:
    """``allOf``, ``oneOf`` with null, ``type: [.., "null"]``, a 3.0 ``nullable``-free doc."""
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1"},
        "tags": [{"name": "things", "description": "All the `things`."}],
        "paths": {
            "/api/things/{thing_id}": {
                "parameters": [
                    {
                        "name": "thing_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "put": {
                    "tags": ["things"],
                    "summary": "Replace a thing",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/In"}}
                        },
                    },
                    "responses": {"200": {"description": "OK"}},
                },
            }
        },
        "components": {
            "schemas": {
                "Color": {"type": "string", "enum": ["red", "blue"], "description": "A color."},
                "In": {
                    "type": "object",
                    "required": ["color", "size", "label"],
                    "properties": {
                        "color": {"allOf": [{"$ref": "#/components/schemas/Color"}]},
                        "size": {"type": "integer", "minimum": 10, "maximum": 3600},
                        "label": {"type": ["string", "null"], "maxLength": 5},
                        "note": {"oneOf": [{"type": "string"}, {"type": "null"}]},
                    },
                },
            }
        },
    }
    ref = reference.build(doc)
    (section,) = ref.sections
    assert section.title == "Things"
    assert section.intro == "All the `things`."
    (op,) = section.operations
    assert op.method == "PUT"
    assert op.path_parts == [
        ("/api/things/", False),
        ("{thing_id}", True),
    ]
    fields = {f.name: f for f in op.body}
    assert fields["color"].enum == ("red", "blue")
    assert fields["color"].description == "A color."
    assert fields["label"].type == "string"
    assert fields["label"].nullable
    assert fields["note"].type == "string"
    assert fields["note"].nullable
    assert json.loads(op.example_body) == {"color": "red", "size": 200, "label": "strin"}
    assert op.example_path == "/api/things/1"
    assert not op.auth
    assert '-H "X-API-Key' not in op.curl
    assert str(reference.inline("a `<b>` c")) == "a <code>&lt;b&gt;</code> c"


async def _ensure_charger(api: httpx.AsyncClient, user: ApiUser, create: OperationDoc) -> None:
    found = await api.get("/api/chargers/SIM-AC-001", headers=user.headers)
    if found.status_code == 404:
        made = await api.post(
            create.example_path,
            content=create.example_body,
            headers={**user.headers, "Content-Type": "application/json"},
        )
        assert made.status_code == 201, made.text


async def test_every_example_request_is_accepted_by_the_api(
    api: httpx.AsyncClient, alice: ApiUser, services: Services, ref: Reference
) -> None:
    admin_key = await services.accounts.create_user(
        "root", "correct horse battery", is_admin=True, backend_url="ws://127.0.0.1:9000"
    )
    admin = ApiUser("root", admin_key.key.key)
    create = _op(ref, "POST", "/api/chargers")
    sent = 0
    for op in ref.operations():
        if (op.method, op.path) in NOT_SENT:
            continue
        user = admin if op.path.startswith("/api/admin/") else alice
        if "{chargepoint_id}" in op.path:
            await _ensure_charger(api, user, create)
        elif op is create:
            await api.delete("/api/chargers/SIM-AC-001", headers=user.headers)
        headers = dict(user.headers)
        if op.example_body:
            headers["Content-Type"] = "application/json"
        answer = await api.request(
            op.method, op.example_path, content=op.example_body or None, headers=headers
        )
        where = f"{op.method} {op.example_path} {op.example_body}: {answer.text}"
        assert answer.status_code not in (400, 422), where
        expected = EXPECTED_REFUSALS.get((op.method, op.path))
        if expected is not None:
            assert answer.status_code == expected, where
        else:
            assert 200 <= answer.status_code < 300, where
        documented = {r.status for r in (*op.responses, *op.errors)}
        assert str(answer.status_code) in documented, where
        sent += 1
    assert sent == len(ref.operations()) - len(NOT_SENT)


async def test_the_page_shows_every_operation(api: httpx.AsyncClient, ref: Reference) -> None:
    page = await api.get("/reference")
    assert page.status_code == 200
    for op in ref.operations():
        assert f'id="{op.anchor}"' in page.text
        assert f'id="curl-{op.anchor}"' in page.text
    assert "<script>" not in page.text
    assert "style=" not in page.text
