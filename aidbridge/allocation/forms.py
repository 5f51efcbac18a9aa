from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import F
from django.forms.models import ModelChoiceIterator
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.core.fields import LongSelect
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge


class _FirstChoices(ModelChoiceIterator):
    """The field's first ``shown`` choices: the queryset's own order, sliced in the database."""

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset[: self.field.shown]:
            yield self.choice(obj)

    def __len__(self) -> int:
        return min(self.queryset.count(), self.field.shown) + (self.field.empty_label is not None)


class PledgeChoiceField(forms.ModelChoiceField):
    """A pledge of the requirement's item. The list shows the ``shown`` pledges available earliest (a select of
    a thousand pledges is neither usable nor quick to render); any pledge of the queryset is accepted."""

    iterator = _FirstChoices
    shown = 100

    def label_from_instance(self, obj: Pledge) -> str:
        return (gettext("%(reference)s · %(donor)s · %(left)s of %(quantity)s left · from %(origin)s, "
                        "available %(day)s")
                % {"reference": obj.reference, "donor": obj.donor.name,
                   "left": number_format(obj.unallocated, force_grouping=True),
                   "quantity": number_format(obj.quantity, force_grouping=True), "origin": obj.origin_country,
                   "day": date_format(obj.available_from, "d M Y")})


class AllocateForm(forms.Form):
    pledge = PledgeChoiceField(label=_("Pledge"),
                               queryset=Pledge.objects.none(), help_text=_("Committed pledges of the same item."),
                               widget=LongSelect(attrs={"class": "wide"}))
    hub = forms.ModelChoiceField(label=_("Hub"), queryset=Hub.objects.none())
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)
    dispatch_week = forms.DateField(label=_("Dispatch week"),
        required=False, widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional: Monday of the planned hub dispatch week. It must be this week or later, and no "
                    "earlier than the pledge's available date plus the lead time from its origin to the hub."),
    )
    override_capacity = forms.BooleanField(
        required=False, label=_("Override hub capacity"),
        help_text=_("Allocate even though the hub's weekly capacity would be exceeded. Needs a reason; both are "
                    "recorded in the audit log."),
    )
    override_reason = forms.CharField(required=False, max_length=500, label=_("Reason for the override"))

    def __init__(self, *args: Any, user: Any = None, requirement: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["pledge"].queryset = (
            Pledge.objects.for_user(user)
            .filter(item_id=requirement.item_id, status__in=[Pledge.Status.COMMITTED, Pledge.Status.ALLOCATED])
            .with_use().filter(allocated_qty__lt=F("quantity")).select_related("donor")
            .order_by("available_from", "pk")
        )
        field = self.fields["pledge"]
        if not self.is_bound and field.queryset[field.shown:field.shown + 1].exists():
            field.help_text = gettext("Committed pledges of the same item: the %(shown)s available earliest are "
                                      "listed.") % {"shown": field.shown}
        self.fields["hub"].queryset = Hub.objects.for_user(user).filter(active=True)
        left = requirement.quantity - requirement.allocated
        self.fields["quantity"].initial = left
        self.fields["quantity"].help_text = (gettext("%(units)s units still needed.")
                                             % {"units": number_format(left, force_grouping=True)})

    def clean_dispatch_week(self) -> Any:
        week = self.cleaned_data.get("dispatch_week")
        if week is not None and week.weekday() != 0:
            raise forms.ValidationError(gettext("%(day)s is a %(weekday)s; pick the Monday of the week.")
                                        % {"day": date_format(week, "d M Y"), "weekday": date_format(week, "l")})
        return week

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("override_capacity") and not (data.get("override_reason") or "").strip():
            self.add_error("override_reason", gettext("Give the reason for overriding the hub's weekly capacity."))
        return data


class QuantityForm(forms.Form):
    quantity = forms.IntegerField(label=_("Quantity"), min_value=1)

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
