"""The value rules of 1.6 configuration keys and 2.x device-model variables, decided once.

A rule takes the text a CSMS sent (ChangeConfiguration ``value``, SetVariables
``attributeValue``) and returns the text to store, or None to refuse it (1.6 ``Rejected``,
2.x ``attributeStatus`` ``Rejected``). Returning the stored text lets a rule normalise.

Decisions, one rule per kind of value, the same for every version:

integer
    1.6 §9 type "integer"; 2.0.1 part 2 dataType ``integer``. An optional ``-`` and ASCII
    digits only (``int()`` alone would take ``+5``, ``1_0`` or other scripts' digits, and
    ``str.isdigit`` lets through ``²``, which ``int()`` then refuses); blanks around the number
    are ignored, as both versions did before; the value must lie in the key's range. Stored in
    canonical form (``" 060"`` -> ``"60"``), the form the charger itself would report.
boolean
    1.6 configuration values are CiString500 (1.6 §9), compared without regard to case, and
    2.0.1 part 2 dataType ``boolean`` names the words ``true`` and ``false``. Both versions
    accept the two words in any case (CSMSs send ``True``; real chargers take it) and store
    them lowercase, so GetConfiguration / GetVariables report the spec's spelling. Until now
    only 1.6 ignored case, and it stored the CSMS's spelling.
measurands
    1.6 §9.1 MeterValuesSampledData and friends: a comma-separated list of measurands; 2.0.1
    part 2 dataType ``MemberList``: a set of members of the variable's valuesList. Blanks
    around items and empty items are ignored (``""`` selects none: 1.6 StopTxnSampledData's
    default); every item must be a measurand ocppsim samples; an item listed twice is refused
    (a member list is a set, and 1.6 gives a repeat no meaning); at most ``MAX_MEASURANDS``
    items, the value the 1.6 ``*MaxLength`` keys report (1.6 §9.1). Until now only 1.6 capped
    the count and neither refused repeats. Stored as the items joined by ``,``.
text
    1.6 values are CiString500 (§9), 2.x attributeValue string[1000] (SetVariableDataType):
    the one rule is a length limit, the limit is the version's transport type. Stored as sent.
password
    2.0.1 part 2 SecurityCtrlr.BasicAuthPassword: 16 to 40 characters. 1.6 AuthorizationKey
    (security whitepaper: 16 to 20 bytes, hex-encoded) stays plain ``text``: ocppsim never
    decodes it, and backends in the field send keys that are not hex.
"""

from __future__ import annotations

from collections.abc import Callable

#: A value rule: the normalised text to store, or None when the value is refused.
Rule = Callable[[str], str | None]

#: The measurands ocppsim samples (1.6 §7.31 Measurand, 2.0.1 MeasurandEnumType).
MEASURANDS = frozenset(
    {"Energy.Active.Import.Register", "Power.Active.Import", "Current.Import", "Voltage", "SoC"}
)

#: The most measurands one list may name: 1.6 MeterValuesSampledDataMaxLength and the other
#: ``*MaxLength`` keys report it (1.6 §9.1).
MAX_MEASURANDS = 5

# More digits than any range of a key or variable allows; refusing them early also keeps
# ``int()`` clear of its 4,300-digit limit.
_MAX_DIGITS = 18


def integer(low: int, high: int) -> Rule:
    """The rule for an integer from ``low`` to ``high`` inclusive."""

    def rule(value: str) -> str | None:
        text = value.strip()
        digits = text[1:] if text.startswith("-") else text
        if not digits or len(digits) > _MAX_DIGITS or not (digits.isascii() and digits.isdigit()):
            return None
        number = int(text)
        return str(number) if low <= number <= high else None

    return rule


def boolean(value: str) -> str | None:
    """``true`` / ``false`` in any case, stored lowercase."""
    word = value.strip().lower()
    return word if word in ("true", "false") else None


def measurands(value: str) -> str | None:
    """A list of distinct sampled measurands, at most ``MAX_MEASURANDS``."""
    items = [item for item in (part.strip() for part in value.split(",")) if item]
    if len(items) > MAX_MEASURANDS or len(set(items)) != len(items):
        return None
    if not all(item in MEASURANDS for item in items):
        return None
    return ",".join(items)


def text(limit: int) -> Rule:
    """The rule for free text of at most ``limit`` characters, stored as sent."""

    def rule(value: str) -> str | None:
        return value if len(value) <= limit else None

    return rule


def password(value: str) -> str | None:
    """A 2.x BasicAuthPassword: 16 to 40 characters, stored as sent."""
    return value if 16 <= len(value) <= 40 else None


#: 1.6 configuration values: CiString500 (1.6 §9).
TEXT_16 = text(500)
#: 2.x attribute values: string[1000] (2.0.1 SetVariableDataType.attributeValue).
TEXT_2X = text(1000)
