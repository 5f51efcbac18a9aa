"""Readable audit trails: references such as ``PLG-00431``, labels for the ids an event's before/after hold,
and the events a user may read.

The audit app sits below the apps whose objects it records, so it never imports their models: it finds them
through ``django.apps`` by their label (``pledges.pledge``) and asks each model's own ``for_user`` what the
viewer may see. An id the viewer may not see is described ("a pledge you cannot see"), never labelled.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.apps import apps
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import CharField, Q
from django.db.models.functions import Cast

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
    """Events on objects ``user`` may see, one subquery per audited model that knows its viewers.

    Events on anything else (accounts, devices, system events) stay with the auditors.
    """
    condition = Q(pk__in=[])
    for model in apps.get_models():
        if model._meta.label_lower == "audit.auditevent" or not scoped(model):
            continue
        ids = (model._default_manager.for_user(user)  # type: ignore[attr-defined]
               .annotate(_audit_id=Cast("pk", CharField())).values("_audit_id"))
        condition |= Q(object_type=model._meta.label_lower, object_id__in=ids)
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
# a shipment's ``lines`` (and the lines taken off it) name allocation lines.
PAIRED_REFERENCES: dict[tuple[str, str], str] = {
    ("logistics.shipment", "lines"): "allocation.allocationline",
    ("logistics.shipment", "removed"): "allocation.allocationline",
    ("logistics.shipment", "moved"): "allocation.allocationline",
}


def _pairs(value: Any) -> list[tuple[Any, Any]]:
    """``[[id, units], …]`` as pairs; anything else (old or malformed history) as no pairs."""
    if not isinstance(value, list):
        return []
    return [(pair[0], pair[1]) for pair in value if isinstance(pair, list | tuple) and len(pair) == 2]


def _reference(label: str, pk: Any) -> str:
    prefix = next((p for p, model in REFERENCE_PREFIXES.items() if model == label), "")
    return f"{prefix}-{int(pk):05d}" if prefix and isinstance(pk, int) else str(pk)


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
        return "yes" if value else "no"
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


def readable_changes(user: Any, events: Iterable[Any]) -> list[list[Change]]:
    """For each event, its changes with ids replaced by labels of the objects ``user`` may see.

    All ids of one related model are read in one query through that model's ``for_user``, so a page of
    history costs one query per kind of object it mentions, not one per id.
    """
    events = list(events)
    raw = []
    wanted: dict[type[models.Model], set[Any]] = defaultdict(set)
    for event in events:
        fields = _fields(model_for(getattr(event, "object_type", "") or ""))
        rows: list[tuple[str, models.Field | None, type[models.Model] | None, Any, Any]] = []
        for key, old, new in _changed_keys(event):
            paired = model_for(PAIRED_REFERENCES.get((getattr(event, "object_type", ""), key), ""))
            if paired is not None:
                for value in (old, new):
                    wanted[paired].update(pk for pk, _ in _pairs(value))
                rows.append((key, None, paired, old, new))
                continue
            field = fields.get(key)
            related = field.related_model if field is not None and field.is_relation else None
            if isinstance(related, type) and issubclass(related, models.Model):
                for value in (old, new):
                    if value not in EMPTY:
                        wanted[related].add(value)
            rows.append((key, field, related, old, new))
        raw.append(rows)

    from aidbridge.accounts.principal import principal

    everything = principal(user).sees_everything
    found: dict[type[models.Model], dict[str, models.Model]] = {}
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
        found[model] = {str(obj.pk): obj for obj in qs}

    def show(field: models.Field | None, related: type[models.Model] | None, value: Any) -> Value:
        if related is None:
            return Value(_plain(field, value))
        if value in EMPTY:
            return Value("—")
        obj = found.get(related, {}).get(str(value))
        if obj is None:
            noun = str(related._meta.verbose_name)
            article = "an" if noun[:1].lower() in "aeio" else "a"  # "an item", "an organisation", "a user"
            return Value(f"{article} {noun} you cannot see", hidden=True)
        return Value(default_label(obj), _detail_url(obj))

    def show_pairs(related: type[models.Model], value: Any) -> Value:
        parts = []
        for pk, units in _pairs(value):
            obj = found.get(related, {}).get(str(pk))
            what = _allocation_label(obj) if obj is not None else f"a {related._meta.verbose_name} you cannot see"
            parts.append(f"{what}: {_plain(None, units)}")
        return Value("; ".join(parts) if parts else "—")

    out = []
    for event, rows in zip(events, raw, strict=True):
        changes = []
        for key, field, related, old, new in rows:
            name = (key[:-3] if key.endswith("_id") and related is not None else key).replace("_", " ")
            if (getattr(event, "object_type", ""), key) in PAIRED_REFERENCES and related is not None:
                before = None if event.before is None else show_pairs(related, old)
                after = None if event.after is None else show_pairs(related, new)
                changes.append(Change(name, before, after))
                continue
            before = None if event.before is None else show(field, related, old)
            after = None if event.after is None else show(field, related, new)
            changes.append(Change(name, before, after))
        out.append(changes)
    return out
