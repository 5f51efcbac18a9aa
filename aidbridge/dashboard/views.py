"""The home page: counts and charts over requirements, pledges and allocations, every number through ``for_user``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from aidbridge.accounts.principal import principal
from aidbridge.allocation.models import AllocationLine
from aidbridge.core import charts
from aidbridge.core.views import AppView
from aidbridge.pledges.models import Pledge
from aidbridge.pledges.releasability import value_visible_q
from aidbridge.requirements.models import Requirement
from aidbridge.training import charts as training_charts
from aidbridge.training.readiness import readiness_for


class DashboardView(AppView):
    """Counts and two charts, every number read through ``for_user``."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "dashboard/home.html", dashboard_context(request.user))


def dashboard_context(user: Any) -> dict[str, Any]:
    requirements = Requirement.objects.for_user(user)
    counts = {(p, s): n for p, s, n in
              requirements.order_by().values_list("priority", "status").annotate(n=Count("pk"))}
    statuses = Requirement.Status.choices
    matrix = [
        {"priority": value, "label": label, "cells": [(s, counts.get((value, s), 0)) for s, _ in statuses],
         "total": sum(counts.get((value, s), 0) for s, _ in statuses)}
        for value, label in Requirement.Priority.choices
    ]
    status_totals = [(s, label, sum(counts.get((p, s), 0) for p, _ in Requirement.Priority.choices))
                     for s, label in statuses]

    pledges = Pledge.objects.for_user(user)
    pledge_counts = dict(pledges.order_by().values_list("status").annotate(n=Count("pk")))
    pledge_status = [(s, label, pledge_counts.get(s, 0)) for s, label in Pledge.Status.choices]

    value = Sum(F("unit_value") * F("quantity"), output_field=DecimalField(max_digits=20, decimal_places=2))
    per_donor: dict[str, list[tuple[str, Decimal]]] = {}
    valued = pledges if (visible_value := value_visible_q(user)) is None else pledges.filter(visible_value)
    for name, currency, total in (valued.exclude(status=Pledge.Status.WITHDRAWN).order_by()
                                  .values_list("donor__name", "currency").annotate(total=value)):
        per_donor.setdefault(currency, []).append((name, total or Decimal(0)))
    value_charts = [
        (currency, charts.horizontal_bars(sorted(rows, key=lambda r: (-r[1], r[0]))[:20], width=720,
                                          label_width=250, label_chars=38))
        for currency, rows in sorted(per_donor.items(), key=lambda kv: -sum(v for _, v in kv[1]))
    ]

    # In tonnes: units of different items (cartridges, trucks) are never added up.
    active = requirements.filter(status__in=[Requirement.Status.SUBMITTED, Requirement.Status.VALIDATED,
                                             Requirement.Status.CLOSED])
    tonnes = DecimalField(max_digits=24, decimal_places=6)
    needed = dict(active.order_by().values_list("priority")
                  .annotate(q=Sum(F("quantity") * F("item__weight_t"), output_field=tonnes)))
    weight = F("requirement__item__weight_t")
    moved: dict[Any, Any] = {row["requirement__priority"]: row for row in
             AllocationLine.objects.filter(requirement__in=active).order_by().values("requirement__priority")
             .annotate(a=Sum(F("quantity") * weight, output_field=tonnes),
                       t=Sum(F("in_transit_quantity") * weight, output_field=tonnes),
                       d=Sum(F("delivered_quantity") * weight, output_field=tonnes))}
    fill_rows = []
    for priority, label in Requirement.Priority.choices:
        row = moved.get(priority, {})
        need = Decimal(needed.get(priority) or 0)
        delivered, in_transit = Decimal(row.get("d") or 0), Decimal(row.get("t") or 0)
        waiting = max(Decimal(row.get("a") or 0) - delivered - in_transit, Decimal(0))
        open_ = max(need - delivered - in_transit - waiting, Decimal(0))
        fill_rows.append((label, [delivered, in_transit, waiting, open_]))
    fill_chart = charts.stacked_bars(fill_rows, ["Delivered", "In transit", "Allocated", "Open"],
                                     fmt=lambda v: f"{v:,.1f} t")
    # Capability readiness (equipment and trained crews) of the requirements with training requests the user sees.
    readiness_rows, _ = readiness_for(user)
    readiness_url = reverse("training:readiness")
    return {
        "readiness_total": len(readiness_rows),
        "readiness_by_priority": training_charts.readiness_by_priority(readiness_rows, readiness_url),
        "readiness_over_time": training_charts.readiness_over_time(readiness_rows, readiness_url),
        "scoped": not principal(user).sees_everything,
        "matrix": matrix, "statuses": statuses, "status_totals": status_totals,
        "requirement_total": sum(n for *_, n in status_totals),
        "pledge_status": pledge_status, "pledge_total": sum(pledge_counts.values()),
        "value_charts": value_charts, "fill_chart": fill_chart,
    }
