"""Validators and choices for the standard codes Aidbridge uses (ISO 3166, ISO 4217, UN/LOCODE, NSN, FSC)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from aidbridge import data


def country_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in sorted(data.countries().items())]


def currency_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}" if name else code) for code, name in sorted(data.currencies().items())]


def validate_country(value: str) -> None:
    if value not in data.countries():
        raise ValidationError(f"“{value}” is not an ISO 3166-1 alpha-2 country code.", code="invalid_country")


def validate_currency(value: str) -> None:
    if value not in data.currencies():
        raise ValidationError(f"“{value}” is not an ISO 4217 currency code.", code="invalid_currency")


_LOCODE = re.compile(r"^[A-Z]{2} [A-Z2-9]{3}$")


def validate_unlocode(value: str) -> None:
    if not _LOCODE.match(value):
        raise ValidationError(
            f"“{value}” is not a UN/LOCODE: write the country code, a space and three letters or digits 2–9, "
            "for example “PL RZE”.",
            code="invalid_unlocode",
        )
    validate_country(value[:2])


def normalise_nsn(value: str) -> str:
    """Accept ``5995-01-123-4567`` or ``5995011234567``; store the 13 digits."""
    return re.sub(r"[\s-]", "", value or "")


def format_nsn(digits: str) -> str:
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:9]}-{digits[9:]}" if len(digits) == 13 else digits


def validate_nsn(value: str) -> None:
    digits = normalise_nsn(value)
    if not re.fullmatch(r"\d{13}", digits):
        raise ValidationError(
            f"“{value}” is not an NSN: it needs 13 digits, written 4-2-3-4 (for example 5995-01-123-4567).",
            code="invalid_nsn",
        )
    if digits[:4] not in data.fsc_classes():
        raise ValidationError(
            f"NSN “{format_nsn(digits)}” starts with {digits[:4]}, which is not a Federal Supply Class.",
            code="invalid_nsn_fsc",
        )


def validate_fsc(value: str) -> None:
    if not re.fullmatch(r"\d{4}", value or ""):
        raise ValidationError(f"“{value}” is not an FSC class: it needs 4 digits.", code="invalid_fsc")
    if value not in data.fsc_classes():
        raise ValidationError(f"“{value}” is not a current Federal Supply Class.", code="unknown_fsc")
