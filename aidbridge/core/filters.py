"""Checking filter values: one rule for the HTML lists and the REST lists.

A FilterSet on its own ignores a value it cannot read (``?due_before=notadate`` listed everything) and lets
an id filter pass any decimal to the database (``?organisation=1e30`` overflowed: a 500). Here a value that
cannot be read, and a parameter that is no filter at all, are refusals naming the parameter.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# The range of the databases' 64-bit integer columns (primary keys and the ids that point at them).
MIN_DB_INT, MAX_DB_INT = -(2**63), 2**63 - 1


def _whole_number_in_range(value: Any) -> None:
    if value is None:
        return
    if isinstance(value, Decimal) and (not value.is_finite() or value != value.to_integral_value()):
        raise ValidationError(gettext("Give a whole number, such as an id shown on a record."), code="not_whole")
    if not MIN_DB_INT <= value <= MAX_DB_INT:
        raise ValidationError(gettext("No record has a number that large; give an id shown on a record."),
                              code="too_large")


def unknown_parameters(names: Iterable[str], filters: Iterable[str], *, extra: Iterable[str] = (),
                       hint: str | None = None) -> dict[str, list[str]]:
    """An error for each parameter that is neither one of ``filters`` nor of ``extra``.

    The message ends with ``hint``, or by default lists the filters by their parameter names (for the API).
    """
    filters = list(dict.fromkeys(filters))
    accepted = {*filters, *extra}
    if hint is None:
        hint = f"the filters are: {', '.join(filters) if filters else 'none'}."
    return {name: [f"There is no filter “{name}” here; {hint}"]
            for name in dict.fromkeys(names) if name not in accepted}


def filter_errors(filterset: django_filters.FilterSet, *, extra: Iterable[str] = (),
                  hint: str | None = None) -> dict[str, list[str]]:
    """The refusals for a bound FilterSet: unknown parameters, then values its form cannot read.

    ``extra`` names parameters the list takes besides its filters (``page``, say); ``hint`` replaces the
    list of parameter names in the message about an unknown one (a page points at its filter form instead).
    """
    form = filterset.form
    for field in form.fields.values():
        if isinstance(field, forms.DecimalField | forms.IntegerField):  # NumberFilter: ids and counts
            field.validators.append(_whole_number_in_range)
    data = filterset.data if filterset.is_bound else {}
    errors = unknown_parameters(list(data.keys()), list(form.fields), extra=extra, hint=hint)
    if filterset.is_bound and not form.is_valid():
        for name, messages in form.errors.items():
            errors.setdefault(name, []).extend(str(m) for m in messages)
    return errors
