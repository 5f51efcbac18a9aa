"""Services for allocation runs: start one (queued as a background task) and approve its plan."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from django.db import transaction
from django.utils.formats import date_format
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from aidbridge.accounts.principal import principal
from aidbridge.allocation import services as allocation
from aidbridge.allocation.instance import build_instance, fingerprint, key_pk, monday, week_start
from aidbridge.allocation.models import AllocationRun
from aidbridge.allocation.tasks import execute_run
from aidbridge.audit.cache import cached
from aidbridge.audit.services import record_event, snapshot
from aidbridge.audit.tasks import checkpoint_log
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import Conflict, InvalidTransition, ServiceError
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement


def _require_coordinator(actor: Any, message: str) -> None:
    p = principal(actor)
    core.require(p.is_coordinator_editor, message)


@transaction.atomic
def start_run(
    *, actor: Any, method: str = AllocationRun.Method.OPTIMAL, weeks: int = 26, time_limit: float | None = 60.0,
    start_date: dt.date | None = None,
) -> AllocationRun:
    """Queue a run; the background worker picks it up once this transaction commits."""
    _require_coordinator(actor, _("Only coordinator editors may start allocation runs."))
    if method not in AllocationRun.Method.values:
        raise ServiceError(_("“%(method)s” is not a method; choose optimal or greedy.") % {"method": method},
                           field="method")
    if not 1 <= int(weeks) <= 104:
        raise ServiceError(_("The horizon is between 1 and 104 weeks."), field="weeks")
    if time_limit is not None and not 0 < float(time_limit) <= 3600:
        raise ServiceError(_("The time limit is between 0 and 3600 seconds."), field="time_limit")
    run = AllocationRun.objects.create(
        method=method, weeks=int(weeks), time_limit=time_limit,
        start_date=monday(start_date or clock.today()), started_by=actor,
    )
    record_event(actor=actor, action="allocation_run.start", obj=run, after=snapshot(run))

    def enqueue() -> None:
        result = execute_run.enqueue(run.pk)
        AllocationRun.objects.filter(pk=run.pk).update(task_id=str(result.id)[:64])

    transaction.on_commit(enqueue)
    return run


def _new_flows(run: AllocationRun) -> list[dict[str, Any]]:
    """The plan's flows minus the fixed flows it was given (those are already allocation lines)."""
    fixed = Counter(_flow_key(f) for f in (run.instance or {}).get("fixed_flows", []))
    out = []
    for flow in (run.plan or {}).get("flows", []):
        key = _flow_key(flow)
        if fixed[key]:
            fixed[key] -= 1
            continue
        out.append(flow)
    return out


def _flow_key(flow: dict[str, Any]) -> tuple[Any, ...]:
    return (flow["pledge"], flow["requirement"], flow["hub"], flow["dispatch_week"], flow["quantity"])


def _ref(key: str, prefix: str) -> str:
    """An instance id as the reference people know: ``PLG-00012`` (older runs stored ``P12``)."""
    try:
        return f"{prefix}-{key_pk(key):05d}"
    except ValueError:
        return key


def _row_changes(old: list[dict[str, Any]], new: list[dict[str, Any]], noun: str, prefix: str) -> str | None:
    """``"2 pledges changed: 1 new (PLG-00005), 1 no longer open for planning (PLG-00001)"``, or ``None``."""
    before, after = {r["id"]: r for r in old}, {r["id"]: r for r in new}
    parts = []
    for label, keys in (
        ("new", [k for k in after if k not in before]),
        ("no longer open for planning", [k for k in before if k not in after]),
        ("changed", [k for k in after if k in before and after[k] != before[k]]),
    ):
        if keys:
            shown = ", ".join(_ref(k, prefix) for k in keys[:5]) + (", …" if len(keys) > 5 else "")
            parts.append(f"{len(keys)} {label} ({shown})")
    if not parts:
        return None
    count = len(set(before) ^ set(after)) + sum(1 for k in after if k in before and after[k] != before[k])
    return f"{count} {noun}{'s' if count != 1 else ''} changed: {', '.join(parts)}"


def input_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What differs between the instance a run planned with and the current one, in plain words."""
    changes = [
        text for text in (
            _row_changes(old.get("pledges", []), new.get("pledges", []), "pledge", "PLG"),
            _row_changes(old.get("requirements", []), new.get("requirements", []), "requirement", "REQ"),
        ) if text
    ]
    old_fixed, new_fixed = (Counter(_flow_key(f) for f in data.get("fixed_flows", [])) for data in (old, new))
    if old_fixed != new_fixed:
        differ = sum(((old_fixed - new_fixed) + (new_fixed - old_fixed)).values())
        changes.append(ngettext("%(lines)s allocation line was written or released",
                                "%(lines)s allocation lines were written or released", differ) % {"lines": differ})
    network = [name for name, keys in (
        ("hubs or their capacity", ("hubs",)),
        ("lead times or transport costs", ("lead_in_weeks", "lead_out_weeks", "cost_in_per_t")),
        ("item weights", ("items",)),
        ("packages", ("packages",)),
        ("priority values", ("priority_value", "lateness_decay_per_week")),
    ) if any(old.get(k) != new.get(k) for k in keys)]
    if network:
        changes.append(", ".join(network) + " changed")
    return changes


def _input_reasons(run: AllocationRun) -> list[str]:
    since = run.started_at or run.created_at
    current = build_instance(start_date=run.start_date, weeks=run.weeks)
    if fingerprint(current) == run.inputs_fingerprint:
        return []
    changes = input_changes(run.instance or {}, current) or [_("the planning inputs differ")]
    return [_("The inputs changed since this run started at %(since)s UTC: %(changes)s.")
            % {"since": date_format(since, "d M Y H:i"), "changes": "; ".join(changes)}]


def _cached_input_reasons(run: AllocationRun) -> list[str]:
    """:func:`_input_reasons`, remembered until the next audited write (:func:`aidbridge.audit.cache.cached`).

    Every change to a planning input is a service write, and every service write moves the audit chain head,
    which names the state of the inputs: while it stays put, the answer does. Rebuilding the instance costs
    seconds at scale, and the run page asks on every view.
    """
    return list(cached(("allocation.stale", run.pk, run.inputs_fingerprint, get_language()),
                       lambda: _input_reasons(run), timeout=STALE_CACHE_SECONDS))


STALE_CACHE_SECONDS = 3600


def stale_reasons(run: AllocationRun, *, fresh: bool = False) -> list[str]:
    """Why a finished run's plan no longer fits the database, in plain words; empty while it can be approved.

    A plan is stale when its inputs (pledges, requirements, hubs, lead times, allocations) changed after the
    run read them, or when some of its dispatch weeks have already passed. Pages may use the answer remembered
    for the current audit chain head; ``fresh`` (approval) always rebuilds the instance.
    """
    reasons = _input_reasons(run) if fresh else _cached_input_reasons(run)
    this_week = monday(clock.today())
    past = [f for f in _new_flows(run) if week_start(run.start_date, int(f["dispatch_week"])) < this_week]
    if past:
        reasons.append(ngettext("%(flows)s planned dispatch falls in weeks that have passed (the plan starts in the "
                                "week of %(start)s).",
                                "%(flows)s planned dispatches fall in weeks that have passed (the plan starts in the "
                                "week of %(start)s).", len(past))
                       % {"flows": len(past), "start": date_format(run.start_date, "d M Y")})
    return reasons


@transaction.atomic
def approve_run(*, actor: Any, run: AllocationRun) -> list[Any]:
    """Turn the plan into allocation lines, all or nothing.

    A plan built before any change to its inputs is refused as stale. Approving consumes hub capacity, so
    every hub row is locked first (in id order), then the plan's pledges and requirements: concurrent
    approvals queue behind each other, cannot dead-lock, and the second one re-reads the inputs after the
    first commits, finds them changed, and is refused. ``allocate`` re-checks quantities under the same
    locks, so no pledge is over-allocated and no requirement over-filled whatever happens.
    """
    _require_coordinator(actor, _("Only coordinator editors may approve allocation plans."))
    run = core.lock(run)
    if run.status != AllocationRun.Status.DONE:
        raise InvalidTransition(
            _("%(run)s is %(status)s; only a finished run can be approved.")
            % {"run": run, "status": run.get_status_display().lower()}, field="status"
        )
    list(Hub.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
    flows = _new_flows(run)
    pledge_ids = sorted({key_pk(f["pledge"]) for f in flows})
    requirement_ids = sorted({key_pk(f["requirement"]) for f in flows})
    pledges = {p.pk: p for p in Pledge.objects.select_for_update().filter(pk__in=pledge_ids).order_by("pk")}
    requirements = {
        r.pk: r for r in Requirement.objects.select_for_update().filter(pk__in=requirement_ids).order_by("pk")
    }
    reasons = stale_reasons(run, fresh=True)
    if reasons:
        raise Conflict(_("%(run)s is stale: %(reasons)s Start a new run to plan with the current inputs.")
                       % {"run": run, "reasons": " ".join(reasons)}, field="run")
    hubs = {h.code: h for h in Hub.objects.filter(code__in={f["hub"] for f in flows})}
    lines = []
    for flow in sorted(flows, key=lambda f: (key_pk(f["pledge"]), key_pk(f["requirement"]))):
        lines.append(allocation.allocate(
            actor=actor, pledge=pledges[key_pk(flow["pledge"])],
            requirement=requirements[key_pk(flow["requirement"])], hub=hubs[flow["hub"]],
            quantity=int(flow["quantity"]), dispatch_week=week_start(run.start_date, int(flow["dispatch_week"])),
        ))
    before = snapshot(run)
    run.status = AllocationRun.Status.APPROVED
    run.approved_by = actor
    run.approved_at = clock.now()
    run.save(update_fields=["status", "approved_by", "approved_at"])
    record_event(actor=actor, action="allocation_run.approve", obj=run,
                 before={k: before[k] for k in ("status",)},
                 after={"status": run.status, "lines": len(lines)})
    transaction.on_commit(checkpoint_log.enqueue)  # sign a transparency-log checkpoint covering the approval
    return lines
