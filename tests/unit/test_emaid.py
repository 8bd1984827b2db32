"""eMAID check digits and generation (reference §3.3 test vectors; goal P1)."""

import re

import pytest

from ocppsim.core import emaid

ISO_VECTORS = [
    ("NN123ABCDEFGHI", "T"),
    ("FRXYZ123456789", "2"),
    ("ITA1B2C3E4F5G6", "4"),
    ("ESZU8WOX834H1D", "R"),
    ("PT73902837ABCZ", "Z"),
    ("DE83DUIEN83QGZ", "D"),
    ("DE83DUIEN83ZGQ", "M"),
    ("DE8AA001234567", "0"),
    ("UKSWIC12345679", "1"),
    ("NLTNM000122045", "U"),
    ("NLTNM000722345", "X"),
    ("NL123C10028948", "M"),
    ("DEPIPC12345678", "8"),
]

DIN_VECTORS = [
    ("NLTNM012204", "5"),
    ("DETNM002965", "8"),
    ("NLBMW00009L", "1"),
    ("DEPIPE12345", "3"),
]

# CitrineOS-style strict form: 2 letters, 3 alnum, 'C', 8 alnum, check digit.
STRICT = re.compile(r"^[A-Z]{2}[A-Z0-9]{3}C[A-Z0-9]{8}[A-Z0-9]$")


@pytest.mark.parametrize(("body", "digit"), ISO_VECTORS)
def test_iso_check_digit_vectors(body: str, digit: str) -> None:
    assert emaid.iso_check_digit(body) == digit


@pytest.mark.parametrize(("body", "digit"), DIN_VECTORS)
def test_din_check_digit_vectors(body: str, digit: str) -> None:
    assert emaid.din_check_digit(body) == digit


@pytest.mark.parametrize(
    "chargepoint_id", ["SIM-AC-001", "A", "x", "charger.with.a.very~long-identity_0123456789"]
)
def test_generated_emaid_is_strictly_valid_and_deterministic(chargepoint_id: str) -> None:
    value = emaid.generate(chargepoint_id)
    assert STRICT.match(value), value
    assert emaid.iso_check_digit(value[:14]) == value[14]
    assert emaid.generate(chargepoint_id) == value
    assert emaid.check(value).warnings == ()


def test_generated_emaid_is_readable_for_short_ids() -> None:
    assert emaid.generate("SIM-AC-001").startswith("DESIMCSIMAC001")


def test_long_ids_get_distinct_emaids() -> None:
    ids = [f"loadtest-charger-{n:05d}" for n in range(2000)]
    assert len({emaid.generate(i) for i in ids}) == len(ids)


def test_check_normalises_separators_and_case() -> None:
    result = emaid.check("de-pip-c12345678-8")
    assert result.emaid == "DEPIPC123456788"
    assert result.warnings == ()


def test_check_warns_on_wrong_check_digit_without_refusing() -> None:
    result = emaid.check("DE*PIP*C12345678*9")
    assert result.emaid == "DEPIPC123456789"
    assert any("check digit should be '8'" in w for w in result.warnings)


def test_check_warns_on_din_format_and_its_check_digit() -> None:
    good = emaid.check("NL-TNM-012204-5")
    assert good.emaid == "NLTNM0122045"
    assert any("DIN SPEC 91286 format" in w for w in good.warnings)
    assert not any("check digit" in w for w in good.warnings)
    bad = emaid.check("DE*PIP*E12345*6")
    assert any("check digit should be '3'" in w for w in bad.warnings)


def test_check_warns_on_missing_emi3_c() -> None:
    assert any("'C'" in w for w in emaid.check("DE8AA0012345670").warnings)


@pytest.mark.parametrize("value", ["", "  ", "DE PIP", "DE_PIP_123", "Ä1234", "A" * 21])
def test_check_refuses_what_cannot_be_an_id_token(value: str) -> None:
    with pytest.raises(ValueError, match=r"must|may"):
        emaid.check(value)
