"""The scenario form: name, threshold, horizon, and one optional section per kind of perturbation.

The sections build the stored perturbation list of :mod:`aidbridge.whatif.perturbations` (database ids and
dates); the service validates it and is the authority. Its messages name a perturbation by its index
(``perturbations[1] (close_hub): …``): :meth:`ScenarioForm.apply_errors` puts each next to the section's field
it is about. Perturbations the sections cannot show (a second closed hub saved through the API, say) are kept
as they are, listed with a box to remove each.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.locations.models import Hub, InboundLeadTime, Location
from aidbridge.whatif.models import Sweep

ANY = "*"

# Each section: its fields, the field that switches it on, and which form field each stored key is shown by.
SECTIONS: dict[str, dict[str, Any]] = {
    "withdraw_donor": {
        "legend": _("A donor withdraws"),
        "fields": ("withdraw_donors", "withdraw_from", "withdraw_lose_allocated"),
        "keys": {"donor": "withdraw_donors", "from_date": "withdraw_from", "lose_allocated": "withdraw_lose_allocated"},
    },
    "delay_donor": {
        "legend": _("A donor delays its deliveries"),
        "fields": ("delay_donor", "delay_weeks"),
        "keys": {"donor": "delay_donor", "weeks": "delay_weeks"},
    },
    "close_hub": {
        "legend": _("A hub closes or loses capacity"),
        "fields": ("hub", "hub_cut", "hub_from", "hub_to"),
        "keys": {"hub": "hub", "cut": "hub_cut", "from_date": "hub_from", "to_date": "hub_to"},
    },
    "lead_time": {
        "legend": _("Lead times on a route rise"),
        "fields": ("lead_leg", "lead_origin", "lead_hub", "lead_destination", "lead_weeks"),
        "keys": {"leg": "lead_leg", "origin": "lead_origin", "hub": "lead_hub", "destination": "lead_destination",
                 "weeks": "lead_weeks"},
    },
    "demand_surge": {
        "legend": _("Demand surges"),
        "fields": ("surge_item", "surge_class", "surge_percent"),
        "keys": {"item": "surge_item", "supply_class": "surge_class", "share": "surge_percent"},
    },
}
MAIN_FIELD = {"withdraw_donor": "withdraw_donors", "delay_donor": "delay_donor", "close_hub": "hub",
              "lead_time": "lead_weeks", "demand_surge": "surge_percent"}
_INDEX = re.compile(r"perturbations\[(\d+)\]")
_PREFIX = re.compile(r"^\s*perturbations\[\d+\](?:\s*\([a-z_]+\))?(?:\.[a-z_]+)?\s*:?\s*")

DATE = {"widget": forms.DateInput(attrs={"type": "date"})}


class DonorChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


class OneDonor(forms.ModelChoiceField):
    def label_from_instance(self, obj: Organisation) -> str:
        return obj.name


def _percent(share: Any) -> float | None:
    return None if share is None else round(100 * float(share), 4)


class ScenarioForm(forms.Form):
    name = forms.CharField(max_length=120, label=_("Name"), widget=forms.TextInput(attrs={"class": "wide"}))
    description = forms.CharField(required=False, label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 2, "class": "wide"}))
    threshold = forms.FloatField(
        min_value=1, max_value=100, initial=90, label=_("Time-to-survive threshold (%)"),
        help_text=_("Time-to-survive: the first week in which P1 coverage falls below this share (and below the "
                    "baseline's)."))
    weeks = forms.IntegerField(min_value=1, max_value=104, initial=26, label=_("Horizon (weeks)"))

    withdraw_donors = DonorChoice(
        queryset=Organisation.objects.none(), required=False, label=_("Donors"),
        widget=forms.CheckboxSelectMultiple, help_text=_("Each donor ticked withdraws."))
    withdraw_from = forms.DateField(
        required=False, label=_("From"), **DATE,
        help_text=_("Pledges not dispatched by this date disappear. Empty: everything not yet moved."))
    withdraw_lose_allocated = forms.BooleanField(
        required=False, initial=True, label=_("Approved but undispatched allocations are lost too"))

    delay_donor = OneDonor(queryset=Organisation.objects.none(), required=False, label=_("Donor"))
    delay_weeks = forms.IntegerField(required=False, min_value=1, max_value=52, label=_("Delay (weeks)"))

    hub = forms.ModelChoiceField(queryset=Hub.objects.none(), required=False, label=_("Hub"))
    hub_cut = forms.FloatField(required=False, min_value=0.1, max_value=100, initial=100,
                               label=_("Capacity cut (%)"),
                               # xgettext:no-python-format
                               help_text=_("100% closes the hub."))
    hub_from = forms.DateField(required=False, label=_("From"), help_text=_("Empty: from the start."), **DATE)
    hub_to = forms.DateField(required=False, label=_("Until (inclusive)"), help_text=_("Empty: to the horizon's end."),
                             **DATE)

    lead_leg = forms.ChoiceField(choices=[("in", _("Inbound: origin → hub")),
                                          ("out", _("Outbound: hub → destination"))],
                                 initial="in", label=_("Leg"))
    lead_origin = forms.ChoiceField(choices=[(ANY, _("Any origin"))], required=False, initial=ANY,
                                    label=_("Origin country"), help_text=_("Inbound leg only."))
    lead_hub = forms.ChoiceField(choices=[(ANY, _("Any hub"))], required=False, initial=ANY, label=_("Hub"))
    lead_destination = forms.ChoiceField(choices=[(ANY, _("Any destination"))], required=False, initial=ANY,
                                         label=_("Destination"), help_text=_("Outbound leg only."))
    lead_weeks = forms.IntegerField(required=False, min_value=1, max_value=52, label=_("Extra weeks"))

    surge_item = forms.ModelChoiceField(queryset=Item.objects.none(), required=False, label=_("Item"))
    surge_class = forms.ChoiceField(choices=[("", "—"), *Item.SupplyClass.choices], required=False,
                                    label=_("or supply class"))
    surge_percent = forms.FloatField(required=False, min_value=0.1, max_value=500, label=_("Surge (%)"),
                                     help_text=_("Quantities of the requirements rise by this share."))

    remove_kept = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple,
                                            label=_("Remove these"))

    def __init__(self, *args: Any, user: Any = None, kept: Sequence[tuple[dict[str, Any], str]] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        donors = Organisation.objects.for_user(user).filter(kind=Organisation.Kind.DONOR).order_by("name")
        self.fields["withdraw_donors"].queryset = donors  # type: ignore[attr-defined]
        self.fields["delay_donor"].queryset = donors  # type: ignore[attr-defined]
        hubs = Hub.objects.for_user(user).order_by("code")
        self.fields["hub"].queryset = hubs  # type: ignore[attr-defined]
        self.fields["surge_item"].queryset = Item.objects.for_user(user).order_by("code")  # type: ignore[attr-defined]
        origins = sorted(set(InboundLeadTime.objects.filter(hub__in=hubs).values_list("origin_country", flat=True)))
        self.fields["lead_origin"].choices = [(ANY, gettext("Any origin")), *((c, c) for c in origins)]  # type: ignore[attr-defined]
        self.fields["lead_hub"].choices = [(ANY, gettext("Any hub")), *((str(h.pk), str(h)) for h in hubs)]  # type: ignore[attr-defined]
        self.fields["lead_destination"].choices = [  # type: ignore[attr-defined]
            (ANY, gettext("Any destination")), *((str(loc.pk), str(loc)) for loc in Location.objects.for_user(user))]
        # what the sections cannot show: kept as saved unless ticked for removal
        self.kept = list(kept)
        self.fields["remove_kept"].choices = [(str(i), text) for i, (_, text) in enumerate(self.kept)]  # type: ignore[attr-defined]
        if not self.kept:
            del self.fields["remove_kept"]
        self.index_fields: dict[int, str] = {}  # perturbation index → the section field that shows it
        self.index_kinds: dict[int, str] = {}

    # --- layout ------------------------------------------------------------------------------------------------

    def basic_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in ("name", "description", "threshold", "weeks")]

    def sections(self) -> list[dict[str, Any]]:
        out = []
        for kind, section in SECTIONS.items():
            bound = [self[name] for name in section["fields"]]
            used = any(self._filled(b) for b in bound if b.name not in ("withdraw_lose_allocated", "lead_leg",
                                                                          "hub_cut", "lead_origin", "lead_hub",
                                                                          "lead_destination"))
            out.append({"kind": kind, "legend": section["legend"], "fields": bound,
                        "open": used or any(b.errors for b in bound)})
        return out

    def _filled(self, bound: forms.BoundField) -> bool:
        value = bound.value()
        return value not in (None, "", [], ANY)

    # --- stored form -------------------------------------------------------------------------------------------

    def perturbations(self) -> list[dict[str, Any]]:
        """The stored perturbation list the sections describe, then the kept ones not ticked for removal."""
        data = self.cleaned_data
        out: list[dict[str, Any]] = []

        def add(kind: str, field: str, p: dict[str, Any]) -> None:
            self.index_fields[len(out)] = field
            self.index_kinds[len(out)] = kind
            out.append(p)

        from_date = data.get("withdraw_from")
        for donor in data.get("withdraw_donors") or ():
            add("withdraw_donor", "withdraw_donors", {
                "kind": "withdraw_donor", "donor": donor.pk, "from_date": _iso(from_date),
                "lose_allocated": bool(data.get("withdraw_lose_allocated"))})
        if data.get("delay_donor") is not None or data.get("delay_weeks"):
            donor = data.get("delay_donor")
            add("delay_donor", "delay_donor", {"kind": "delay_donor", "donor": donor.pk if donor else None,
                                               "weeks": data.get("delay_weeks")})
        if data.get("hub") is not None:
            cut = data.get("hub_cut")
            add("close_hub", "hub", {"kind": "close_hub", "hub": data["hub"].pk,
                                     "cut": 1.0 if cut is None else round(float(cut) / 100, 6),
                                     "from_date": _iso(data.get("hub_from")), "to_date": _iso(data.get("hub_to"))})
        if data.get("lead_weeks"):
            hub = _id_or_any(data.get("lead_hub"))
            if data.get("lead_leg") == "out":
                p = {"kind": "lead_time", "leg": "out", "hub": hub,
                     "destination": _id_or_any(data.get("lead_destination")), "weeks": data["lead_weeks"]}
            else:
                p = {"kind": "lead_time", "leg": "in", "origin": data.get("lead_origin") or ANY, "hub": hub,
                     "weeks": data["lead_weeks"]}
            add("lead_time", "lead_weeks", p)
        if data.get("surge_percent") or data.get("surge_item") is not None or data.get("surge_class"):
            item = data.get("surge_item")
            share = data.get("surge_percent")
            add("demand_surge", "surge_percent", {
                "kind": "demand_surge", "item": item.pk if item is not None else None,
                "supply_class": data.get("surge_class") or None,
                "share": round(float(share) / 100, 6) if share else None})
        removed = set(data.get("remove_kept") or ())
        for i, (p, _text) in enumerate(self.kept):
            if str(i) not in removed:
                self.index_fields[len(out)] = ""
                self.index_kinds[len(out)] = str(p.get("kind", ""))
                out.append(p)
        return out

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {"name": data["name"], "description": data.get("description") or "",
                "threshold": round(float(data["threshold"]) / 100, 6), "weeks": data["weeks"],
                "perturbations": self.perturbations()}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("delay_donor") is not None and not data.get("delay_weeks"):
            self.add_error("delay_weeks", gettext("Say by how many weeks the donor delays."))
        if data.get("delay_weeks") and data.get("delay_donor") is None:
            self.add_error("delay_donor", gettext("Pick the donor that delays."))
        if data.get("lead_weeks") is None and (
                data.get("lead_origin") not in (None, "", ANY) or data.get("lead_hub") not in (None, "", ANY)
                or data.get("lead_destination") not in (None, "", ANY)):
            self.add_error("lead_weeks", gettext("Say by how many weeks the lead time rises."))
        surge = data.get("surge_item") is not None or bool(data.get("surge_class"))
        if surge and not data.get("surge_percent"):
            self.add_error("surge_percent", gettext("Say by how much demand surges."))
        if data.get("surge_percent") and not surge:
            self.add_error("surge_item", gettext("Pick the item or the supply class whose demand surges."))
        if data.get("surge_item") is not None and data.get("surge_class"):
            self.add_error("surge_class", gettext("Pick an item or a supply class, not both."))
        start, end = data.get("hub_from"), data.get("hub_to")
        if start and end and end < start:
            self.add_error("hub_to", gettext("The hub reopens before it closes: pick a later date."))
        return data

    # --- the service's errors --------------------------------------------------------------------------------

    def apply_errors(self, errors: Mapping[str, Iterable[str]]) -> None:
        """Put a service's messages next to the fields they are about.

        ``errors`` maps a field of the service (``name``, ``threshold``, ``perturbations``, ``__all__``…) to
        messages. A message about ``perturbations[i]`` goes to the section field that built perturbation ``i``
        (the field named in it if the section has one, else the section's main field), without its prefix.
        """
        for key, messages in errors.items():
            for message in messages:
                message = str(message)
                target, text = self._target(key, message)
                self.add_error(target, text)

    def _target(self, key: str, message: str) -> tuple[str | None, str]:
        match = _INDEX.search(message) or _INDEX.search(key)
        if match is not None:
            index = int(match.group(1))
            kind = self.index_kinds.get(index, "")
            field = self.index_fields.get(index, "")
            text = _PREFIX.sub("", message) or message
            if not field:  # a kept perturbation: the whole form
                return None, message
            # the stored field the message is about is the first one it names
            named = SECTIONS.get(kind, {}).get("keys", {})
            hits = [(m.start(), form_field) for stored, form_field in named.items()
                    if (m := re.search(rf"\b{re.escape(stored)}\b", text)) is not None]
            return (min(hits)[1] if hits else field), text
        if key in self.fields and key not in ("remove_kept",):
            return key, message
        return None, message


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _id_or_any(value: Any) -> Any:
    if value in (None, "", ANY):
        return ANY
    return int(value)


Kept = list[tuple[dict[str, Any], str]]


def initial_from_stored(stored: Sequence[dict[str, Any]], describe: Any) -> tuple[dict[str, Any], Kept]:
    """The sections' initial values for saved perturbations, and those the sections cannot show (kept).

    Withdrawals that share a date and option fill the withdraw section; any other kind fills its section once.
    ``describe(p)`` words a kept perturbation.
    """
    initial: dict[str, Any] = {}
    kept: Kept = []
    seen: set[str] = set()
    withdraw_key: tuple[Any, Any] | None = None
    for p in stored:
        kind = p.get("kind")
        if kind == "withdraw_donor":
            key = (p.get("from_date"), bool(p.get("lose_allocated", True)))
            if withdraw_key is None or key == withdraw_key:
                withdraw_key = key
                initial.setdefault("withdraw_donors", []).append(p.get("donor"))
                initial["withdraw_from"] = p.get("from_date")
                initial["withdraw_lose_allocated"] = key[1]
                continue
        elif kind in SECTIONS and kind not in seen:
            seen.add(kind)
            if kind == "delay_donor":
                initial.update(delay_donor=p.get("donor"), delay_weeks=p.get("weeks"))
            elif kind == "close_hub":
                initial.update(hub=p.get("hub"), hub_cut=_percent(p.get("cut", 1.0)), hub_from=p.get("from_date"),
                               hub_to=p.get("to_date"))
            elif kind == "lead_time":
                initial.update(lead_leg=p.get("leg", "in"), lead_origin=p.get("origin", ANY),
                               lead_hub=str(p.get("hub", ANY)), lead_destination=str(p.get("destination", ANY)),
                               lead_weeks=p.get("weeks"))
            elif kind == "demand_surge":
                initial.update(surge_item=p.get("item"), surge_class=p.get("supply_class") or "",
                               surge_percent=_percent(p.get("share")))
            continue
        kept.append((p, describe(p)))
    return initial, kept


class SweepForm(forms.Form):
    kind = forms.ChoiceField(choices=Sweep.Kind.choices, initial=Sweep.Kind.DONORS, label=_("Sweep"))
    from_date = forms.DateField(
        required=False, label=_("From"), **DATE,
        help_text=_("Donors withdraw what they have not dispatched by this date. Empty: everything not yet moved."))
