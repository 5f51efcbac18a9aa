from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.core.fields import country_choices
from aidbridge.locations.models import Hub, Location
from aidbridge.locations.services import HUB_FIELDS, LOCATION_FIELDS


class LocationForm(forms.ModelForm):
    class Meta:
        model = Location
        fields = list(LOCATION_FIELDS)
        labels = {"unlocode": _("UN/LOCODE"), "name": _("Name"), "country": _("Country"), "latitude": _("Latitude"),
                  "longitude": _("Longitude")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].widget = forms.Select(choices=[("", "—"), *country_choices()])
        self.fields["unlocode"].help_text = _("Country code, a space and three letters, e.g. “UA LWO”.")


class HubForm(forms.ModelForm):
    class Meta:
        model = Hub
        fields = list(HUB_FIELDS)
        labels = {"code": _("Code"), "name": _("Name"), "location": _("Location"), "operator": _("Operator"),
                  "capacity_t_per_week": _("Weekly throughput (t)"), "active": _("Active")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["location"].queryset = Location.objects.for_user(user)
        self.fields["operator"].queryset = Organisation.objects.for_user(user).filter(
            kind=Organisation.Kind.HUB_OPERATOR)


class InboundLeadTimeForm(forms.Form):
    prefix = "inbound"
    origin_country = forms.ChoiceField(label=_("Origin country"))
    weeks = forms.IntegerField(label=_("Weeks"), min_value=0, max_value=52, required=False,
                               help_text=_("Leave empty to remove the route."))
    cost_per_t = forms.DecimalField(label=_("Cost per tonne"), min_value=Decimal(0), max_digits=10,
                                    decimal_places=4, required=False)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["origin_country"].choices = [("", "—"), *country_choices()]


class OutboundLeadTimeForm(forms.Form):
    prefix = "outbound"
    destination = forms.ModelChoiceField(label=_("Destination"), queryset=Location.objects.none())
    weeks = forms.IntegerField(label=_("Weeks"), min_value=0, max_value=52, required=False,
                               help_text=_("Leave empty to remove the route."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["destination"].queryset = Location.objects.for_user(user)
