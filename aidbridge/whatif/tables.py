"""Rows for the what-if pages, read from a run's ``aidbridge.whatif-result/1`` document.

The document speaks the engine's language (item codes, requirement references, week numbers); these helpers
turn it into what a page shows (names, links, dates, percentages). They read only what the viewing user may
see: requirements are linked only when ``Requirement.objects.for_user`` has them, items are named from
``Item.objects.for_user``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.utils.formats import date_format
from django.utils.translation import gettext

from aidbridge.allocation.instance import key_pk, week_start
from aidbridge.catalogue.models import Item
from aidbridge.requirements.models import Requirement
from aidbridge.whatif import charts

MAX_ROWS = 200  # the pages show this many requirements or backfill lines; the downloads have them all


def share(part: Any, whole: Any) -> float | None:
    try:
        p, w = float(part), float(whole)
    except (TypeError, ValueError):
        return None
    return p / w if w > 0 else None


def week_label(start: dt.date, week: int | None) -> str:
    """``week 5 (from Mon 13 Apr 2026)``, or ``—``."""
    if week is None:
        return "—"
    return gettext("week %(week)s (from %(date)s)") % {"week": week,
                                                       "date": date_format(week_start(start, int(week)), "D j M Y")}


def survive(start: dt.date, week: int | None, weeks: int, *, baseline: bool = False) -> dict[str, Any]:
    """Time-to-survive for a page: the week, its Monday, and a sentence.

    The scenario's is the first week its P1 coverage falls below the threshold share of the baseline's; the
    baseline's (``baseline=True``) is the first week its own P1 coverage is below the threshold.
    """
    if week is None:
        text = (gettext("The baseline's P1 coverage stays above the threshold over the whole horizon "
                        "(%(weeks)s weeks).") if baseline else
                gettext("The scenario keeps P1 coverage above the threshold share of the baseline's over the whole "
                        "horizon (%(weeks)s weeks).")) % {"weeks": weeks}
        return {"week": None, "date": None, "text": text}
    day = week_start(start, int(week))
    text = (gettext("Even the baseline's P1 coverage is below the threshold in week %(week)s, from %(date)s.")
            if baseline else
            gettext("The scenario's P1 coverage first falls below the threshold share of the baseline's in week "
                    "%(week)s, from %(date)s.")) % {"week": week, "date": date_format(day, "D j M Y")}
    return {"week": int(week), "date": day, "text": text}


def item_names(user: Any, codes: set[str]) -> dict[str, Item]:
    return {i.code: i for i in Item.objects.for_user(user).filter(code__in=codes)} if codes else {}


def class_label(code: str) -> str:
    try:
        return str(Item.SupplyClass(code).label)
    except ValueError:
        return code


def fill_rows(fill: Mapping[str, Mapping[str, Any]], *, by: str) -> list[dict[str, Any]]:
    """Fill by priority (``by="priority"``) or by supply class: units and points, baseline against scenario."""
    def order(key: str) -> tuple[int, Any]:
        if by == "priority":
            return (0, int(key)) if str(key).isdigit() else (1, key)
        values = list(Item.SupplyClass.values)
        return (values.index(key), key) if key in values else (len(values), key)

    rows = []
    for key in sorted(fill, key=order):
        f = fill[key]
        required = float(f.get("required") or 0)
        base, scen = float(f.get("baseline") or 0), float(f.get("scenario") or 0)
        pb, ps = float(f.get("points_baseline") or 0), float(f.get("points_scenario") or 0)
        rows.append({
            "key": key, "label": f"P{key}" if by == "priority" else class_label(key),
            "required": required, "baseline": base, "scenario": scen, "units_lost": base - scen,
            "baseline_share": share(base, required), "scenario_share": share(scen, required),
            "baseline_percent": charts.percent(share(base, required)),
            "scenario_percent": charts.percent(share(scen, required)),
            "baseline_value": round(100 * (share(base, required) or 0)),
            "scenario_value": round(100 * (share(scen, required) or 0)),
            "points_baseline": pb, "points_scenario": ps, "points_lost": pb - ps,
        })
    return rows


def requirement_rows(user: Any, rows: Sequence[Mapping[str, Any]], start: dt.date,
                     limit: int | None = MAX_ROWS) -> list[dict[str, Any]]:
    """The requirements losing coverage, most points lost first, with links where the user may follow them."""
    shown = list(rows[:limit] if limit is not None else rows)
    pks = {}
    for r in shown:
        try:
            pks[str(r.get("requirement"))] = key_pk(str(r.get("requirement")))
        except (ValueError, TypeError):
            continue
    visible = set(Requirement.objects.for_user(user).filter(pk__in=pks.values()).values_list("pk", flat=True))
    items = item_names(user, {str(r.get("item")) for r in shown})
    out = []
    for r in shown:
        ref = str(r.get("requirement"))
        pk = pks.get(ref)
        item = items.get(str(r.get("item")))
        due = r.get("due_week")
        out.append({
            "reference": ref, "pk": pk if pk in visible else None,
            "item_code": str(r.get("item")), "item_name": item.name if item else "", "unit": item.unit if item else "",
            "priority": r.get("priority"), "due_week": due,
            "due_date": week_start(start, int(due)) if due is not None else None,
            "destination": r.get("destination", ""), "quantity": r.get("quantity"),
            "units_baseline": r.get("units_baseline"), "units_scenario": r.get("units_scenario"),
            "units_lost": r.get("units_lost"), "points_lost": r.get("points_lost"),
        })
    return out


def spof_figures(baseline: Any, scenario: Any) -> dict[str, Any]:
    """A single point of failure's P1 priority points (baseline, scenario) and how far they fall."""
    fall = None
    if baseline is not None and float(baseline) > 0:
        fall = 1 - float(scenario or 0) / float(baseline)
    return {"baseline": baseline, "scenario": scenario, "fall": fall, "fall_percent": charts.percent(fall, 0)}


def spof_rows(user: Any, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Items whose P1 coverage falls by more than half: their P1 priority points, baseline and scenario."""
    items = item_names(user, {str(r.get("item")) for r in rows})
    out = []
    for r in rows:
        item = items.get(str(r.get("item")))
        out.append({"item_code": str(r.get("item")), "item_name": item.name if item else "",
                    **spof_figures(r.get("baseline"), r.get("scenario"))})
    return out


def headline(result: Mapping[str, Any], start: dt.date, weeks: int) -> dict[str, Any]:
    """The figures at the top of a finished run's page."""
    base = result.get("baseline") or {}
    return {
        "baseline_objective": base.get("objective"), "baseline_bound": base.get("bound"),
        "objective": result.get("objective"), "bound": result.get("bound"),
        "gap": result.get("gap"), "gap_percent": charts.percent(result.get("gap"), 2),
        "loss_share": result.get("loss_share"), "loss_percent": charts.percent(result.get("loss_share")),
        "points_lost": (float(base["objective"]) - float(result["objective"])
                        if base.get("objective") is not None and result.get("objective") is not None else None),
        "threshold_percent": charts.percent(result.get("threshold"), 0),
        "survive": survive(start, result.get("time_to_survive_week"), weeks),
        "baseline_survive": survive(start, base.get("time_to_survive_week"), weeks, baseline=True),
        "seconds": result.get("seconds"),
        "released": result.get("released") or {},
        "gains": (result.get("objective") is not None and base.get("objective") is not None
                  and float(result["objective"]) > float(base["objective"]) + 1e-6),
    }


def coverage(result: Mapping[str, Any], start: dt.date) -> dict[str, Any] | None:
    """P1 coverage by week, baseline against scenario: the line chart and its table."""
    cov = result.get("coverage_by_week") or {}
    weeks = list(cov.get("weeks") or [])
    if not weeks:
        return None
    base, scen = list(cov.get("baseline") or []), list(cov.get("scenario") or [])
    labels = [f"{week_start(start, int(w)):%-d %b}" for w in weeks]
    tts = result.get("time_to_survive_week")
    threshold = result.get("threshold")
    floor = [None if b is None or threshold is None else float(threshold) * float(b) for b in base]
    series: list[tuple[str, list[float | None]]] = [(gettext("Baseline"), base), (gettext("Scenario"), scen)]
    if threshold is not None:
        series.append((gettext("%(share)s of the baseline") % {"share": charts.percent(threshold, 0)}, floor))
    chart = charts.coverage_lines(
        series, week_labels=labels, marker_week=weeks.index(tts) if tts in weeks else None,
        marker_label=gettext("week %(week)s") % {"week": tts} if tts is not None else "",
        x_title=gettext("week (starting Monday)"))
    def below(i: int) -> bool:
        s, f = (scen[i] if i < len(scen) else None), (floor[i] if i < len(floor) else None)
        return s is not None and f is not None and float(s) < f - 1e-12

    rows = [{"week": w, "date": week_start(start, int(w)),
             "baseline": charts.percent(base[i] if i < len(base) else None),
             "scenario": charts.percent(scen[i] if i < len(scen) else None),
             "below": below(i)}
            for i, w in enumerate(weeks)]
    return {"chart": chart, "rows": rows}


def readiness_rows(user: Any, readiness: Mapping[str, Any] | None, limit: int | None = MAX_ROWS
                   ) -> dict[str, Any] | None:
    """Capability readiness, baseline against scenario: counts by status, and the capabilities that change
    (linked where the user may follow them; a requirement the user may not see is left out)."""
    if not readiness:
        return None
    base, scen = readiness.get("baseline") or {}, readiness.get("scenario") or {}
    counts = [{"status": s, "baseline": base.get(s, 0), "scenario": scen.get(s, 0)} for s in base]
    changed = list(readiness.get("changed") or [])
    pks = {}
    for r in changed:
        try:
            pks[str(r.get("key"))] = key_pk(str(r.get("key")))
        except (ValueError, TypeError):
            continue
    visible = set(Requirement.objects.for_user(user).filter(pk__in=pks.values()).values_list("pk", flat=True))
    rows = [{**r, "pk": pks[str(r.get("key"))]} for r in changed if pks.get(str(r.get("key"))) in visible]
    return {"counts": counts, "changed": rows[:limit] if limit is not None else rows, "changed_total": len(rows),
            "crews_lost": readiness.get("crews_lost", 0)}
