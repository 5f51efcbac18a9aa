"""Every write of the what-if app: saved scenarios, their runs, and sweeps.

Coordinator editors write (others are refused with ``NotPermitted``, 403); ``actor=None`` is the command line's
system actor, as in :mod:`aidbridge.accounts.services`. Each function is keyword-only, atomic, and appends one
audit event. Runs and sweeps are queued: their background task is enqueued once the transaction commits, and
the task (:mod:`aidbridge.whatif.tasks`) records how it ended.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils.translation import gettext

from aidbridge.accounts.principal import principal
from aidbridge.allocation.instance import monday
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError
from aidbridge.whatif import perturbations as perturbations_
from aidbridge.whatif import tasks
from aidbridge.whatif.models import Scenario, ScenarioRun, Sweep

M = TypeVar("M", bound=models.Model)
SCENARIO_FIELDS = ("name", "description", "perturbations", "threshold", "weeks", "updated_at")


def _require_coordinator(actor: Any, message: str) -> None:
    if actor is None:  # the command line's system actor
        return
    core.require(principal(actor).is_coordinator_editor, message)


def _user(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) is not None else None


def _create(*, actor: Any, obj: M, action: str) -> M:
    """``writes.create``, except that the system actor leaves ``created_by`` empty (null, not blank, in the model)."""
    if actor is None:
        core.full_clean(obj, exclude=["created_by"])
        obj.save()
        record_event(actor=actor, action=action, obj=obj, after=snapshot(obj))
        return obj
    return writes.create(actor=actor, obj=obj, action=action)


def _perturbations(value: Iterable[Any] | None) -> list[dict[str, Any]]:
    try:
        return perturbations_.validate_stored(value)
    except ValidationError as exc:
        raise ServiceError({"perturbations": list(exc.messages)}) from exc


def _threshold(value: Any) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ServiceError(gettext("The threshold “%(value)s” is not a number.") % {"value": value},
                           field="threshold") from None
    if not (math.isfinite(number) and 0 <= number <= 1):
        raise ServiceError(gettext("The threshold is a share of P1 coverage, from 0 to 1 (0.9 = 90%)."),
                           field="threshold")
    return number


def _weeks(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ServiceError(gettext("The horizon is a whole number of weeks, from 1 to 104."), field="weeks")
    try:
        weeks = int(float(value))
    except (ValueError, OverflowError):
        raise ServiceError(gettext("The horizon is a whole number of weeks, from 1 to 104."), field="weeks") from None
    if weeks != float(value) or not 1 <= weeks <= 104:
        raise ServiceError(gettext("The horizon is a whole number of weeks, from 1 to 104."), field="weeks")
    return weeks


@transaction.atomic
def create_scenario(
    *, actor: Any, name: str, description: str = "", perturbations: Iterable[Any] = (), threshold: float = 0.9,
    weeks: int = 26,
) -> Scenario:
    """Save a named scenario (its perturbations are checked and normalised; see :mod:`.perturbations`)."""
    _require_coordinator(actor, gettext("Only coordinator editors may create what-if scenarios."))
    now = clock.now()
    scenario = Scenario(
        name=(name or "").strip(), description=description or "", perturbations=_perturbations(perturbations),
        threshold=_threshold(threshold), weeks=_weeks(weeks), created_by=_user(actor), created_at=now,
        updated_at=now,
    )
    return _create(actor=actor, obj=scenario, action="scenario.create")


@transaction.atomic
def update_scenario(
    *, actor: Any, scenario: Scenario, name: str | None = None, description: str | None = None,
    perturbations: Iterable[Any] | None = None, threshold: float | None = None, weeks: int | None = None,
) -> Scenario:
    """Change what is given (``None`` leaves a field as it is); one audit event, none if nothing changed."""
    _require_coordinator(actor, gettext("Only coordinator editors may change what-if scenarios."))
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = name.strip()
    if description is not None:
        changes["description"] = description
    if perturbations is not None:
        changes["perturbations"] = _perturbations(perturbations)
    if threshold is not None:
        changes["threshold"] = _threshold(threshold)
    if weeks is not None:
        changes["weeks"] = _weeks(weeks)
    if not changes:
        return scenario
    changes["updated_at"] = clock.now()
    return writes.update(actor=actor, obj=scenario, changes=changes, editable=SCENARIO_FIELDS,
                         action="scenario.update")


@transaction.atomic
def delete_scenario(*, actor: Any, scenario: Scenario) -> None:
    """Delete a scenario and its runs (the audit event keeps what it was)."""
    _require_coordinator(actor, gettext("Only coordinator editors may delete what-if scenarios."))
    scenario = core.lock(scenario)
    before = snapshot(scenario)
    runs = scenario.runs.count()
    record_event(actor=actor, action="scenario.delete", obj=scenario, before=before, after={"runs_deleted": runs})
    scenario.delete()


def _enqueue(task: Any, model: type[Any], pk: int) -> None:
    def enqueue() -> None:
        result = task.enqueue(pk)
        model.objects.filter(pk=pk).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)


@transaction.atomic
def run_scenario(
    *, actor: Any, scenario: Scenario, start_date: dt.date | None = None, enqueue: bool = True,
) -> ScenarioRun:
    """Queue a run of the scenario on the current state; week 0 is this week's Monday (or ``start_date``'s).

    The perturbations are converted to the engine's form now and kept on the run, so it says what it ran.
    ``enqueue=False`` leaves it to the caller to execute (the command line runs it in its own process).
    """
    _require_coordinator(actor, gettext("Only coordinator editors may run what-if scenarios."))
    scenario = core.lock(scenario)
    start = monday(start_date or clock.today())
    try:
        engine_form = perturbations_.to_engine(scenario.perturbations, start_date=start)
    except ValidationError as exc:
        raise ServiceError({"perturbations": list(exc.messages)}) from exc
    run = ScenarioRun(
        scenario=scenario, name=scenario.name, perturbations=engine_form, start_date=start, weeks=scenario.weeks,
        threshold=scenario.threshold, created_by=_user(actor), created_at=clock.now(),
    )
    _create(actor=actor, obj=run, action="scenario_run.start")
    if enqueue:
        _enqueue(tasks.run_scenario_task, ScenarioRun, run.pk)
    return run


@transaction.atomic
def start_sweep(
    *, actor: Any, kind: str, from_date: dt.date | None = None, weeks: int = 26, threshold: float = 0.9,
    start_date: dt.date | None = None,
) -> Sweep:
    """Queue a sweep: each donor withdraws (``kind="donors"``) or each hub closes (``"hubs"``) in turn.

    Its first task plans the baseline once and queues one task per donor or hub; any number of workers share
    them. ``from_date`` (donor sweeps): donors withdraw what they have not dispatched by then (empty: everything
    not yet moved). Hub sweeps close each hub for the whole horizon. The sweep's runs are created by its task and
    audited through the sweep's own events (start, then finish or fail).
    """
    _require_coordinator(actor, gettext("Only coordinator editors may start what-if sweeps."))
    if kind not in Sweep.Kind.values:
        raise ServiceError(gettext("“%(kind)s” is not a sweep; choose donors or hubs.") % {"kind": kind}, field="kind")
    if from_date is not None and not isinstance(from_date, dt.date):
        try:
            from_date = dt.date.fromisoformat(str(from_date))
        except ValueError:
            raise ServiceError(gettext("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": from_date},
                               field="from_date") from None
    sweep = Sweep(
        kind=kind, from_date=from_date, start_date=monday(start_date or clock.today()), weeks=_weeks(weeks),
        threshold=_threshold(threshold), created_by=_user(actor), created_at=clock.now(),
    )
    _create(actor=actor, obj=sweep, action="sweep.start")
    _enqueue(tasks.prepare_sweep_task, Sweep, sweep.pk)
    return sweep
