from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import manages_reference_data
from aidbridge.core.views import DetailFormView, ObjectDetailView, ObjectFormView, ObjectListView
from aidbridge.locations import services, tables
from aidbridge.locations.filtersets import HubFilterSet, LocationFilterSet
from aidbridge.locations.forms import HubForm, InboundLeadTimeForm, LocationForm, OutboundLeadTimeForm
from aidbridge.locations.models import Hub, Location


class LocationList(ObjectListView):
    model = Location
    filterset_class = LocationFilterSet
    columns = tables.LOCATION_COLUMNS
    create_permission = manages_reference_data


class LocationDetail(ObjectDetailView):
    model = Location
    fields = tables.LOCATION_FIELDS
    edit_permission = staticmethod(manages_reference_data)
    template_name = "locations/location_detail.html"

    def get_extra_context(self, obj: Location) -> dict[str, Any]:
        return {
            "hubs": Hub.objects.for_user(self.request.user).filter(location=obj),
        }


class LocationEdit(ObjectFormView):
    model = Location
    form_class = LocationForm
    create_service = services.create_location
    update_service = services.update_location
    object_kwarg = "location"
    permission = staticmethod(manages_reference_data)


class HubList(ObjectListView):
    model = Hub
    filterset_class = HubFilterSet
    columns = tables.HUB_COLUMNS
    related = ("location", "operator")
    create_permission = manages_reference_data
    filter_labels = {"organisation": _("Operator"), "country": _("Country")}

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        operators = Organisation.objects.for_user(self.request.user).filter(kind=Organisation.Kind.HUB_OPERATOR)
        return {"organisation": [(o.pk, o.name) for o in operators]}


class HubDetail(ObjectDetailView):
    model = Hub
    fields = tables.HUB_FIELDS
    related = ("location", "operator")
    edit_permission = staticmethod(manages_reference_data)
    template_name = "locations/hub_detail.html"

    def get_extra_context(self, obj: Hub) -> dict[str, Any]:
        user = self.request.user
        editable = manages_reference_data(self.principal)
        return {
            "inbound": obj.inbound_lead_times.all(),
            "outbound": obj.outbound_lead_times.select_related("destination"),
            "lead_times_editable": editable,
            "inbound_form": InboundLeadTimeForm(user=user) if editable else None,
            "outbound_form": OutboundLeadTimeForm(user=user) if editable else None,
        }


class HubEdit(ObjectFormView):
    model = Hub
    form_class = HubForm
    create_service = services.create_hub
    update_service = services.update_hub
    object_kwarg = "hub"
    permission = staticmethod(manages_reference_data)
    related = ("location", "operator")


class InboundLeadTimeSet(DetailFormView, HubDetail):
    """Set (or, with no weeks, remove) the route from an origin country into this hub."""

    form_class = InboundLeadTimeForm
    form_name = "inbound_form"
    permission = staticmethod(manages_reference_data)
    success_message = _("Inbound lead time saved.")

    def perform(self, obj: Hub, form: forms.BaseForm) -> Any:
        data = form.cleaned_data
        return services.set_inbound_lead_time(
            actor=self.request.user, hub=obj, origin_country=data["origin_country"], weeks=data["weeks"],
            cost_per_t=data["cost_per_t"] if data["cost_per_t"] is not None else Decimal(0),
        )


class OutboundLeadTimeSet(DetailFormView, HubDetail):
    """Set (or, with no weeks, remove) the route from this hub to a destination."""

    form_class = OutboundLeadTimeForm
    form_name = "outbound_form"
    permission = staticmethod(manages_reference_data)
    success_message = _("Outbound lead time saved.")

    def perform(self, obj: Hub, form: forms.BaseForm) -> Any:
        data = form.cleaned_data
        return services.set_outbound_lead_time(
            actor=self.request.user, hub=obj, destination=data["destination"], weeks=data["weeks"]
        )
