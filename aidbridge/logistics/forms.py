from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext, gettext_lazy

from aidbridge.catalogue.models import Item
from aidbridge.logistics.models import DiscrepancyReason, StockMovement

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)


class _UserForm(forms.Form):
    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class DispatchForm(_UserForm):
    prefix = "dispatch"
    carrier = forms.CharField(label=_("Carrier"), max_length=120, required=False)
    tracking_reference = forms.CharField(label=_("Tracking reference"), max_length=120, required=False)
    place = forms.CharField(label=_("Place"),
                            max_length=200, required=False, help_text=_("Depot or address, if known."))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class TrackForm(_UserForm):
    prefix = "track"
    place = forms.CharField(label=_("Place"), max_length=200, required=False, help_text=_("Where the shipment is now."))
    carrier = forms.CharField(label=_("Carrier"), max_length=120, required=False)
    tracking_reference = forms.CharField(label=_("Tracking reference"), max_length=120, required=False)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ArriveForm(_UserForm):
    prefix = "arrive"
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class CancelForm(_UserForm):
    prefix = "cancel"
    reason = forms.CharField(label=_("Reason"), max_length=500, help_text=_("Why the shipment is cancelled."))


class ProofForm(_UserForm):
    prefix = "proof"
    signatory = forms.CharField(label=_("Signatory"), max_length=200, help_text=_("Who signed for the goods."))
    document = forms.FileField(label=_("Document"),
                               required=False, help_text=_("Scan of the signed delivery note: PDF, PNG, JPEG or "
                                                           "text. It may also be attached later."))


class ProofDocumentForm(_UserForm):
    prefix = "scan"
    document = forms.FileField(label=_("Document"),
                               help_text=_("Scan of the signed delivery note: PDF, PNG, JPEG or text. Once "
                                           "attached, it is never replaced."))


class _LinesForm(_UserForm):
    """One units field per line of a planned shipment; ``entries()`` gives the (line, units) pairs filled in."""

    field_prefix = ""
    help = ""

    def __init__(self, *args: Any, lines: list[Any] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        self.line_fields: dict[int, str] = {}
        for line in self.lines:
            name = f"{self.field_prefix}_{line.pk}"
            self.fields[name] = forms.IntegerField(
                min_value=0, max_value=line.quantity, required=False,
                label=gettext("%(item)s of %(pledge)s → %(requirement)s (%(units)s on board)")
                % {"item": line.item.code, "pledge": line.allocation_line.pledge.reference,
                   "requirement": line.allocation_line.requirement.reference, "units": line.quantity})
            self.line_fields[line.pk] = name
        self.order_fields([*self.line_fields.values()])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and not self.entries():
            raise forms.ValidationError(self.help)
        return data

    def entries(self) -> list[tuple[Any, int]]:
        data = getattr(self, "cleaned_data", {})
        return [(line, data[name]) for line in self.lines if (name := self.line_fields[line.pk]) in data
                and data[name]]


class SplitForm(_LinesForm):
    prefix = "split"
    field_prefix = "move"
    help = _("Give the units to move on at least one line.")
    week = forms.DateField(label=_("Week"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
                           help_text=_("Dispatch week of the new shipment (any day of it); default: this one's."))
    note = forms.CharField(label=_("Note"),
                           max_length=300, required=False, help_text=_("Why, for the timeline (optional)."))


class RemoveLinesForm(_LinesForm):
    prefix = "remove"
    field_prefix = "remove"
    help = _("Give the units to take off on at least one line.")
    reason = forms.CharField(label=_("Reason"),
                             max_length=300, help_text=_("Why these units are taken off. They can be planned again."))


REASON_CHOICES = [("", "—"), *DiscrepancyReason.choices]


class ReceiveForm(_UserForm):
    """One good/damaged/lost/reason group per shipment line still outstanding."""

    prefix = "receive"
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, lines: list[tuple[Any, int]] = (), **kwargs: Any) -> None:  # type: ignore[assignment]
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line, outstanding in self.lines:
            label = f"{line.item.code} of {line.allocation_line.pledge.reference} ({outstanding} outstanding)"
            self.fields[f"good_{line.pk}"] = forms.IntegerField(min_value=0, required=False, label=f"{label}: good")
            self.fields[f"damaged_{line.pk}"] = forms.IntegerField(min_value=0, required=False, label=_("Damaged"))
            self.fields[f"lost_{line.pk}"] = forms.IntegerField(min_value=0, required=False, label=_("Lost"))
            self.fields[f"reason_{line.pk}"] = forms.ChoiceField(choices=REASON_CHOICES, required=False,
                                                                 label=_("Reason"))

    def entries(self) -> list[tuple[Any, int, int, int, str]]:
        data = self.cleaned_data
        result = []
        for line, _label in self.lines:
            good, damaged, lost = (data.get(f"{k}_{line.pk}") or 0 for k in ("good", "damaged", "lost"))
            if good or damaged or lost:
                result.append((line, good, damaged, lost, data.get(f"reason_{line.pk}") or ""))
        return result


class StockMovementForm(_UserForm):
    prefix = "movement"
    KINDS = [(StockMovement.Kind.ISSUE, _("Issue")), (StockMovement.Kind.ADJUSTMENT, _("Adjustment (± after a count)")),
             (StockMovement.Kind.WRITE_OFF, _("Write-off"))]
    kind = forms.ChoiceField(label=_("Kind"), choices=KINDS)
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.none())
    quantity = forms.IntegerField(label=_("Quantity"), help_text=_("Units; an adjustment may be negative."))
    reason = forms.ChoiceField(label=_("Reason"), choices=[("", "—"), *StockMovement.Reason.choices], required=False,
                               help_text=_("Required for adjustments and write-offs."))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)
    override_reason = forms.CharField(
        max_length=300, required=False, label=_("Override reason"),
        help_text=_("Issues only: to take units reserved for allocations, say why. The override is audited."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.for_user(user).order_by("code")
