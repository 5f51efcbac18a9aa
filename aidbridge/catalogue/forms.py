from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidbridge.catalogue.models import Item
from aidbridge.catalogue.services import ITEM_FIELDS
from aidbridge.core.fields import currency_choices, format_nsn, normalise_nsn, validate_nsn


class ItemForm(forms.ModelForm):
    # Wider than the stored 13 digits so that the written form 4-2-3-4 is accepted.
    nsn = forms.CharField(
        label=_("NSN"), max_length=20, required=False,
        help_text=_("NATO Stock Number: 13 digits, written 4-2-3-4, e.g. 6115-01-234-5678."),
    )

    class Meta:
        model = Item
        fields = list(ITEM_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        labels = {"code": _("Code"), "name": _("Name"), "supply_class": _("Supply class"), "unit": _("Unit"),
                  "weight_t": _("Weight per unit (t)"), "fsc": _("FSC"), "description": _("Description")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.nsn:
            self.initial["nsn"] = format_nsn(self.instance.nsn)

    def clean_nsn(self) -> str:
        value = normalise_nsn(self.cleaned_data.get("nsn") or "")
        if value:
            validate_nsn(value)
        return value


def _rate_currencies() -> list[tuple[str, str]]:
    return [(code, label) for code, label in currency_choices() if code != "EUR"]


class ExchangeRateForm(forms.Form):
    """Enter one rate; a rate that exists for the currency and day is corrected (``set_exchange_rate``, which
    checks everything: this form only reads the values)."""

    currency = forms.ChoiceField(label=_("Currency"), help_text=_("ISO 4217; the euro is the base and needs no rate."))
    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           help_text=_("The day of the rate; not after today."))
    per_euro = forms.DecimalField(label=_("Units per euro"), help_text=_(
        "How many units of the currency one euro bought, as the ECB quotes it: 1.0842 for USD."))

    def __init__(self, *args: Any, instance: Any = None, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [("", "—"), *_rate_currencies()]


class RatesUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_(
        "eurofxref.zip (the day's rates) or eurofxref-hist.zip (the history) as downloaded from the ECB, or the CSV "
        "inside it."))
    dry_run = forms.BooleanField(required=False, label=_("Dry run"),
                                 help_text=_("Check the file and count what it would change; write nothing."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
