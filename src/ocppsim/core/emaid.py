"""eMAID (ISO 15118 / eMI3 contract id): normalisation, check digits and generation.

The ISO / eMI3 check digit follows the algorithm described in the project reference
(reliability-and-security.md §3.3); the DIN SPEC 91286 digit is used to recognise legacy ids.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ocppsim.core.limits import ID_TAG

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# Character -> code 0..43 of the ISO/eMI3 scheme, and back.
_CODES = (0, 16, 32, 4, 20, 36, 8, 24, 40, 2, 18, 34, 6, 22, 38, 10, 26, 42, 1, 17, 33, 5, 21, 37)
_ISO_CODES = dict(zip(_ALNUM, (*_CODES, 9, 25, 41, 3, 19, 35, 7, 23, 39, 11, 27, 43), strict=True))
_ISO_CHARS = {code: char for char, code in _ISO_CODES.items()}

_EMI3 = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}C[A-Z0-9]{8}[A-Z0-9]?$")
_ISO = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[A-Z0-9]{9}[A-Z0-9]?$")
_DIN = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}[A-Z0-9]{6}[0-9X]$")

#: Country and provider of the eMAIDs the simulator generates ("SIM" = simulator).
GENERATED_PREFIX = "DESIM"

Matrix = tuple[tuple[int, int], tuple[int, int]]


def _row_times(row: tuple[int, int], m: Matrix) -> tuple[int, int]:
    return (row[0] * m[0][0] + row[1] * m[1][0], row[0] * m[0][1] + row[1] * m[1][1])


def _mat_times(a: Matrix, b: Matrix, modulus: int) -> Matrix:
    return (
        (
            (a[0][0] * b[0][0] + a[0][1] * b[1][0]) % modulus,
            (a[0][0] * b[0][1] + a[0][1] * b[1][1]) % modulus,
        ),
        (
            (a[1][0] * b[0][0] + a[1][1] * b[1][0]) % modulus,
            (a[1][0] * b[0][1] + a[1][1] * b[1][1]) % modulus,
        ),
    )


_P1: Matrix = ((0, 1), (1, 1))
_P2: Matrix = ((0, 1), (1, 2))
_FINAL: Matrix = ((0, 2), (2, 1))


def iso_check_digit(body: str) -> str:
    """The ISO 15118 / eMI3 check character of the first 14 characters of an eMAID."""
    body = body.upper()
    if len(body) != 14 or any(c not in _ISO_CODES for c in body):
        raise ValueError("the check digit is computed over 14 alphanumeric characters")
    t1 = (0, 0)
    t2 = (0, 0)
    p1: Matrix = ((1, 0), (0, 1))
    p2: Matrix = ((1, 0), (0, 1))
    for char in body:
        p1 = _mat_times(p1, _P1, 2)
        p2 = _mat_times(p2, _P2, 3)
        code = _ISO_CODES[char]
        q = _row_times((code & 1, (code >> 1) & 1), p1)
        r = _row_times(((code >> 2) & 3, code >> 4), p2)
        t1 = (t1[0] + q[0], t1[1] + q[1])
        t2 = (t2[0] + r[0], t2[1] + r[1])
    t2 = _row_times(t2, _FINAL)
    code = (t1[0] % 2) + 2 * (t1[1] % 2) + 4 * (t2[0] % 3) + 16 * (t2[1] % 3)
    return _ISO_CHARS[code]


def din_check_digit(body: str) -> str:
    """The DIN SPEC 91286 check character of an 11-character legacy contract id body."""
    total = 0
    k = 0
    for char in body.upper():
        value = _ALNUM.index(char)
        if value < 10:
            total += value * 2**k
            k += 1
        else:
            total += (value // 10) * 2**k + (value % 10) * 2 ** (k + 1)
            k += 2
    digit = total % 11
    return "X" if digit == 10 else str(digit)


def normalise(emaid: str) -> str:
    """Strip the ``-`` and ``*`` separators and upper-case (Hubject / eMI3 practice)."""
    return emaid.replace("-", "").replace("*", "").upper()


@dataclass(frozen=True, slots=True)
class EmaidCheck:
    """A normalised user eMAID and what is doubtful about it (warnings, never refusals)."""

    emaid: str
    warnings: tuple[str, ...]


def check(emaid: str) -> EmaidCheck:
    """Normalise a user-given eMAID and list its problems.

    Raises ValueError only when the value cannot serve as an idToken at all (characters other
    than letters, digits and separators, or longer than the 20 characters a 1.6 idTag holds).
    """
    value = normalise(emaid.strip())
    if not value:
        raise ValueError("must not be empty")
    if any(c not in _ALNUM for c in value):
        raise ValueError("may contain only letters, digits and the separators '-' and '*'")
    if len(value) > ID_TAG.high:  # it travels as the idTag in 1.6
        raise ValueError(f"must be at most {ID_TAG.high} characters once separators are removed")
    warnings: list[str] = []
    if _DIN.match(value) and len(value) == 12:
        if din_check_digit(value[:11]) != value[11]:
            warnings.append(
                f"DIN SPEC 91286 check digit should be {din_check_digit(value[:11])!r}, "
                f"not {value[11]!r}"
            )
        warnings.append("DIN SPEC 91286 format; ISO 15118 backends expect 14 or 15 characters")
    elif not _ISO.match(value):
        warnings.append(
            "not in ISO 15118 form: 2 letters country, 3 characters provider, "
            "9 characters instance, optional check digit"
        )
    else:
        if not _EMI3.match(value):
            warnings.append("eMI3 form expects 'C' as the first character of the instance")
        if len(value) == 15 and iso_check_digit(value[:14]) != value[14]:
            warnings.append(
                f"check digit should be {iso_check_digit(value[:14])!r}, not {value[14]!r}"
            )
    return EmaidCheck(value, tuple(warnings))


def generate(chargepoint_id: str) -> str:
    """A valid 15-character eMAID derived deterministically from a chargepoint id.

    The instance is the id's letters and digits when they fit in 8 characters (readable:
    ``SIM-AC-001`` gives ``DESIMCSIMAC001`` + check digit); a longer id is hashed instead.
    """
    alnum = "".join(c for c in chargepoint_id.upper() if c in _ALNUM)
    if len(alnum) <= 8:
        instance = alnum.rjust(8, "0")
    else:
        number = int.from_bytes(hashlib.sha256(chargepoint_id.encode()).digest()[:8], "big")
        digits = []
        for _ in range(8):
            number, rest = divmod(number, 36)
            digits.append(_ALNUM[rest])
        instance = "".join(digits)
    body = f"{GENERATED_PREFIX}C{instance}"
    return body + iso_check_digit(body)
