"""What-if pages: scenarios and sweeps, a run's re-planned answer, exposure, and the backfill downloads.

Scenarios, sweeps and runs are visible to coordinators and auditors only (``for_user``); anybody else gets 404,
as on the allocation run pages. Coordinator editors write, through :mod:`aidbridge.whatif.services`; the
others never see a write button, and a POST from them is refused with 403 by the service. The exposure page
also shows a coalition donor its own exposure, and nothing about other donors.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.core import exports as list_exports
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.views import forbidden
from aidbridge.whatif import charts, exports, forms, perturbations, queries, services, tables
from aidbridge.whatif.models import Scenario, ScenarioRun, Status, Sweep

FINISHED = (Status.DONE, Status.FAILED)


# --- who may do what ------------------------------------------------------------------------------------------

def _oversees(request: HttpRequest) -> bool:
    return principal(request.user).oversees


def _require_oversight(request: HttpRequest) -> None:
    if not _oversees(request):
        raise Http404("No what-if scenarios here.")


def _may_write(request: HttpRequest) -> bool:
    return principal(request.user).is_coordinator_editor


def _scenario(request: HttpRequest, pk: int) -> Scenario:
    return get_object_or_404(Scenario.objects.for_user(request.user), pk=pk)


def _run(request: HttpRequest, pk: int) -> ScenarioRun:
    return get_object_or_404(ScenarioRun.objects.for_user(request.user).select_related("scenario", "sweep",
                                                                                      "created_by"), pk=pk)


def _sweep(request: HttpRequest, pk: int) -> Sweep:
    return get_object_or_404(_with_counts(Sweep.objects.for_user(request.user)).select_related("created_by"), pk=pk)


def _with_counts(qs: Any) -> Any:
    return qs.annotate(done_runs=Count("runs", filter=Q(runs__status__in=FINISHED)),
                       failed_runs=Count("runs", filter=Q(runs__status=Status.FAILED)))


def _described(stored: list[dict[str, Any]]) -> list[str]:
    return [perturbations.describe(p) for p in stored]


def _sweep_progress(sweep: Sweep) -> dict[str, Any]:
    done = getattr(sweep, "done_runs", None)
    if done is None:
        done = sweep.runs.filter(status__in=FINISHED).count()
    total = sweep.total
    percent = round(100 * done / total) if total else (100 if sweep.status == Status.DONE else 0)
    return {"done": done, "total": total, "percent": percent}


# --- the index --------------------------------------------------------------------------------------------

@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    last = ScenarioRun.objects.filter(scenario=OuterRef("pk")).order_by("-created_at", "-pk")
    scenarios = (Scenario.objects.for_user(request.user)
                 .annotate(last_run_id=Subquery(last.values("pk")[:1]),
                           last_status=Subquery(last.values("status")[:1]),
                           last_loss_share=Subquery(last.values("loss_share")[:1]),
                           last_tts=Subquery(last.values("time_to_survive_week")[:1]),
                           last_start=Subquery(last.values("start_date")[:1]),
                           last_weeks=Subquery(last.values("weeks")[:1])))
    scenario_rows = []
    for s in scenarios:
        tts = None
        if s.last_status == Status.DONE and s.last_start is not None:
            tts = tables.survive(s.last_start, s.last_tts, s.last_weeks or s.weeks)
        scenario_rows.append({"scenario": s, "described": _described(s.perturbations),
                              "last_status_label": Status(s.last_status).label if s.last_status else "",
                              "loss_percent": charts.percent(s.last_loss_share), "survive": tts})
    every_sweep = _with_counts(Sweep.objects.for_user(request.user)).select_related("created_by")
    if request.GET.get("format") is not None:
        return _index_download(request, scenario_rows, every_sweep)
    sweeps = list(every_sweep[:30])
    return render(request, "whatif/index.html", {
        "title": gettext("What-if scenarios"), "scenarios": scenario_rows,
        "sweeps": [{"sweep": s, "progress": _sweep_progress(s)} for s in sweeps],
        "may_write": _may_write(request), "sweep_form": forms.SweepForm() if _may_write(request) else None,
    })


SCENARIO_HEADER = ("Scenario", "What changes", "Last run", "Last run status", "Loss share",
                   "Time-to-survive week", "Time-to-survive date")
SWEEP_HEADER = ("Sweep", "Kind", "Status", "Runs finished", "Runs", "From", "Started", "Started by")
INDEX_LISTS = ("scenarios", "sweeps")


def _index_download(request: HttpRequest, scenario_rows: list[dict[str, Any]], sweeps: Any) -> HttpResponse:
    """``?format=csv|xlsx`` (and ``list=sweeps`` for the sweeps): the index's scenarios, or every sweep."""
    fmt, which = request.GET.get("format", ""), request.GET.get("list", "scenarios")
    if fmt not in list_exports.FORMATS or which not in INDEX_LISTS:
        message = "Give list=scenarios or list=sweeps." if fmt in list_exports.FORMATS else list_exports.FORMAT_MESSAGE
        return HttpResponse(message, status=422, content_type="text/plain; charset=utf-8")
    if which == "sweeps":
        rows = ([s.pk, s.kind, s.status, _sweep_progress(s)["done"], s.total, s.from_date, s.created_at,
                 str(s.created_by) if s.created_by else None] for s in sweeps)
        return list_exports.download(fmt, "whatif sweeps", SWEEP_HEADER, rows, title="Sweeps")
    out = []
    for row in scenario_rows:
        s, survive = row["scenario"], row["survive"] or {}
        out.append([s.name, "; ".join(row["described"]), s.last_run_id, s.last_status or None,
                    s.last_loss_share if row["survive"] else None, survive.get("week"), survive.get("date")])
    return list_exports.download(fmt, "whatif scenarios", SCENARIO_HEADER, out, title="Scenarios")


# --- scenarios -----------------------------------------------------------------------------------------------

def _scenario_form_page(request: HttpRequest, form: forms.ScenarioForm, scenario: Scenario | None,
                        status: int = 200) -> HttpResponse:
    return render(request, "whatif/scenario_form.html", {
        "form": form, "scenario": scenario,
        "title": gettext("Edit %(scenario)s") % {"scenario": scenario} if scenario else gettext("New scenario"),
        "cancel_url": (reverse("whatif:scenario", args=[scenario.pk]) if scenario else reverse("whatif:index")),
    }, status=status)


def _service_errors(form: forms.ScenarioForm, exc: ServiceError) -> None:
    form.apply_errors(exc.errors)


@login_required
def scenario_add(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    if not _may_write(request):
        return forbidden(request, gettext("Only coordinator editors may create what-if scenarios."))
    if request.method != "POST":
        return _scenario_form_page(request, forms.ScenarioForm(user=request.user), None)
    form = forms.ScenarioForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            scenario = services.create_scenario(actor=request.user, **form.service_arguments())
        except NotPermitted as exc:
            return forbidden(request, exc.message)
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, gettext("Saved scenario “%(scenario)s”.") % {"scenario": scenario})
            return HttpResponseRedirect(reverse("whatif:scenario", args=[scenario.pk]))
    return _scenario_form_page(request, form, None, status=422)


@login_required
def scenario_edit(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    if not _may_write(request):
        return forbidden(request, gettext("Only coordinator editors may change what-if scenarios."))
    initial, kept = forms.initial_from_stored(scenario.perturbations, perturbations.describe)
    if request.method != "POST":
        form = forms.ScenarioForm(user=request.user, kept=kept, initial={
            "name": scenario.name, "description": scenario.description,
            "threshold": round(100 * scenario.threshold, 4), "weeks": scenario.weeks, **initial})
        return _scenario_form_page(request, form, scenario)
    form = forms.ScenarioForm(request.POST, user=request.user, kept=kept)
    if form.is_valid():
        try:
            scenario = services.update_scenario(actor=request.user, scenario=scenario, **form.service_arguments())
        except NotPermitted as exc:
            return forbidden(request, exc.message)
        except ServiceError as exc:
            _service_errors(form, exc)
        else:
            messages.success(request, gettext("Saved scenario “%(scenario)s”.") % {"scenario": scenario})
            return HttpResponseRedirect(reverse("whatif:scenario", args=[scenario.pk]))
    return _scenario_form_page(request, form, scenario, status=422)


@login_required
@require_POST
def scenario_delete(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    name = scenario.name
    try:
        services.delete_scenario(actor=request.user, scenario=scenario)
    except NotPermitted as exc:
        return forbidden(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("whatif:scenario", args=[pk]))
    messages.success(request, gettext("Deleted scenario “%(scenario)s”.") % {"scenario": name})
    return HttpResponseRedirect(reverse("whatif:index"))


@login_required
@require_POST
def scenario_run(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    try:
        run = services.run_scenario(actor=request.user, scenario=scenario)
    except NotPermitted as exc:
        return forbidden(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("whatif:scenario", args=[pk]))
    return HttpResponseRedirect(reverse("whatif:scenariorun", args=[run.pk]))


@login_required
def scenario_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scenario = _scenario(request, pk)
    runs = list(scenario.runs.defer("result").select_related("created_by")[:50])
    latest = None
    if runs:
        latest = _run(request, runs[0].pk)
    context: dict[str, Any] = {
        "title": str(scenario), "scenario": scenario, "described": _described(scenario.perturbations),
        "threshold_percent": charts.percent(scenario.threshold, 0), "runs": runs, "latest": latest,
        "may_write": _may_write(request),
        "runs_rows": [{"run": r, "loss_percent": charts.percent(r.loss_share),
                       "survive": tables.survive(r.start_date, r.time_to_survive_week, r.weeks)} for r in runs],
    }
    if latest is not None and latest.status == Status.DONE and latest.result:
        context.update(_result_context(request, latest))
    return render(request, "whatif/scenario_detail.html", context)


# --- runs ----------------------------------------------------------------------------------------------------

def _result_context(request: HttpRequest, run: ScenarioRun) -> dict[str, Any]:
    result = run.result or {}
    user = request.user
    losing = list(result.get("requirements_losing") or [])
    backfill = queries.backfill_rows(run, user)
    return {
        "headline": tables.headline(result, run.start_date, run.weeks),
        "coverage": tables.coverage(result, run.start_date),
        "fill_priority": tables.fill_rows(result.get("fill_by_priority") or {}, by="priority"),
        "fill_class": tables.fill_rows(result.get("fill_by_class") or {}, by="class"),
        "losing": tables.requirement_rows(user, losing, run.start_date),
        "losing_total": len(losing),
        "spof": tables.spof_rows(user, result.get("single_points_of_failure") or []),
        "readiness": tables.readiness_rows(user, result.get("readiness")),
        "backfill": backfill[:tables.MAX_ROWS], "backfill_total": len(backfill),
        "described_engine": [_engine_words(p) for p in result.get("perturbations") or run.perturbations or []],
        "max_rows": tables.MAX_ROWS,
    }


def _engine_words(p: dict[str, Any]) -> str:
    """A run keeps its perturbations in the engine's form (weeks, codes); say them plainly."""
    kind = p.get("kind")
    if kind == "withdraw_donor":
        who = queries.target_label("withdraw_donor", str(p.get("donor")))
        if p.get("lose_allocated", True):
            return gettext("%(donor)s withdraws from week %(week)s; approved but undispatched allocations are lost "
                           "too") % {"donor": who, "week": p.get("from_week", 0)}
        return gettext("%(donor)s withdraws from week %(week)s; approved allocations are still delivered") % {
            "donor": who, "week": p.get("from_week", 0)}
    if kind == "delay_donor":
        return gettext("%(donor)s delays by %(weeks)s weeks") % {
            "donor": queries.target_label("withdraw_donor", str(p.get("donor"))), "weeks": p.get("weeks")}
    if kind == "close_hub":
        cut = float(p.get("cut", 1.0))
        end = p.get("to_week")
        words = {"hub": queries.target_label("close_hub", str(p.get("hub"))), "cut": f"{cut:.0%}",
                 "start": p.get("from_week", 0), "end": end}
        if cut >= 1:
            return (gettext("%(hub)s closes, weeks %(start)s–%(end)s") if end is not None
                    else gettext("%(hub)s closes, from week %(start)s")) % words
        return (gettext("%(hub)s loses %(cut)s of its capacity, weeks %(start)s–%(end)s") if end is not None
                else gettext("%(hub)s loses %(cut)s of its capacity, from week %(start)s")) % words
    if kind == "lead_time":
        return gettext("Lead times %(origin)s → %(destination)s (%(leg)s) rise by %(weeks)s weeks") % {
            "origin": p.get("from", "*"), "destination": p.get("to", "*"), "leg": p.get("leg"), "weeks": p.get("weeks")}
    if kind == "demand_surge":
        items = list(p.get("items") or [])
        shown = ", ".join(items[:6])
        if len(items) > 6:
            shown = gettext("%(items)s and %(count)s more") % {"items": shown, "count": len(items) - 6}
        return gettext("Demand for %(items)s rises by %(share)s") % {"items": shown,
                                                                     "share": f"{float(p.get('share', 0)):.0%}"}
    return str(kind)


@login_required
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk)
    context: dict[str, Any] = {"title": str(run), "run": run, "may_write": _may_write(request)}
    if run.sweep_id is not None and run.target:
        context["target_label"] = queries.target_label(run.kind, run.target)
    if run.status == Status.DONE and run.result:
        context.update(_result_context(request, run))
    return render(request, "whatif/run_detail.html", context)


@login_required
def run_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by htmx every second while the run is active; asks for a full refresh once it is over."""
    run = get_object_or_404(ScenarioRun.objects.for_user(request.user).defer("result"), pk=pk)
    response = render(request, "whatif/_run_progress.html", {"run": run})
    if not run.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


@login_required
def run_backfill(request: HttpRequest, pk: int, extension: str) -> HttpResponse:
    run = _run(request, pk)
    if run.status != Status.DONE or not run.result:
        raise Http404("This run has no backfill list yet.")
    rows = queries.backfill_rows(run, request.user)
    if extension == "csv":
        response = HttpResponse(exports.backfill_csv(rows), content_type="text/csv; charset=utf-8")
    elif extension == "xlsx":
        response = HttpResponse(
            exports.backfill_xlsx(rows, title=f"Backfill for what-if run #{run.pk}: {run.name}"),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    else:
        raise Http404("No such download.")
    response["Content-Disposition"] = f'attachment; filename="{exports.filename(run, extension)}"'
    return response


# --- sweeps --------------------------------------------------------------------------------------------------

@login_required
@require_POST
def sweep_start(request: HttpRequest) -> HttpResponse:
    _require_oversight(request)
    form = forms.SweepForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(f"{form.fields[k].label if k in form.fields else k}: "
                                          f"{' '.join(str(m) for m in v)}" for k, v in form.errors.items()))
        return HttpResponseRedirect(reverse("whatif:index"))
    try:
        sweep = services.start_sweep(actor=request.user, kind=form.cleaned_data["kind"],
                                     from_date=form.cleaned_data.get("from_date"))
    except NotPermitted as exc:
        return forbidden(request, exc.message)
    except ServiceError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("whatif:index"))
    return HttpResponseRedirect(reverse("whatif:sweep", args=[sweep.pk]))


def _sweep_runs(request: HttpRequest, sweep: Sweep) -> list[dict[str, Any]]:
    runs = sweep.runs.defer("result", "perturbations").order_by("-loss_share", "name", "pk")
    out: list[dict[str, Any]] = []
    for r in runs:
        out.append({"run": r, "label": queries.target_label(r.kind, r.target) if r.target else r.name,
                    "loss_percent": charts.percent(r.loss_share),
                    "survive": tables.survive(r.start_date, r.time_to_survive_week, r.weeks)})
    # nulls (runs not done) last, whatever the database's ordering of nulls
    out.sort(key=lambda row: (row["run"].loss_share is None, -(row["run"].loss_share or 0), row["label"]))
    return out


def _tornado(rows: list[dict[str, Any]]) -> charts.TornadoChart:
    return charts.tornado([
        charts.TornadoRow(label=r["label"], value=float(r["loss_share"] or 0),
                          kind="donor" if r.get("kind") in ("withdraw_donor", "donors", "donor") else "hub",
                          href=reverse("whatif:scenariorun", args=[r["run_id"]]) if r.get("run_id") else "")
        for r in rows])


@login_required
def sweep_detail(request: HttpRequest, pk: int) -> HttpResponse:
    sweep = _sweep(request, pk)
    context: dict[str, Any] = {"title": str(sweep), "sweep": sweep, "progress": _sweep_progress(sweep),
                               "runs": _sweep_runs(request, sweep)}
    if sweep.status == Status.DONE:
        tornado_rows = queries.tornado(sweep)
        label = (gettext("Tornado chart: share of priority points lost when each donor withdraws, largest first")
                 if sweep.kind == Sweep.Kind.DONORS
                 else gettext("Tornado chart: share of priority points lost when each hub closes, largest first"))
        context.update(tornado=_tornado(tornado_rows) if tornado_rows else None,
                       tornado_label=label,
                       tornado_rows=[{**r, "loss_percent": charts.percent(r["loss_share"])} for r in tornado_rows],
                       spof=_spof(queries.spof_rows(sweep)))
    return render(request, "whatif/sweep_detail.html", context)


def _spof(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**r, **tables.spof_figures(r.get("baseline"), r.get("scenario"))} for r in rows]


@login_required
def sweep_progress(request: HttpRequest, pk: int) -> HttpResponse:
    sweep = _sweep(request, pk)
    response = render(request, "whatif/_sweep_progress.html", {"sweep": sweep, "progress": _sweep_progress(sweep)})
    if not sweep.is_active and request.headers.get("HX-Request"):
        response["HX-Refresh"] = "true"
    return response


# --- exposure ------------------------------------------------------------------------------------------------

def _donor_liaison(request: HttpRequest) -> bool:
    p = principal(request.user)
    return p.in_coalition and p.org_kind == Organisation.Kind.DONOR


@login_required
def exposure(request: HttpRequest) -> HttpResponse:
    if _oversees(request):
        latest = queries.latest_sweeps()
        rows: list[dict[str, Any]] = []
        for sweep in latest.values():
            if sweep is not None:
                rows += queries.tornado(sweep)
        spof: list[dict[str, Any]] = []
        for sweep in latest.values():
            if sweep is not None:
                spof += _spof(queries.spof_rows(sweep))
        return render(request, "whatif/exposure.html", {
            "title": gettext("Exposure"), "latest": latest, "tornado": _tornado(rows) if rows else None,
            "tornado_rows": sorted(({**r, "loss_percent": charts.percent(r["loss_share"])} for r in rows),
                                   key=lambda r: (-float(r["loss_share"] or 0), r["label"])),
            "spof": spof, "concentration": _concentration(queries.concentration_tables(request.user)),
        })
    if _donor_liaison(request):
        own = queries.own_exposure(request.user)
        items = [{**r, "share_percent": charts.percent(r.get("share")),
                  "value": round(100 * float(r.get("share") or 0))} for r in (own or {}).get("items") or []]
        return render(request, "whatif/exposure_own.html", {
            "title": gettext("Your exposure"), "own": own, "items": items,
            "loss_percent": charts.percent((own or {}).get("loss_share")),
            "survive_date": (own or {}).get("time_to_survive_date")})
    raise Http404("No exposure here.")


CONCENTRATION_TITLES = {"item": _("By item"), "class": _("By supply class"), "package": _("By requirement package")}


def _concentration(tables_: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for key in ("item", "class", "package"):
        rows = []
        for r in tables_.get(key) or []:
            rows.append({**r, **{f"{m}_top_share": charts.percent((r.get(m) or {}).get("top_share"))
                                 for m in ("units", "value", "points")}})
        out.append({"key": key, "title": CONCENTRATION_TITLES[key], "rows": rows})
    return out
