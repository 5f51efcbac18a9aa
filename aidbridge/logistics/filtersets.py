from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from aidbridge.logistics.models import Shipment, StockMovement


class ShipmentFilterSet(django_filters.FilterSet):
    """One filter definition for the HTML list and the REST list."""

    status = django_filters.MultipleChoiceFilter(choices=Shipment.Status.choices, distinct=False)
    leg = django_filters.ChoiceFilter(choices=Shipment.Leg.choices)
    hub = django_filters.NumberFilter(field_name="hub_id", label=_("Hub id"))
    donor = django_filters.NumberFilter(field_name="donor_id", label=_("Donor organisation id"))
    destination = django_filters.NumberFilter(field_name="destination_id", label=_("Destination location id"))

    class Meta:
        model = Shipment
        fields = ["status", "leg", "hub", "donor", "destination"]


class StockMovementFilterSet(django_filters.FilterSet):
    hub = django_filters.NumberFilter(field_name="hub_id", label=_("Hub id"))
    item = django_filters.NumberFilter(field_name="item_id", label=_("Item id"))
    kind = django_filters.ChoiceFilter(choices=StockMovement.Kind.choices)

    class Meta:
        model = StockMovement
        fields = ["hub", "item", "kind"]
