"""The home pages of each role: counts and charts over requirements, pledges, allocations and shipments, every
number through ``for_user`` (the figures themselves are in :mod:`aidbridge.dashboard.homes`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, F, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext

from aidbridge.accounts.principal import principal
from aidbridge.allocation.models import AllocationLine
from aidbridge.catalogue.money import Rates, Total
from aidbridge.core import charts, clock
from aidbridge.core.views import AppView
from aidbridge.dashboard import homes, maps
from aidbridge.locations.models import Hub
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.pledges.releasability import value_visible_q
from aidbridge.requirements.models import Requirement
from aidbridge.training import charts as training_charts
from aidbridge.training.readiness import readiness_for


class DashboardView(AppView):
    """The home page of the user's role (:func:`aidbridge.dashboard.homes.kind`): coordinator, donor,
    recipient, hub operator, or a short page pointing outsiders to the transparency page."""

    def get(self, request: HttpRequest) -> HttpResponse:
        role = homes.kind(request.user)
        context = ROLE_CONTEXTS[role](request.user)
        context["home_kind"] = role
        return render(request, f"dashboard/home_{role}.html" if role != "coordinator" else "dashboard/home.html",
                      context)


def coordinator_context(user: Any) -> dict[str, Any]:
    """Everything of :func:`dashboard_context`, with the inbox, coverage by supply class, the pipeline, hub
    throughput and the largest donor's share; cached per visibility scope until the next write."""
    today = clock.today()

    def compute() -> dict[str, Any]:
        context = dashboard_context(user)
        hubs = homes.hub_throughput(user, today)
        by_class = homes.coverage(user, "supply_class")
        stages = [s for s in homes.pipeline(user) if s.status != Pledge.Status.WITHDRAWN]
        values = context["value_rows"]
        total = sum((row.total.amount for row in values), Decimal(0))
        largest = values[0] if values and values[0].total.amount > 0 else None
        context.update({
            "inbox": homes.inbox(user, today),
            "class_rows": by_class,
            "class_chart": charts.stacked_bars([(row.label, row.values) for row in by_class], _fill_series(),
                                               label_width=180, fmt=_tonnes),
            "pipeline": stages,
            "pipeline_chart": charts.horizontal_bars([(s.label, s.tonnes) for s in stages], fmt=_tonnes,
                                                     label_width=120),
            "hubs": hubs,
            "hub_chart": charts.stacked_bars(
                [(f"{h.code}", [h.this_week[1], h.this_week[2], h.spare_t]) for h in hubs],
                [gettext("Inbound"), gettext("Outbound"), gettext("Spare capacity")], label_width=110,
                fmt=_tonnes),
            "largest": largest,
            "largest_percent": round(100 * largest.total.amount / total, 1) if largest and total else None,
            "week_start": clock.monday(today),
        })
        return context

    context = homes.home_cached(user, "coordinator", compute)
    # The offline map of flows over the map page's default period (cached on its own, per visibility).
    _, start, end = maps.period(None)
    context["flow_map"] = maps.flow_map_context(user, start, end, prefix="home-map")
    return context


def donor_context(user: Any) -> dict[str, Any]:
    """A donor's own pledges by status, where its goods are, requests for backfill, and pledged values."""
    p = principal(user)

    def compute() -> dict[str, Any]:
        rates, on = Rates(), clock.today()
        stages = homes.pipeline(user, donor_id=p.organisation_id)
        goods = homes.goods_by_stage(user, p.organisation_id)  # type: ignore[arg-type]
        values = pledge_values(user, rates, on)
        value_total = Total(rates.target)
        for row in values:
            value_total.merge(row.total)
        financial = financial_status(user, rates, on)
        return {
            "organisation_id": p.organisation_id,
            "pledge_status": stages, "pledge_total": sum(s.pledges for s in stages),
            "status_chart": charts.horizontal_bars([(s.label, s.pledges) for s in stages], label_width=120),
            "goods": goods,
            "goods_chart": charts.horizontal_bars([(g.label, g.tonnes) for g in goods], label_width=200,
                                                  fmt=_tonnes),
            "backfill": homes.backfill_requests(user, p.organisation_id),  # type: ignore[arg-type]
            "value_rows": values, "value_total": value_total, "value_chart": _value_chart(values, rates.target),
            "reporting_currency": rates.target, "rates_on": on,
            "financial": financial, "financial_total": sum(row.count for row in financial),
            "scoped": True,
        }

    return homes.home_cached(user, "donor", compute)  # type: ignore[no-any-return]


def recipient_context(user: Any) -> dict[str, Any]:
    """Coverage of the recipient's own requirements by priority and supply class, and this week's arrivals."""
    p = principal(user)
    today = clock.today()

    def compute() -> dict[str, Any]:
        by_priority = homes.coverage(user, "priority", recipient_id=p.organisation_id)
        by_class = homes.coverage(user, "supply_class", recipient_id=p.organisation_id)
        count, arrivals = homes.arrivals_this_week(user, p.organisation_id, today)  # type: ignore[arg-type]
        start, end = homes.week_of(today)
        return {
            "organisation_id": p.organisation_id,
            "priority_rows": by_priority,
            "priority_chart": charts.stacked_bars([(r.label, r.values) for r in by_priority], _fill_series(),
                                                  fmt=_tonnes),
            "class_rows": by_class,
            "class_chart": charts.stacked_bars([(r.label, r.values) for r in by_class], _fill_series(),
                                               label_width=180, fmt=_tonnes),
            "arrival_count": count, "arrivals": arrivals, "week_start": start, "week_end": end,
        }

    return homes.home_cached(user, "recipient", compute)  # type: ignore[no-any-return]


def hub_context(user: Any) -> dict[str, Any]:
    """The operator's hubs: legs in and out today and this week, free against reserved stock, throughput."""
    p = principal(user)
    today = clock.today()

    def compute() -> dict[str, Any]:
        hubs = homes.own_hubs(p)
        days, week = homes.hub_movements(user, hubs, today)
        start, end = homes.week_of(today)
        loads = homes.hub_throughput(user, today, hubs=Hub.objects.filter(pk__in=[h[0] for h in hubs]))
        return {
            "hub_days": days, "week_shipments": week, "stock": homes.hub_stock(user, hubs), "hubs": loads,
            "hub_chart": charts.stacked_bars(
                [(h.code, [h.this_week[1], h.this_week[2], h.spare_t]) for h in loads],
                [gettext("Inbound"), gettext("Outbound"), gettext("Spare capacity")], label_width=110,
                fmt=_tonnes),
            "today": today, "week_start": start, "week_end": end,
        }

    return homes.home_cached(user, "hub", compute)  # type: ignore[no-any-return]


def outsider_context(user: Any) -> dict[str, Any]:
    return {}


ROLE_CONTEXTS = {"coordinator": coordinator_context, "donor": donor_context, "recipient": recipient_context,
                 "hub": hub_context, "outsider": outsider_context}


def _tonnes(value: Any) -> str:
    return gettext("%(tonnes)s t") % {"tonnes": f"{value:,.1f}"}


def _fill_series() -> list[str]:
    return [gettext("Delivered"), gettext("In transit"), gettext("Allocated"), gettext("Open")]


def _value_chart(values: list[DonorValue], currency: str) -> charts.BarChart:
    return charts.horizontal_bars(
        [(row.name, row.total.amount) for row in values if row.total.amount > 0][:20], width=720,
        label_width=250, label_chars=38, fmt=lambda v: f"{v:,.0f} {currency}")


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

    rates, on = Rates(), clock.today()
    values = pledge_values(user, rates, on)
    financial = financial_status(user, rates, on)
    value_total = Total(rates.target)
    for row in values:
        value_total.merge(row.total)
    value_chart = _value_chart(values, rates.target)

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
    fill_chart = charts.stacked_bars(fill_rows, _fill_series(), fmt=_tonnes)
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
        "value_chart": value_chart, "value_rows": values, "value_total": value_total,
        "reporting_currency": rates.target, "rates_on": on,
        "financial": financial, "financial_total": sum(row.count for row in financial),
        "fill_chart": fill_chart,
    }


@dataclass
class DonorValue:
    """A donor's pledged value in the reporting currency: in kind, financial, and both."""

    name: str
    in_kind: Total
    financial: Total
    total: Total
    donor_id: int | None = None


def pledge_values(user: Any, rates: Rates, on: dt.date) -> list[DonorValue]:
    """Per donor, the value of its pledges (announced to delivered or disbursed; withdrawn left out) whose value
    ``user`` may see, converted at the rates known on ``on``; largest first."""
    visible_value = value_visible_q(user)
    in_kind = Pledge.objects.for_user(user).exclude(status=Pledge.Status.WITHDRAWN)
    money = FinancialPledge.objects.for_user(user).exclude(status=FinancialPledge.Status.WITHDRAWN)
    if visible_value is not None:
        in_kind, money = in_kind.filter(visible_value), money.filter(visible_value)
    value = Sum(F("unit_value") * F("quantity"), output_field=DecimalField(max_digits=24, decimal_places=2))
    rows: dict[str, DonorValue] = {}

    def donor(name: str, pk: int) -> DonorValue:
        if name not in rows:
            rows[name] = DonorValue(name, Total(rates.target), Total(rates.target), Total(rates.target), pk)
        return rows[name]

    for name, pk, currency, amount in (in_kind.order_by().values_list("donor__name", "donor_id", "currency")
                                       .annotate(total=value)):
        amount = amount or Decimal(0)
        donor(name, pk).in_kind.add(rates.convert(amount, currency, on), amount, currency)
    for name, pk, currency, amount in (money.order_by().values_list("donor__name", "donor_id", "currency")
                                       .annotate(total=Sum("amount"))):
        amount = amount or Decimal(0)
        donor(name, pk).financial.add(rates.convert(amount, currency, on), amount, currency)
    for row in rows.values():
        row.total.merge(row.in_kind)
        row.total.merge(row.financial)
    return sorted(rows.values(), key=lambda r: (-r.total.amount, r.name))


@dataclass
class FinancialStatus:
    status: str
    label: str
    count: int
    value: Total


def financial_status(user: Any, rates: Rates, on: dt.date) -> list[FinancialStatus]:
    """Financial pledges by status: how many ``user`` sees, and the amount of those whose value they may see."""
    visible_value = value_visible_q(user)
    counts: dict[str, int] = {}
    totals = {status: Total(rates.target) for status in FinancialPledge.Status.values}
    # One query: the count of every visible pledge, the amount of those whose value the user may see.
    for status, currency, n, amount in (FinancialPledge.objects.for_user(user).order_by()
                                        .values_list("status", "currency")
                                        .annotate(n=Count("pk"), total=Sum("amount", filter=visible_value))):
        counts[status] = counts.get(status, 0) + n
        if amount is not None:
            totals[status].add(rates.convert(amount, currency, on), amount, currency)
    return [FinancialStatus(status, str(label), counts.get(status, 0), totals[status])
            for status, label in FinancialPledge.Status.choices]
