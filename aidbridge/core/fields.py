"""Validators and choices for the standard codes Aidbridge uses (ISO 3166, ISO 4217, UN/LOCODE, NSN, FSC)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge import data


def country_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}") for code, name in sorted(data.countries().items())]


def currency_choices() -> list[tuple[str, str]]:
    return [(code, f"{code} — {name}" if name else code) for code, name in sorted(data.currencies().items())]


def validate_country(value: str) -> None:
    if value not in data.countries():
        raise ValidationError(gettext("“%(value)s” is not an ISO 3166-1 alpha-2 country code.") % {"value": value},
                              code="invalid_country")


def validate_currency(value: str) -> None:
    if value not in data.currencies():
        raise ValidationError(gettext("“%(value)s” is not an ISO 4217 currency code.") % {"value": value},
                              code="invalid_currency")


_LOCODE = re.compile(r"^[A-Z]{2} [A-Z2-9]{3}$")


def validate_unlocode(value: str) -> None:
    if not _LOCODE.match(value):
        raise ValidationError(
            gettext("“%(value)s” is not a UN/LOCODE: write the country code, a space and three letters or digits "
                    "2–9, for example “PL RZE”.") % {"value": value},
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
            gettext("“%(value)s” is not an NSN: it needs 13 digits, written 4-2-3-4 (for example 5995-01-123-4567).")
            % {"value": value},
            code="invalid_nsn",
        )
    if digits[:4] not in data.fsc_classes():
        raise ValidationError(
            gettext("NSN “%(nsn)s” starts with %(fsc)s, which is not a Federal Supply Class.")
            % {"nsn": format_nsn(digits), "fsc": digits[:4]},
            code="invalid_nsn_fsc",
        )


_SECTOR = re.compile(r"^\d{5}$")


def validate_sector(value: str) -> None:
    """An OECD DAC 5-digit purpose code (IATI sector vocabulary 1), e.g. 72010 "Material relief assistance"."""
    if not _SECTOR.match(value or ""):
        raise ValidationError(gettext("“%(value)s” is not a 5-digit DAC sector code, such as 72010.")
                              % {"value": value},
                              code="invalid_sector")


def validate_fsc(value: str) -> None:
    if not re.fullmatch(r"\d{4}", value or ""):
        raise ValidationError(gettext("“%(value)s” is not an FSC class: it needs 4 digits.") % {"value": value},
                              code="invalid_fsc")
    if value not in data.fsc_classes():
        raise ValidationError(gettext("“%(value)s” is not a current Federal Supply Class.") % {"value": value},
                              code="unknown_fsc")


# --- quantities ---------------------------------------------------------------------------------------------
# One rule and one message per rule, whichever door a quantity comes in by: the form, the API or a service.

MIN_QUANTITY = 1
MAX_QUANTITY = 1_000_000_000  # far above any real consignment, far inside every database's integer column
QUANTITY_NOT_WHOLE = _("Enter the quantity as a whole number, such as 12.")
QUANTITY_TOO_SMALL = _("Enter a quantity of at least 1.")  # MIN_QUANTITY
QUANTITY_TOO_LARGE = _("Enter a quantity of at most 1,000,000,000.")  # MAX_QUANTITY


def quantity_validators() -> list[Any]:
    return [MinValueValidator(MIN_QUANTITY, message=QUANTITY_TOO_SMALL),
            MaxValueValidator(MAX_QUANTITY, message=QUANTITY_TOO_LARGE)]


def parse_quantity(value: Any) -> int:
    """``value`` as a quantity, or ``ValueError`` carrying the one message for the rule it breaks."""
    if isinstance(value, bool):
        raise ValueError(QUANTITY_NOT_WHOLE)
    whole_float = isinstance(value, float) and value.is_integer()
    if whole_float or (isinstance(value, str) and re.fullmatch(r"\s*[+-]?[0-9]+\s*", value)):
        value = int(value)
    if not isinstance(value, int):
        raise ValueError(QUANTITY_NOT_WHOLE)
    if value < MIN_QUANTITY:
        raise ValueError(QUANTITY_TOO_SMALL)
    if value > MAX_QUANTITY:
        raise ValueError(QUANTITY_TOO_LARGE)
    return value


class QuantityFormField(forms.IntegerField):
    """A quantity in a form: the same messages as the API and the services give."""

    default_error_messages = {"invalid": QUANTITY_NOT_WHOLE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("min_value", None)
        kwargs.pop("max_value", None)
        super().__init__(**kwargs)
        self.validators = [*quantity_validators()]

    def widget_attrs(self, widget: forms.Widget) -> dict[str, Any]:
        attrs = super().widget_attrs(widget)
        if isinstance(widget, forms.NumberInput):
            attrs.update(min=str(MIN_QUANTITY), max=str(MAX_QUANTITY), step="1")
        return attrs


class QuantityField(models.PositiveIntegerField):
    """A count of units, from 1 to :data:`MAX_QUANTITY`, with the messages every front door shares."""

    default_validators = quantity_validators()
    default_error_messages = {"invalid": QUANTITY_NOT_WHOLE}

    def formfield(self, **kwargs: Any) -> Any:
        return super().formfield(**{"form_class": QuantityFormField, **kwargs})


class LongSelect(forms.Select):
    """A select of many options, written out in one pass rather than through a template per option.

    Django renders each option with its own template (``select_option.html``): about 0.2 ms an option, so a select
    of a hundred pledges cost more than the rest of its page. The markup is the same (attributes through
    ``flatatt``, a boolean one bare, labels escaped), for flat choices: an option group would need the template.
    """

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> SafeString:
        widget = self.get_context(name, value, attrs)["widget"]
        options = format_html_join(
            "", '<option value="{}"{}>{}</option>',
            ((option["value"], mark_safe(" selected") if option["selected"] else "", option["label"])  # noqa: S308
             for _group, group_options, _index in widget["optgroups"] for option in group_options))
        return format_html('<select name="{}"{}>{}</select>', widget["name"], flatatt(widget["attrs"]), options)
