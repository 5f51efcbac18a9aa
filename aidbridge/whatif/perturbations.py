"""Perturbations as a scenario stores them (database ids and dates), and their conversion to the engine's form.

A saved scenario must survive changes to the state it perturbs, so it names donors, hubs, destinations and
items by database id and times by date. At run time :func:`to_engine` turns them into the engine's form
(:mod:`aidbridge.whatif.engine`): donors as the organisation's pk in a string, hubs by code, destinations by
UN/LOCODE with a dash (``UA-LWO``, as :mod:`aidbridge.allocation.instance` writes them), items by code, a supply
class as the list of its items' codes, and dates as weeks from the run's start Monday (clipped at week 0).

Stored form (one dict per perturbation; :func:`validate_stored` fills the defaults):

- ``{"kind": "withdraw_donor", "donor": <Organisation pk>, "from_date": "YYYY-MM-DD" | null,
  "lose_allocated": true}``; ``from_date`` null: the donor withdraws everything not yet moved.
- ``{"kind": "delay_donor", "donor": <Organisation pk>, "weeks": 1..52}``
- ``{"kind": "close_hub", "hub": <Hub pk>, "cut": 0 < x <= 1, "from_date": date | null, "to_date": date | null}``
- ``{"kind": "lead_time", "leg": "in", "origin": "DE" | "*", "hub": <Hub pk> | "*", "weeks": 1..52}``, or
  ``{"kind": "lead_time", "leg": "out", "hub": <Hub pk> | "*", "destination": <Location pk> | "*", "weeks": n}``
- ``{"kind": "demand_surge", "item": <Item pk> | null, "supply_class": "V" | null, "share": 0 < x <= 5}``
  (exactly one of ``item`` and ``supply_class``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from aidbridge.accounts.models import Organisation
from aidbridge.allocation.instance import monday, week_of
from aidbridge.catalogue.models import Item
from aidbridge.core.fields import validate_country
from aidbridge.locations.models import Hub, Location

KINDS = ("withdraw_donor", "delay_donor", "close_hub", "lead_time", "demand_surge")
FIELDS: dict[str, tuple[str, ...]] = {
    "withdraw_donor": ("donor", "from_date", "lose_allocated"),
    "delay_donor": ("donor", "weeks"),
    "close_hub": ("hub", "cut", "from_date", "to_date"),
    "lead_time": ("leg", "origin", "hub", "destination", "weeks"),
    "demand_surge": ("item", "supply_class", "share"),
}
MAX_WEEKS = 52
MAX_SHARE = 5.0
ANY = "*"


class _Invalid(Exception):
    """One field of one perturbation is wrong; :func:`validate_stored` prefixes the index and kind."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def validate_stored(perturbations: Iterable[Any] | None) -> list[dict[str, Any]]:
    """The perturbations, checked and normalised (defaults filled, ids as ints, dates as ISO text).

    Raises ``ValidationError`` whose messages name the index, the kind and the field, e.g.
    ``perturbations[1] (close_hub): hub 7 does not exist``; every wrong perturbation is reported.
    """
    if perturbations is None:
        return []
    if isinstance(perturbations, str | bytes | Mapping) or not isinstance(perturbations, Iterable):
        raise ValidationError("perturbations: expected a list of perturbations.")
    out: list[dict[str, Any]] = []
    errors: list[str] = []
    for index, raw in enumerate(perturbations):
        where = f"perturbations[{index}]"
        if not isinstance(raw, Mapping):
            errors.append(f"{where}: expected an object with a “kind”.")
            continue
        kind = raw.get("kind")
        if kind not in KINDS:
            errors.append(f"{where}: kind “{kind}” is not one of {', '.join(KINDS)}.")
            continue
        unknown = sorted(set(raw) - {"kind", *FIELDS[kind]})
        if unknown:
            errors.append(f"{where} ({kind}): unknown field{'s' if len(unknown) > 1 else ''} "
                          f"{', '.join(map(str, unknown))}.")
            continue
        try:
            out.append(_NORMALISE[kind](raw))
        except _Invalid as exc:
            errors.append(f"{where} ({kind}): {exc.message}")
    if errors:
        raise ValidationError(errors)
    return out


# --- field checks ------------------------------------------------------------------------------------------

def _pk(raw: Mapping[str, Any], field: str, model: type[Any], noun: str, *, wildcard: bool = False) -> int | str:
    value = raw.get(field)
    if wildcard and value in (ANY, None):
        return ANY
    if isinstance(value, bool) or value is None:
        raise _Invalid(field, f"{field} is required.")
    if isinstance(value, int):
        pk = value
    elif isinstance(value, str) and value.strip().isdigit():
        pk = int(value.strip())
    elif isinstance(value, float) and value.is_integer():
        pk = int(value)
    else:
        raise _Invalid(field, f"{field} “{value}” is not an id.")
    if pk < 1 or pk > 2**63 - 1 or not model._default_manager.filter(pk=pk).exists():
        raise _Invalid(field, f"{noun} {value} does not exist.")
    return pk


def _donor(raw: Mapping[str, Any]) -> int:
    pk = _pk(raw, "donor", Organisation, "donor")
    kind = Organisation.objects.filter(pk=pk).values_list("kind", flat=True).first()
    if kind != Organisation.Kind.DONOR:
        raise _Invalid("donor", f"donor {pk} is not a donor organisation.")
    return int(pk)


def _date(raw: Mapping[str, Any], field: str) -> str | None:
    value = raw.get(field)
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise _Invalid(field, f"{field} “{value}” is not a date (YYYY-MM-DD).") from None


def _number(raw: Mapping[str, Any], field: str, *, default: float | None = None) -> float:
    value = raw.get(field, default)
    if isinstance(value, bool) or value is None:
        raise _Invalid(field, f"{field} is required.")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _Invalid(field, f"{field} “{value}” is not a number.") from None
    if not math.isfinite(number):
        raise _Invalid(field, f"{field} must be a finite number.")
    return number


def _weeks(raw: Mapping[str, Any]) -> int:
    weeks = _number(raw, "weeks")
    if not weeks.is_integer() or not 1 <= weeks <= MAX_WEEKS:
        raise _Invalid("weeks", f"weeks must be a whole number from 1 to {MAX_WEEKS}, not {raw.get('weeks')}.")
    return int(weeks)


def _bool(raw: Mapping[str, Any], field: str, default: bool) -> bool:
    value = raw.get(field, default)
    if not isinstance(value, bool):
        raise _Invalid(field, f"{field} must be true or false, not {value!r}.")
    return value


# --- one normaliser per kind -------------------------------------------------------------------------------

def _withdraw(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "withdraw_donor", "donor": _donor(raw), "from_date": _date(raw, "from_date"),
            "lose_allocated": _bool(raw, "lose_allocated", True)}


def _delay(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {"kind": "delay_donor", "donor": _donor(raw), "weeks": _weeks(raw)}


def _close_hub(raw: Mapping[str, Any]) -> dict[str, Any]:
    hub = _pk(raw, "hub", Hub, "hub")
    cut = _number(raw, "cut", default=1.0)
    if not 0 < cut <= 1:
        raise _Invalid("cut", f"cut must be more than 0 and at most 1 (1 = closed), not {raw.get('cut')}.")
    start, end = _date(raw, "from_date"), _date(raw, "to_date")
    if start and end and end < start:
        raise _Invalid("to_date", f"to_date {end} is before from_date {start}.")
    return {"kind": "close_hub", "hub": hub, "cut": cut, "from_date": start, "to_date": end}


def _lead_time(raw: Mapping[str, Any]) -> dict[str, Any]:
    leg = raw.get("leg")
    if leg == "in":
        if raw.get("destination") not in (None, ANY):
            raise _Invalid("destination", "destination applies to the outbound leg only (leg “out”).")
        origin = raw.get("origin", ANY)
        if origin != ANY:
            if not isinstance(origin, str):
                raise _Invalid("origin", f"origin {origin!r} is not a country code.")
            try:
                validate_country(origin)
            except ValidationError:
                raise _Invalid("origin", f"origin “{origin}” is not an ISO 3166 country code (or “*”).") from None
        return {"kind": "lead_time", "leg": "in", "origin": origin, "hub": _pk(raw, "hub", Hub, "hub", wildcard=True),
                "weeks": _weeks(raw)}
    if leg == "out":
        if raw.get("origin") not in (None, ANY):
            raise _Invalid("origin", "origin applies to the inbound leg only (leg “in”).")
        return {"kind": "lead_time", "leg": "out", "hub": _pk(raw, "hub", Hub, "hub", wildcard=True),
                "destination": _pk(raw, "destination", Location, "destination", wildcard=True),
                "weeks": _weeks(raw)}
    raise _Invalid("leg", f"leg must be “in” (origin → hub) or “out” (hub → destination), not {leg!r}.")


def _surge(raw: Mapping[str, Any]) -> dict[str, Any]:
    item, supply_class = raw.get("item"), raw.get("supply_class")
    if (item is None) == (supply_class in (None, "")):
        raise _Invalid("item", "give either item or supply_class (exactly one).")
    if item is not None:
        item = _pk(raw, "item", Item, "item")
        supply_class = None
    elif supply_class not in Item.SupplyClass.values:
        raise _Invalid("supply_class", f"supply_class “{supply_class}” is not one of "
                       f"{', '.join(Item.SupplyClass.values)}.")
    share = _number(raw, "share")
    if not 0 < share <= MAX_SHARE:
        raise _Invalid("share", f"share must be more than 0 and at most {MAX_SHARE:g} (+500%), not {raw.get('share')}.")
    return {"kind": "demand_surge", "item": item, "supply_class": supply_class, "share": share}


_NORMALISE = {"withdraw_donor": _withdraw, "delay_donor": _delay, "close_hub": _close_hub,
              "lead_time": _lead_time, "demand_surge": _surge}


# --- plain words ------------------------------------------------------------------------------------------

def _fmt(day: str | None) -> str:
    return date_format(dt.date.fromisoformat(day), "j M Y") if day else ""


def _name(model: type[Any], pk: Any, attr: str = "name") -> str:
    if pk == ANY:
        return ""
    obj = model._default_manager.filter(pk=pk).first()
    return str(getattr(obj, attr)) if obj is not None else gettext("#%(pk)s (deleted)") % {"pk": pk}


def _hub_label(pk: Any) -> str:
    hub = Hub.objects.filter(pk=pk).first() if pk != ANY else None
    if hub is not None:
        return f"{hub.code} {hub.name}"
    return gettext("all hubs") if pk == ANY else gettext("hub #%(pk)s (deleted)") % {"pk": pk}


def describe(p: Mapping[str, Any]) -> str:
    """The perturbation as a plain sentence, e.g. "Germany — Federal Ministry of Defence withdraws everything not
    yet moved; approved but undispatched allocations are lost too"."""
    kind = p.get("kind")
    if kind == "withdraw_donor":
        words = {"donor": _name(Organisation, p["donor"]), "date": _fmt(p.get("from_date"))}
        lost = p.get("lose_allocated", True)
        if p.get("from_date"):
            return (gettext("%(donor)s withdraws what it has not dispatched by %(date)s; approved but undispatched "
                            "allocations are lost too") if lost else
                    gettext("%(donor)s withdraws what it has not dispatched by %(date)s; approved allocations are "
                            "still delivered")) % words
        return (gettext("%(donor)s withdraws everything not yet moved; approved but undispatched allocations are "
                        "lost too") if lost else
                gettext("%(donor)s withdraws everything not yet moved; approved allocations are still "
                        "delivered")) % words
    if kind == "delay_donor":
        weeks = int(p["weeks"])
        return ngettext("%(donor)s delays its deliveries by %(weeks)s week",
                        "%(donor)s delays its deliveries by %(weeks)s weeks",
                        weeks) % {"donor": _name(Organisation, p["donor"]), "weeks": weeks}
    if kind == "close_hub":
        cut = float(p.get("cut", 1.0))
        start, end = p.get("from_date"), p.get("to_date")
        words = {"hub": _hub_label(p["hub"]), "cut": f"{cut:.0%}", "start": _fmt(start), "end": _fmt(end)}
        if cut >= 1:
            sentence = (gettext("%(hub)s closes from %(start)s to %(end)s") if start and end
                        else gettext("%(hub)s closes from %(start)s") if start
                        else gettext("%(hub)s closes until %(end)s") if end
                        else gettext("%(hub)s closes for the whole horizon"))
        else:
            sentence = (gettext("%(hub)s loses %(cut)s of its capacity from %(start)s to %(end)s") if start and end
                        else gettext("%(hub)s loses %(cut)s of its capacity from %(start)s") if start
                        else gettext("%(hub)s loses %(cut)s of its capacity until %(end)s") if end
                        else gettext("%(hub)s loses %(cut)s of its capacity for the whole horizon"))
        return sentence % words
    if kind == "lead_time":
        weeks = int(p["weeks"])
        if p.get("leg") == "in":
            origin = gettext("every origin") if p.get("origin", ANY) == ANY else p["origin"]
            return ngettext("Lead times from %(origin)s to %(hub)s rise by %(weeks)s week",
                            "Lead times from %(origin)s to %(hub)s rise by %(weeks)s weeks",
                            weeks) % {"origin": origin, "hub": _hub_label(p.get("hub", ANY)), "weeks": weeks}
        dest = p.get("destination", ANY)
        where = gettext("every destination") if dest == ANY else _name(Location, dest)
        return ngettext("Lead times from %(hub)s to %(destination)s rise by %(weeks)s week",
                        "Lead times from %(hub)s to %(destination)s rise by %(weeks)s weeks",
                        weeks) % {"hub": _hub_label(p.get("hub", ANY)), "destination": where, "weeks": weeks}
    if kind == "demand_surge":
        share = f"{float(p['share']):.0%}"
        if p.get("item") is not None:
            item = Item.objects.filter(pk=p["item"]).first()
            what = (f"{item.name} ({item.code})" if item is not None
                    else gettext("item #%(pk)s (deleted)") % {"pk": p["item"]})
        else:
            what = gettext("supply class %(label)s") % {"label": Item.SupplyClass(p["supply_class"]).label}
        return gettext("Demand for %(what)s rises by %(share)s") % {"what": what, "share": share}
    return gettext("Unknown perturbation %(kind)s") % {"kind": repr(kind)}


# --- the engine's form ------------------------------------------------------------------------------------

def _week(day: str | None, start: dt.date, default: int | None) -> int | None:
    if not day:
        return default
    return max(0, week_of(dt.date.fromisoformat(day), start))


def to_engine(stored: Iterable[Mapping[str, Any]], *, start_date: dt.date) -> list[dict[str, Any]]:
    """The perturbations in the engine's form, for a run whose week 0 is the Monday of ``start_date``.

    Raises ``ValidationError`` (naming the perturbation) when something it names was deleted since it was saved.
    A hub closure that ended before week 0 changes nothing and is left out.
    """
    start = monday(start_date)
    items = validate_stored(list(stored))
    out: list[dict[str, Any]] = []
    for p in items:
        kind = p["kind"]
        if kind == "withdraw_donor":
            out.append({"kind": kind, "donor": str(p["donor"]), "from_week": _week(p["from_date"], start, 0),
                        "lose_allocated": p["lose_allocated"]})
        elif kind == "delay_donor":
            out.append({"kind": kind, "donor": str(p["donor"]), "weeks": p["weeks"]})
        elif kind == "close_hub":
            if p["to_date"] and week_of(dt.date.fromisoformat(p["to_date"]), start) < 0:
                continue
            out.append({"kind": kind, "hub": Hub.objects.get(pk=p["hub"]).code, "cut": p["cut"],
                        "from_week": _week(p["from_date"], start, 0), "to_week": _week(p["to_date"], start, None)})
        elif kind == "lead_time":
            hub = ANY if p["hub"] == ANY else Hub.objects.get(pk=p["hub"]).code
            if p["leg"] == "in":
                out.append({"kind": kind, "leg": "in", "from": p["origin"], "to": hub, "weeks": p["weeks"]})
            else:
                dest = (ANY if p["destination"] == ANY
                        else Location.objects.get(pk=p["destination"]).unlocode.replace(" ", "-"))
                out.append({"kind": kind, "leg": "out", "from": hub, "to": dest, "weeks": p["weeks"]})
        else:
            if p["item"] is not None:
                codes = [Item.objects.get(pk=p["item"]).code]
            else:
                codes = list(Item.objects.filter(supply_class=p["supply_class"]).order_by("code")
                             .values_list("code", flat=True))
            out.append({"kind": kind, "items": codes, "share": p["share"]})
    return out


def donors_withdrawn(engine_perturbations: Iterable[Mapping[str, Any]]) -> set[str]:
    """The donor ids (engine form) a run's perturbations withdraw."""
    return {str(p.get("donor")) for p in engine_perturbations if p.get("kind") == "withdraw_donor"}
