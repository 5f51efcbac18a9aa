from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import ApiToken, Organisation
from aidbridge.accounts.services import ORGANISATION_FIELDS
from aidbridge.core.fields import country_choices


class OrganisationForm(forms.ModelForm):
    class Meta:
        model = Organisation
        fields = list(ORGANISATION_FIELDS)
        labels = {"name": _("Name"), "short_name": _("Short name"), "kind": _("Kind"), "country": _("Country"),
                  "iati_identifier": _("IATI identifier"), "in_coalition": _("In coalition")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget = forms.Select(choices=[("", "—"), *country_choices()])


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, initial=_("API token"),
                           help_text=_("What the token is for."))
    scope = forms.ChoiceField(label=_("Scope"), choices=ApiToken.Scope.choices, initial=ApiToken.Scope.READ)
    expires_on = forms.DateField(
        label=_("Expires on"),
        required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional. The token works until the end of this day (UTC)."),
    )

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

    def expires_at(self) -> dt.datetime | None:
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
