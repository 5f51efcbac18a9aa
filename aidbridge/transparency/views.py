"""The public transparency page: released aggregates only, no login, no external asset."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language, gettext, ngettext

from aidbridge.audit import log
from aidbridge.audit.cache import cached
from aidbridge.core import charts, clock, csvsafe
from aidbridge.training.queries import public_aggregates
from aidbridge.transparency.aggregates import Summary, csv_rows, summarise, training_csv_rows


def released() -> tuple[Summary, dict[str, Any]]:
    """The released in-kind and financial summary and the public training aggregates, cached until the next
    write. The same for every viewer: only what is released to the anonymous public is read."""
    return cached(("transparency", get_language()), lambda: (summarise(), public_aggregates()))  # type: ignore[no-any-return]


def index(request: HttpRequest) -> HttpResponse:
    summary, training = released()
    checkpoint = log.latest_checkpoint()
    tonnes = lambda v: gettext("%(tonnes)s t") % {"tonnes": f"{v:,.1f}"}  # noqa: E731
    seats = lambda v: ngettext("%(seats)s seat", "%(seats)s seats", int(v)) % {"seats": f"{v:,.0f}"}  # noqa: E731
    context = {
        "title": gettext("Transparency"),
        "training": training,
        "training_seats": sum(r["seats"] for r in training["by_donor"]),
        "training_completed": sum(r["completed"] for r in training["by_donor"]),
        "training_chart": charts.stacked_bars(
            [(r["donor"], [r["completed"], max(r["seats"] - r["completed"], 0)]) for r in training["by_donor"]],
            [gettext("Trainees completed"), gettext("Other seats offered")], label_width=220, fmt=seats),
        "summary": summary,
        "donor_chart": charts.horizontal_bars([(r.label, r.tonnes) for r in summary.by_donor], fmt=tonnes),
        "class_chart": charts.horizontal_bars([(r.label, r.tonnes) for r in summary.by_class], fmt=tonnes),
        "month_chart": charts.horizontal_bars([(r.label, r.tonnes) for r in summary.by_month], fmt=tonnes,
                                              label_width=90),
        # Tonnes, not units: a headline never adds cartridges to trucks.
        "delivery_chart": charts.stacked_bars(
            [(r.label, [r.delivered_tonnes, r.undelivered_tonnes]) for r in summary.by_donor],
            [gettext("Delivered"), gettext("Not yet delivered")], label_width=220, fmt=tonnes,
        ),
        "as_of": clock.today(),
        # Witnessing: the latest signed checkpoint, for anyone to keep a copy of.
        "checkpoint": checkpoint,
        "checkpoint_json": log.as_dict(checkpoint) if checkpoint else None,
    }
    return render(request, "transparency/index.html", context)


def download(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aidbridge-transparency-{clock.today()}.csv"'
    csvsafe.writer(response).writerows(csv_rows(released()[0]))
    return response


def training_download(request: HttpRequest) -> HttpResponse:
    """Seats offered and trainees completed on public, disclosed courses, by donor and by month."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="aidbridge-training-{clock.today()}.csv"'
    csvsafe.writer(response).writerows(training_csv_rows(released()[1]))
    return response
