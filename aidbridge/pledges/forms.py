from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.catalogue.models import Item
from aidbridge.core.fields import country_choices, currency_choices
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.pledges.services import FINANCIAL_FIELDS, PLEDGE_FIELDS


class PledgeForm(forms.ModelForm):
    class Meta:
        model = Pledge
        fields = list(PLEDGE_FIELDS)
        widgets = {
            "available_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "disclosure_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"item": _("Item"), "quantity": _("Quantity"), "available_from": _("Available from"),
                  "origin_country": _("Origin country"), "unit_value": _("Unit value"), "currency": _("Currency"),
                  "funding_source": _("Funding source"), "releasability": _("Releasability"),
                  "disclosure_date": _("Disclosure date"), "notes": _("Notes")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.for_user(user)
        self.fields["origin_country"].widget = forms.Select(choices=[("", "—"), *country_choices()])
        self.fields["currency"].widget = forms.Select(choices=currency_choices())


class SourceDocumentForm(forms.Form):
    title = forms.CharField(max_length=300)
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https",
                         help_text=_("Where the document was published."))
    file = forms.FileField(required=False, help_text=_("PDF, PNG, JPEG or plain text."))
    sha256 = forms.CharField(
        label=_("SHA-256"), max_length=64, required=False,
        help_text=_("For a URL alone: the digest of the document as you read it. Computed for uploads."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class FinancialPledgeForm(forms.ModelForm):
    class Meta:
        model = FinancialPledge
        fields = list(FINANCIAL_FIELDS)
        widgets = {
            "pledged_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "disclosure_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "sector": forms.TextInput(attrs={"inputmode": "numeric", "pattern": "[0-9]{5}", "placeholder": "72010"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"amount": _("Amount"), "currency": _("Currency"), "pledged_on": _("Pledged on"),
                  "sector": _("Sector"), "purpose": _("Purpose"), "recipient_country": _("Recipient country"),
                  "releasability": _("Releasability"), "disclosure_date": _("Disclosure date"), "notes": _("Notes")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].widget = forms.Select(choices=currency_choices())
        self.fields["recipient_country"].widget = forms.Select(choices=[("", "—"), *country_choices()])
        p = principal(user)
        if self.instance.pk is None and p.is_coordinator_editor and p.org_kind != Organisation.Kind.DONOR:
            # The cell records money on a donor's behalf (a pledging conference, a published file): name the donor.
            self.fields = {"donor": forms.ModelChoiceField(
                queryset=Organisation.objects.filter(kind=Organisation.Kind.DONOR).order_by("name"),
                help_text=_("The donor whose pledge the coordination cell records.")), **self.fields}
