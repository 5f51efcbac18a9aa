"""Allocation runs in the browser: start one, watch its progress, review the plan, approve it."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.allocation import review, tables
from aidbridge.allocation import run_services as runs
from aidbridge.allocation.models import AllocationRun
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.views import list_download, rows_page


class RunForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"),
                               choices=AllocationRun.Method.choices, initial=AllocationRun.Method.OPTIMAL)
    weeks = forms.IntegerField(min_value=1, max_value=104, initial=26, label=_("Horizon (weeks)"))
    time_limit = forms.FloatField(min_value=1, max_value=3600, initial=60, required=False,
                                  label=_("Time limit (s)"))


def _may_plan(request: HttpRequest) -> bool:
    p = principal(request.user)
    return p.is_coordinator_editor


@login_required
def run_list(request: HttpRequest) -> HttpResponse:
    # The list never needs a run's instance or plans, which can be megabytes each.
    qs = (AllocationRun.objects.for_user(request.user).select_related("started_by", "approved_by")
          .defer("instance", "plan", "greedy_plan"))
    if not (principal(request.user).is_coordinator or principal(request.user).sees_everything):
        raise Http404("No allocation runs here.")
    if (download := list_download(request, "allocation runs", tables.RUN_COLUMNS, qs)) is not None:
        return download  # every run, not only the latest 100 the page shows
    return render(request, "allocation/run_list.html", {
        "runs": qs[:100], "form": RunForm(), "may_plan": _may_plan(request), "title": gettext("Allocation runs"),
    })


@login_required
@require_POST
def run_start(request: HttpRequest) -> HttpResponse:
    if not (principal(request.user).is_coordinator or principal(request.user).sees_everything):
        raise Http404("No allocation runs here.")
    form = RunForm(request.POST)
    if form.is_valid():
        try:
            run = runs.start_run(actor=request.user, **form.cleaned_data)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            return HttpResponseRedirect(reverse("allocation:run_detail", args=[run.pk]))
    else:
        messages.error(request, "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items()))
    return HttpResponseRedirect(reverse("allocation:run_list"))


def _get_run(request: HttpRequest, pk: int) -> AllocationRun:
    return get_object_or_404(AllocationRun.objects.for_user(request.user).select_related("started_by"), pk=pk)


RUN_ROWS_PER_PAGE = 100


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run(request, pk)
    context: dict[str, object] = {
        "run": run, "title": str(run), "may_plan": _may_plan(request),
        "fallback": run.fallback_reason or review.fallback(run.plan),
        # Only a finished, unapproved plan can go stale; the page then says why instead of offering approval.
        "stale_reasons": runs.stale_reasons(run) if run.status == AllocationRun.Status.DONE else [],
    }
    if run.instance and run.plan:
        donors = {str(o.pk): o.name for o in Organisation.objects.filter(kind=Organisation.Kind.DONOR)}
        # A run at scale plans tens of thousands of rows: the page shows them a hundred at a time.
        requirement_page = rows_page(request, review.requirement_fills(run.instance, run.plan, run.greedy_plan),
                                     "requirements_page", "run-requirements", RUN_ROWS_PER_PAGE)
        pledge_page = rows_page(request, review.pledge_uses(run.instance, run.plan, run.greedy_plan, donors),
                                "pledges_page", "run-pledges", RUN_ROWS_PER_PAGE)
        context.update(
            priority_fill=review.priority_fill(run.instance, run.plan, run.greedy_plan),
            requirement_page=requirement_page, requirement_fills=requirement_page.page,
            pledge_page=pledge_page, pledge_uses=pledge_page.page,
            hub_loads=review.hub_loads(run.instance, run.plan, run.greedy_plan),
            overloaded=review.overloaded(run.instance, run.plan),
            priority_values=sorted(run.instance.get("priority_value", {}).items()),
            decay_percent=round(100 * float(run.instance.get("lateness_decay_per_week", 0.0))),
        )
    return render(request, "allocation/run_detail.html", context)


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by htmx every second while the run is active; asks for a full refresh once it is over."""
    run = _get_run(request, pk)
    response = render(request, "allocation/_run_progress.html", {"run": run})
    if not run.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
def run_status(request: HttpRequest, pk: int) -> JsonResponse:
    run = _get_run(request, pk)
    return JsonResponse({"status": run.status, "progress": run.progress, "message": run.progress_message})


@login_required
def run_download(request: HttpRequest, pk: int, what: str) -> HttpResponse:
    run = _get_run(request, pk)
    data = {"plan": run.plan, "instance": run.instance, "greedy": run.greedy_plan}.get(what)
    if data is None:
        raise Http404("Nothing to download yet.")
    response = HttpResponse(json.dumps(data, indent=1), content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="run-{run.pk}-{what}.json"'
    return response


@login_required
@require_POST
def run_approve(request: HttpRequest, pk: int) -> HttpResponse:
    run = _get_run(request, pk)
    try:
        lines = runs.approve_run(actor=request.user, run=run)
    except NotPermitted as exc:
        return render(request, "403.html", {"message": exc.message}, status=403)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, ngettext("Plan approved: %(lines)s allocation line written.",
                                           "Plan approved: %(lines)s allocation lines written.", len(lines))
                         % {"lines": len(lines)})
    return HttpResponseRedirect(reverse("allocation:run_detail", args=[run.pk]))
