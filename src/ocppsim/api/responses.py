"""The error responses an operation documents: the statuses it can really return.

Every error body is ``{"error": "<sentence>"}`` (:class:`~ocppsim.api.schemas.ErrorOut`).
A status given alone gets its usual description; ``(status, text)`` says what it means for
that operation.
"""

from __future__ import annotations

from typing import Any

from ocppsim.api.schemas import ErrorOut

_TEXT = {
    400: "The request body is not valid JSON",
    401: "Authentication required",
    403: "Refused: a change authenticated by the web UI's session cookie without its CSRF "
    "token, or from another site",
    404: "No such charger (another user's charger counts as missing)",
    422: "Invalid value; the message names the field",
}

#: Every ``/api/`` route: no valid key (or session cookie).
READ = (401,)
#: A state-changing route without a body.
CHANGE = (401, 403)
#: A state-changing route with a JSON body.
BODY = (400, 401, 403, 422)


def errors(*statuses: int | tuple[int, str] | tuple[int, ...]) -> dict[int | str, Any]:
    """The ``responses`` of an operation: groups (``BODY``), statuses, ``(status, text)``."""
    found: dict[int, str] = {}
    for item in statuses:
        if isinstance(item, int):
            found[item] = _TEXT[item]
        elif len(item) == 2 and isinstance(item[1], str):
            found[int(item[0])] = str(item[1])
        else:
            for status in item:
                found[int(status)] = _TEXT[int(status)]
    return {
        status: {"model": ErrorOut, "description": text} for status, text in sorted(found.items())
    }
