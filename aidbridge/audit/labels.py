"""Readable audit trails: references such as ``PLG-00431``, labels for the ids an event's before/after hold,
and the events a user may read.

The audit app sits below the apps whose objects it records, so it never imports their models: it finds them
through ``django.apps`` by their label (``pledges.pledge``) and asks each model's own ``for_user`` what the
viewer may see. An id the viewer may not see is described ("a pledge you cannot see"), never labelled; in the
lists a shipment's history keeps (its lines, movements, the shipments it was split into or from), ids the viewer
may not see are left out altogether. Fields a model withholds from a viewer (``withheld_history_fields``, e.g.
a shipment's origin country) are not shown.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from django.apps import apps
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import BigIntegerField, Case, Exists, OuterRef, Q, When
from django.db.models import Value as SqlValue
from django.db.models.functions import Cast
from django.db.models.lookups import Regex
from django.utils.translation import gettext, ngettext

from aidbridge.core.viewer import viewer

# Reference prefixes of the objects that carry one (``<PREFIX>-<pk, zero padded>``), by model label.
REFERENCE_PREFIXES: dict[str, str] = {
    "PLG": "pledges.pledge",
    "REQ": "requirements.requirement",
    "SHP": "logistics.shipment",
}
REFERENCE_RE = re.compile(r"^\s*([A-Za-z]{2,5})-0*(\d{1,18})\s*$")
TYPED_ID_RE = re.compile(r"^\s*([a-z_]+\.[a-z_]+)\s*[:#]\s*(\d{1,18})\s*$")


def default_label(obj: Any) -> str:
    """``PLG-00431`` for objects with a reference, "7.62 mm cartridge (AMMO-762)" for coded reference data,
    else the object's own text."""
    reference = getattr(obj, "reference", None)
    if isinstance(reference, str) and reference:
        return reference
    name, code = getattr(obj, "name", None), getattr(obj, "code", None)
    if isinstance(name, str) and name and isinstance(code, str) and code:
        return f"{name} ({code})"
    return str(obj)


def model_for(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def scoped(model: type[models.Model]) -> bool:
    """Whether the model says who may see its rows (``objects.for_user``)."""
    return callable(getattr(model._default_manager, "for_user", None))


def parse_object(value: str) -> tuple[str, str] | None:
    """``PLG-00431`` → ("pledges.pledge", "431"); ``pledges.pledge:431`` likewise; anything else: ``None``."""
    if match := REFERENCE_RE.match(value):
        model_label = REFERENCE_PREFIXES.get(match.group(1).upper())
        return (model_label, str(int(match.group(2)))) if model_label else None
    if match := TYPED_ID_RE.match(value):
        return match.group(1), str(int(match.group(2)))
    return None


def visible_events_q(user: Any) -> Q:
    """Events on objects ``user`` may see: per audited model that knows its viewers, a correlated ``EXISTS`` on
    that model's ``for_user``, matched on the primary key.

    Correlated, so that a page of the trail looks up only its own events' objects (through the primary key's
    index), instead of building the set of every visible object of every model on each request: at 100,000
    pledges and 700,000 events that took the coordinator's audit list from 1.4 s to milliseconds. An
    ``object_id`` that is not a number never reaches the cast (a ``CASE`` guards it).

    Events on anything else (accounts, devices, system events) stay with the auditors.
    """
    numeric_id = Case(When(Regex(OuterRef("object_id"), r"^[0-9]{1,18}$"),
                           then=Cast(OuterRef("object_id"), BigIntegerField())),
                      default=SqlValue(None), output_field=BigIntegerField())
    condition = Q(pk__in=[])
    for model in apps.get_models():
        if model._meta.label_lower == "audit.auditevent" or not scoped(model):
            continue
        key = numeric_id if isinstance(model._meta.pk, models.IntegerField) else OuterRef("object_id")
        visible = model._default_manager.for_user(user).filter(pk=key)  # type: ignore[attr-defined]
        condition |= Q(object_type=model._meta.label_lower) & Q(Exists(visible))
    return condition


# --- before/after, for people ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Value:
    """One side of a change, as shown: ``text`` and, for an object the viewer may open, its ``url``."""

    text: str
    url: str = ""
    hidden: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Change:
    name: str
    before: Value | None
    after: Value | None


HIDDEN_FIELDS = {"id", "created_at", "updated_at", "token_hash"}

# Keys whose value is a list of ``[id, units]`` pairs naming rows of another model, by (audited model, key):
# a shipment's ``lines`` (and the lines taken off it) name allocation lines. Only the pairs naming rows the
# viewer may see are shown; the others are left out entirely (neither their units nor how many there are).
PAIRED_REFERENCES: dict[tuple[str, str], str] = {
    ("logistics.shipment", "lines"): "allocation.allocationline",
    ("logistics.shipment", "removed"): "allocation.allocationline",
    ("logistics.shipment", "moved"): "allocation.allocationline",
}

#: A list of pairs shows this many, then how many more the viewer may see.
PAIRS_SHOWN = 20

# Keys whose value is a list of ids of another model: only the rows the viewer may see are shown.
LISTED_REFERENCES: dict[tuple[str, str], str] = {
    ("logistics.shipment", "movements"): "logistics.stockmovement",
    ("logistics.shipment", "planned_onward"): "logistics.shipment",
    ("logistics.stockmovement", "trimmed_shipments"): "logistics.shipment",
}

# Keys whose value is one id of another model, shown only when the viewer may see that row (else no change row).
SINGLE_REFERENCES: dict[tuple[str, str], str] = {
    ("logistics.shipment", "into"): "logistics.shipment",
    ("logistics.shipment", "split_from"): "logistics.shipment",
}

# How a row of an event is read: a model field, [id, units] pairs, a list of ids, or one id.
FIELD, PAIRS, LISTED, SINGLE = "field", "pairs", "listed", "single"


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    """``[[id, units], …]`` as pairs; anything else (old or malformed history) as no pairs."""
    if not isinstance(value, list):
        return []
    return [(pair[0], pair[1]) for pair in value if isinstance(pair, list | tuple) and len(pair) == 2]


def _reference(label: str, pk: Any) -> str:
    prefix = next((p for p, model in REFERENCE_PREFIXES.items() if model == label), "")
    return f"{prefix}-{int(pk):05d}" if prefix and isinstance(pk, int) else str(pk)


class _Paired(NamedTuple):
    """An allocation line named in a pair, as much of it as its label needs."""

    pk: int
    pledge_id: int
    requirement_id: int


def _allocation_label(obj: Any) -> str:
    """"PLG-00262 → REQ-00022" from the ids alone, so that a history of many lines costs no extra queries."""
    pledge = _reference("pledges.pledge", obj.pledge_id)
    return f"{pledge} → {_reference('requirements.requirement', obj.requirement_id)}"


EMPTY: tuple[Any, ...] = (None, "", [])


def _changed_keys(event: Any) -> list[tuple[str, Any, Any]]:
    before, after = event.before or {}, event.after or {}
    rows = []
    for key in sorted(set(before) | set(after)):
        if key in HIDDEN_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if old == new or (event.before is None and new in EMPTY) or (event.after is None and old in EMPTY):
            continue
        rows.append((key, old, new))
    return rows


def _fields(model: type[models.Model] | None) -> dict[str, models.Field]:
    if model is None:
        return {}
    return {f.attname: f for f in model._meta.concrete_fields}  # type: ignore[misc]


def _plain(field: models.Field | None, value: Any) -> str:
    """A scalar as people read it: choice labels, thousands separators, yes/no."""
    if value is None or value == "":
        return "—"
    if isinstance(value, list | dict):
        return ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    if field is not None and field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, int):
        return intcomma(value)
    if isinstance(field, models.DecimalField | models.FloatField):
        try:
            return intcomma(f"{Decimal(str(value)).normalize():f}")
        except InvalidOperation:
            return str(value)
    return str(value)


def _detail_url(obj: models.Model) -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(f"{obj._meta.app_label}:{obj._meta.model_name}", args=[obj.pk])
    except NoReverseMatch:
        return ""


def _ids(value: Any) -> list[Any]:
    """A list of ids; anything else (old or malformed history) as no ids."""
    return [pk for pk in value if isinstance(pk, int | str)] if isinstance(value, list) else []


def withheld_keys(user: Any, events: list[Any]) -> dict[tuple[str, str], frozenset[str]]:
    """(object type, object id) → the keys of that object's snapshots that ``user`` may not read.

    A model that withholds some of its fields from some viewers says which, per object, with a classmethod
    ``withheld_history_fields(user, ids)`` (one query per such model on the page).
    """
    ids: dict[str, set[str]] = defaultdict(set)
    for event in events:
        ids[getattr(event, "object_type", "") or ""].add(str(getattr(event, "object_id", "") or ""))
    out: dict[tuple[str, str], frozenset[str]] = {}
    for label, pks in ids.items():
        model = model_for(label)
        hook = getattr(model, "withheld_history_fields", None)
        if model is None or not callable(hook):
            continue
        clean = [pk for pk in pks if pk.isdigit()]
        for pk, keys in hook(user, clean).items():
            out[(label, str(pk))] = frozenset(keys)
    return out


def readable_changes(user: Any, events: Iterable[Any]) -> list[list[Change]]:
    """For each event, its changes with ids replaced by labels of the objects ``user`` may see.

    All ids of one related model are read in one query through that model's ``for_user``, so a page of
    history costs one query per kind of object it mentions, not one per id. Keys the object's model withholds
    from ``user`` (:func:`withheld_keys`) are left out, and so are lists of ids whose visible part did not change.
    """
    events = list(events)
    withheld = withheld_keys(user, events)
    raw = []
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    # Models named only in [id, units] pairs need only the two ids a pair's label is made of: a lorry's history
    # names 1,500 allocation lines, which as model instances cost more than the page's queries.
    paired_only: set[type[models.Model]] = set()
    named: set[type[models.Model]] = set()
    for event in events:
        object_type = getattr(event, "object_type", "") or ""
        hidden_keys = withheld.get((object_type, str(getattr(event, "object_id", "") or "")), frozenset())
        fields = _fields(model_for(object_type))
        rows: list[tuple[str, str, models.Field | None, type[models.Model] | None, Any, Any]] = []
        for key, old, new in _changed_keys(event):
            if key in hidden_keys:
                continue
            paired = model_for(PAIRED_REFERENCES.get((object_type, key), ""))
            if paired is not None:
                for value in (old, new):
                    wanted[paired].update(pk for pk, _ in _pairs(value))
                paired_only.add(paired)
                rows.append((PAIRS, key, None, paired, old, new))
                continue
            listed = model_for(LISTED_REFERENCES.get((object_type, key), ""))
            if listed is not None:
                named.add(listed)
                for value in (old, new):
                    wanted[listed].update(_ids(value))
                rows.append((LISTED, key, None, listed, old, new))
                continue
            single = model_for(SINGLE_REFERENCES.get((object_type, key), ""))
            if single is not None:
                named.add(single)
                for value in (old, new):
                    if value not in EMPTY:
                        wanted[single].add(value)
                rows.append((SINGLE, key, None, single, old, new))
                continue
            field = fields.get(key)
            related = field.related_model if field is not None and field.is_relation else None
            if isinstance(related, type) and issubclass(related, models.Model):
                named.add(related)
                for value in (old, new):
                    if value not in EMPTY:
                        wanted[related].add(value)
            rows.append((FIELD, key, field, related, old, new))
        raw.append(rows)

    everything = viewer(user).sees_everything
    found: dict[type[models.Model], dict[str, Any]] = {}
    for model, ids in wanted.items():
        if not scoped(model) and not everything:  # a model that does not say who sees it: auditors only
            found[model] = {}
            continue
        target: Any = model._meta.pk  # a one-to-one primary key converts through the field it points at
        clean = set()
        for value in ids:
            try:
                clean.add(target.to_python(value))
            except (ValidationError, TypeError, ValueError):  # a malformed id in old history: not resolved
                continue
        manager: Any = model._default_manager
        qs = (manager.for_user(user) if scoped(model) else manager.all()).filter(pk__in=clean)
        if model in paired_only and model not in named:
            found[model] = {str(pk): _Paired(pk, pledge_id, requirement_id)
                            for pk, pledge_id, requirement_id in qs.values_list("pk", "pledge_id", "requirement_id")}
        else:
            found[model] = {str(obj.pk): obj for obj in qs}

    def show(field: models.Field | None, related: type[models.Model] | None, value: Any) -> Value:
        if related is None:
            return Value(_plain(field, value))
        if value in EMPTY:
            return Value("—")
        obj = found.get(related, {}).get(str(value))
        if obj is None:
            noun = str(related._meta.verbose_name)
            # "an item", "an organisation", "a user": English's article, two sentences for the translators
            text = (gettext("an %(thing)s you cannot see") if noun[:1].lower() in "aeio"
                    else gettext("a %(thing)s you cannot see"))
            return Value(text % {"thing": noun}, hidden=True)
        return Value(default_label(obj), _detail_url(obj))

    def visible_pairs(related: type[models.Model], value: Any) -> list[tuple[Any, Any]]:
        """Only the pairs naming rows ``user`` may see: the others leave no trace, not even a count."""
        rows = found.get(related, {})
        return [(obj, units) for pk, units in _pairs(value) if (obj := rows.get(str(pk))) is not None]

    def show_pairs(pairs: list[tuple[Any, Any]]) -> Value:
        """The first ``PAIRS_SHOWN`` pairs, and how many more there are: a lorry's 1,500 lines are a page, not a
        cell of a history table."""
        text = "; ".join(f"{_allocation_label(obj)}: {_plain(None, units)}" for obj, units in pairs[:PAIRS_SHOWN])
        if (more := len(pairs) - PAIRS_SHOWN) > 0:
            text += " " + ngettext("… and %(count)s more", "… and %(count)s more", more) % {"count": intcomma(more)}
        return Value(text or "—")

    def show_listed(related: type[models.Model], value: Any) -> Value:
        objs = [obj for pk in _ids(value) if (obj := found.get(related, {}).get(str(pk))) is not None]
        return Value(", ".join(default_label(obj) for obj in objs) if objs else "—")

    def show_single(related: type[models.Model], value: Any) -> Value | None:
        """The row's label, ``None`` when ``user`` may not see it (the change is then left out)."""
        if value in EMPTY:
            return Value("—")
        obj = found.get(related, {}).get(str(value))
        return None if obj is None else Value(default_label(obj), _detail_url(obj))

    out = []
    for event, rows in zip(events, raw, strict=True):
        changes = []
        for mode, key, field, related, old, new in rows:
            name = (key[:-3] if key.endswith("_id") and related is not None else key).replace("_", " ")
            if mode == PAIRS and related is not None:
                old_pairs = None if event.before is None else visible_pairs(related, old)
                new_pairs = None if event.after is None else visible_pairs(related, new)
                seen = [[(obj.pledge_id, obj.requirement_id, units) for obj, units in pairs or []]
                        for pairs in (old_pairs, new_pairs)]
                if seen[0] == seen[1]:
                    continue  # nothing the viewer may see changed (compared in full, not as shown)
                changes.append(Change(name, None if old_pairs is None else show_pairs(old_pairs),
                                      None if new_pairs is None else show_pairs(new_pairs)))
                continue
            if mode != FIELD and related is not None:
                render: Any = {LISTED: show_listed, SINGLE: show_single}[mode]
                before = None if event.before is None else render(related, old)
                after = None if event.after is None else render(related, new)
                if (event.before is not None and before is None) or (event.after is not None and after is None):
                    continue  # names a row the viewer may not see
                if (before.text if before else "—") == (after.text if after else "—"):
                    continue  # nothing the viewer may see changed
                changes.append(Change(name, before, after))
                continue
            before = None if event.before is None else show(field, related, old)
            after = None if event.after is None else show(field, related, new)
            changes.append(Change(name, before, after))
        out.append(changes)
    return out
