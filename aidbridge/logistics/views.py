"""Logistics pages: shipments (list, detail, their forms and buttons), hub stock ledgers, chain of custody and
the discrepancy report. Every object is read through ``for_user``; the services remain the authority."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import get_language, gettext, gettext_lazy, ngettext

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal
from aidbridge.core import clock, versioned
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.viewer import scope
from aidbridge.core.views import (
    ROWS_PER_PAGE,
    AppView,
    DetailFormView,
    ObjectDetailView,
    ObjectListView,
    apply_service_errors,
    forbidden,
    list_download,
    rows_page,
    visible,
)
from aidbridge.locations.models import Hub, Location
from aidbridge.logistics import queries, services, tables
from aidbridge.logistics.access import operates, receiver_ok, sender_ok
from aidbridge.logistics.charts import hub_week_chart
from aidbridge.logistics.filtersets import ShipmentFilterSet, StockMovementFilterSet
from aidbridge.logistics.forms import (
    ArriveForm,
    CancelForm,
    DispatchForm,
    ProofDocumentForm,
    ProofForm,
    ReceiveForm,
    RemoveLinesForm,
    SplitForm,
    StockMovementForm,
    TrackForm,
)
from aidbridge.logistics.models import ProofOfDelivery, ReceiptLine, Shipment, ShipmentLine, StockMovement
from aidbridge.logistics.visibility import sees_hub_stock
from aidbridge.pledges.models import Pledge
from aidbridge.pledges.services import read_upload

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

Status = Shipment.Status
RELATED = ("hub", "donor", "destination")
Kind = StockMovement.Kind


# --- what the detail page offers (the services check again) ------------------------------------------------

def may_dispatch(p: Principal, s: Shipment) -> bool:
    return s.status == Status.PLANNED and sender_ok(p, s)


def may_track(p: Principal, s: Shipment) -> bool:
    return s.status in (Status.DISPATCHED, Status.IN_TRANSIT) and (sender_ok(p, s) or receiver_ok(p, s))


def may_arrive(p: Principal, s: Shipment) -> bool:
    return s.status in (Status.DISPATCHED, Status.IN_TRANSIT) and (sender_ok(p, s) or receiver_ok(p, s))


def may_cancel(p: Principal, s: Shipment) -> bool:
    return s.status == Status.PLANNED and (sender_ok(p, s) or p.is_coordinator_editor)


def may_receive(p: Principal, s: Shipment) -> bool:
    return s.status in Shipment.MOVING and receiver_ok(p, s)


def may_sign(p: Principal, s: Shipment) -> bool:
    return (s.leg == Shipment.Leg.OUTBOUND and s.status == Status.RECEIVED
            and not ProofOfDelivery.objects.filter(shipment=s).exists() and receiver_ok(p, s))


def may_attach_scan(p: Principal, s: Shipment, proof: ProofOfDelivery | None) -> bool:
    return proof is not None and not proof.document and receiver_ok(p, s)


def may_rearrange(p: Principal, s: Shipment) -> bool:
    """Split a planned shipment or take lines off it: its hub's operator or a coordinator."""
    return s.status == Status.PLANNED and operates(p, s.hub)


def planned_lines(shipment: Shipment, user: Any) -> list[Any]:
    """The lines of ``shipment`` that ``user`` may see: a form never names another donor's goods."""
    return list(ShipmentLine.objects.on_shipment(shipment, user)
                .select_related("item", "allocation_line__pledge", "allocation_line__requirement").order_by("pk"))


def outstanding_lines(shipment: Shipment, user: Any) -> list[tuple[Any, int]]:
    """The lines of ``shipment`` that ``user`` may see and that still have units to count, with those units."""
    lines = list(ShipmentLine.objects.on_shipment(shipment, user).select_related("item", "allocation_line__pledge")
                 .order_by("pk"))
    done = dict(ReceiptLine.objects.filter(shipment_line__shipment=shipment).values_list("shipment_line_id")
                .annotate(n=Sum("good") + Sum("damaged") + Sum("lost")))
    return [(line, line.quantity - (done.get(line.pk) or 0)) for line in lines
            if line.quantity > (done.get(line.pk) or 0)]


class ShipmentList(ObjectListView):
    model = Shipment
    filterset_class = ShipmentFilterSet
    columns = tables.SHIPMENT_COLUMNS
    related = RELATED
    title = _("Shipments")
    template_name = "logistics/shipment_list.html"
    filter_labels = {"hub": _("Hub"), "donor": _("Donor"), "destination": _("Destination")}

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        user = self.request.user
        hubs = Hub.objects.for_user(user).order_by("code")
        donors = Organisation.objects.for_user(user).filter(kind=Organisation.Kind.DONOR).order_by("name")
        destinations = (Location.objects.filter(pk__in=Shipment.objects.for_user(user)
                                                .values("destination_id")).order_by("unlocode"))
        return {"hub": [(h.pk, h.code) for h in hubs], "donor": [(o.pk, o.name) for o in donors],
                "destination": [(loc.pk, str(loc)) for loc in destinations]}



class ShipmentDetail(ObjectDetailView):
    model = Shipment
    fields = tables.SHIPMENT_FIELDS
    related = RELATED
    template_name = "logistics/shipment_detail.html"

    def get_extra_context(self, obj: Shipment) -> dict[str, Any]:
        user = self.request.user
        p = self.principal
        receipt_lines = (ReceiptLine.objects.on_shipment(obj, user)
                         .select_related("receipt__received_by", "receipt__location", "shipment_line__item",
                                         "shipment_line__allocation_line__pledge").order_by("receipt_id", "pk"))
        proof = ProofOfDelivery.objects.filter(shipment=obj).first()
        visible_lines = ShipmentLine.objects.on_shipment(obj, user)
        lines = rows_page(self.request, visible_lines.select_related(
            "item", "allocation_line__pledge", "allocation_line__requirement__recipient").order_by("pk"),
            "lines_page", "lines")
        long = lines.page.paginator.count > ROWS_PER_PAGE

        def shown(allowed: bool, param: str) -> tuple[bool, bool]:
            """(render the form, offer it on request): the forms to split a shipment, take lines out or count goods
            off hold a row of fields per line, so on a lorry of more lines than a page they are asked for
            (``?rearrange=1``, ``?receive=1``), not rendered with every view of the page (a 1,500-line form
            costs half a second)."""
            on_demand = allowed and long and not self.request.GET.get(param)
            return allowed and not on_demand, on_demand

        rearrange, rearrange_on_demand = shown(may_rearrange(p, obj), "rearrange")
        receive, receive_on_demand = shown(may_receive(p, obj), "receive")
        planned = planned_lines(obj, user) if rearrange else []
        return {
            "title": f"{obj.reference} {obj.released_route}",  # not str(obj): its origin may be withheld
            # A lorry may carry thousands of lines: both tables page, 100 rows at a time.
            "lines": lines,
            "rearrange_on_demand": rearrange_on_demand,
            "receive_on_demand": receive_on_demand,
            "events": obj.events.select_related("recorded_by", "location"),
            "receipt_lines": rows_page(self.request, receipt_lines, "receipts_page", "receipts"),
            "proof": proof,
            # Over the lines this user may see: a donor on a shared lorry learns nothing of the others' goods.
            "received_good": (receipt_lines.aggregate(n=Sum("good"))["n"] or 0) if proof else None,
            "shipped": (visible_lines.aggregate(n=Sum("quantity"))["n"] or 0) if proof else None,
            "dispatch_form": DispatchForm() if may_dispatch(p, obj) else None,
            "track_form": TrackForm() if may_track(p, obj) else None,
            "arrive_form": ArriveForm() if may_arrive(p, obj) else None,
            "cancel_form": CancelForm() if may_cancel(p, obj) else None,
            "receive_form": ReceiveForm(lines=outstanding_lines(obj, user)) if receive else None,
            "proof_form": ProofForm() if may_sign(p, obj) else None,
            "scan_form": ProofDocumentForm() if may_attach_scan(p, obj, proof) else None,
            "split_form": SplitForm(lines=planned) if rearrange else None,
            "remove_form": RemoveLinesForm(lines=planned) if rearrange else None,
        }


class _ShipmentForm(DetailFormView, ShipmentDetail):
    """A shipment form's POST target: the service decides, and its refusals come back next to the fields."""

    def post(self, request: HttpRequest, pk: Any) -> HttpResponse:
        try:
            return super().post(request, pk)
        except NotPermitted as exc:  # raised outside perform (for example while building the form)
            return forbidden(request, exc.message)


class ShipmentDispatch(_ShipmentForm):
    form_class = DispatchForm
    form_name = "dispatch_form"
    success_message = _("Dispatched.")

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        d = form.cleaned_data
        return services.dispatch_shipment(actor=self.request.user, shipment=obj, carrier=d["carrier"],
                                          tracking_reference=d["tracking_reference"], place=d["place"],
                                          note=d["note"])


class ShipmentTrack(_ShipmentForm):
    form_class = TrackForm
    form_name = "track_form"
    success_message = _("Reported in transit.")

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        d = form.cleaned_data
        return services.report_in_transit(actor=self.request.user, shipment=obj, place=d["place"],
                                          carrier=d["carrier"], tracking_reference=d["tracking_reference"],
                                          note=d["note"])


class ShipmentArrive(_ShipmentForm):
    form_class = ArriveForm
    form_name = "arrive_form"
    success_message = _("Marked arrived.")

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        return services.mark_arrived(actor=self.request.user, shipment=obj, note=form.cleaned_data["note"])


class ShipmentCancel(_ShipmentForm):
    form_class = CancelForm
    form_name = "cancel_form"
    success_message = _("Cancelled.")

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        return services.cancel_shipment(actor=self.request.user, shipment=obj, reason=form.cleaned_data["reason"])


class ShipmentReceive(_ShipmentForm):
    form_class = ReceiveForm
    form_name = "receive_form"
    success_message = _("Receipt recorded.")

    def get_form(self, obj: Shipment) -> forms.BaseForm:
        return ReceiveForm(self.request.POST, lines=outstanding_lines(obj, self.request.user))

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        entries = [services.Received(line, good, damaged, lost, reason)
                   for line, good, damaged, lost, reason in form.entries()]  # type: ignore[attr-defined]
        return services.receive_shipment(actor=self.request.user, shipment=obj, lines=entries,
                                         note=form.cleaned_data["note"])


class ShipmentProof(_ShipmentForm):
    form_class = ProofForm
    form_name = "proof_form"
    success_message = _("Proof of delivery recorded.")

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        upload = form.cleaned_data.get("document")
        return services.record_proof_of_delivery(
            actor=self.request.user, shipment=obj, signatory=form.cleaned_data["signatory"],
            content=read_upload(upload, field="document") if upload else None,
            filename=upload.name if upload else "")


class ShipmentProofDocument(_ShipmentForm):
    form_class = ProofDocumentForm
    form_name = "scan_form"
    success_message = _("Signed delivery note attached.")

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        upload = form.cleaned_data["document"]
        return services.attach_proof_document(actor=self.request.user, shipment=obj,
                                              content=read_upload(upload, field="document"), filename=upload.name)


class ShipmentSplit(_ShipmentForm):
    form_class = SplitForm
    form_name = "split_form"

    def get_form(self, obj: Shipment) -> forms.BaseForm:
        return SplitForm(self.request.POST, lines=planned_lines(obj, self.request.user))

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        d = form.cleaned_data
        new = services.split_shipment(actor=self.request.user, shipment=obj, lines=form.entries(),  # type: ignore[attr-defined]
                                      week=d["week"], note=d["note"])
        self.success_message = (gettext("Split: %(reference)s now carries the units moved.")
                                % {"reference": new.reference})
        return new


class ShipmentRemoveLines(_ShipmentForm):
    form_class = RemoveLinesForm
    form_name = "remove_form"
    success_message = _("Taken off the shipment; those units can be planned again.")

    def get_form(self, obj: Shipment) -> forms.BaseForm:
        return RemoveLinesForm(self.request.POST, lines=planned_lines(obj, self.request.user))

    def perform(self, obj: Shipment, form: forms.BaseForm) -> Any:
        return services.remove_shipment_lines(actor=self.request.user, shipment=obj,
                                              lines=form.entries(),  # type: ignore[attr-defined]
                                              reason=form.cleaned_data["reason"])


class ProofDownload(AppView):
    """The scanned delivery note, only to users who may see its shipment, always as a download."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        proof = get_object_or_404(ProofOfDelivery.objects.for_user(request.user), shipment_id=pk)
        if not proof.document:
            raise Http404("This proof of delivery has no scanned document.")
        response = FileResponse(proof.document.open("rb"), as_attachment=True,
                                filename=proof.original_name or f"proof-of-delivery-{pk}",
                                content_type=proof.content_type or "application/octet-stream")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class GenerateShipments(AppView):
    """POST: plan shipments for every approved allocation not yet on one (coordinators)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            planned = services.generate_shipments(actor=request.user)
        except NotPermitted as exc:
            return forbidden(request, exc.message)
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, ngettext("%(shipments)s shipment planned or topped up.",
                                               "%(shipments)s shipments planned or topped up.", len(planned))
                             % {"shipments": len(planned)} if planned else gettext("Nothing left to plan."))
        return HttpResponseRedirect(reverse("logistics:shipment_list"))


# --- hub stock --------------------------------------------------------------------------------------------------

def hub_with_ledger(view: AppView, pk: Any) -> Hub:
    """The hub if the user may see its whole ledger (coordinators, auditors, its operator); else 404."""
    hub = visible(view, Hub, pk, ("location", "operator"))
    if not sees_hub_stock(view.request.user, hub):
        raise Http404("No such hub ledger.")
    return hub


class HubStock(AppView):
    """A hub's stock on hand and its ledger, newest first, with the issue/adjust/write-off form."""

    template_name = "logistics/hub_stock.html"

    def context(self, hub: Hub, form: forms.BaseForm | None = None) -> dict[str, Any]:
        user = self.request.user
        filterset = StockMovementFilterSet(self.request.GET or None, request=self.request,
                                           queryset=StockMovement.objects.for_user(user).filter(hub=hub))
        movements = (filterset.qs.select_related("item", "actor", "shipment", "reverses")
                     .order_by("-at", "-pk"))
        may = operates(self.principal, hub)
        return {
            "title": gettext("Stock at %(hub)s") % {"hub": hub.code},
            "hub": hub,
            "stock": queries.stock_on_hand(hub, user=user),
            "page": Paginator(movements, 50).get_page(self.request.GET.get("page")),
            "form": (form or StockMovementForm(user=user)) if may else None,
        }

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        hub = hub_with_ledger(self, pk)
        context = self.context(hub)
        ledger = context["page"].paginator.object_list  # the filtered ledger, every page of it
        if (download := list_download(request, f"stock {hub.code}", tables.MOVEMENT_COLUMNS, ledger)) is not None:
            return download
        return render(request, self.template_name, context)


class StockMovementAdd(HubStock):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        hub = hub_with_ledger(self, pk)
        form = StockMovementForm(request.POST, user=request.user)
        if form.is_valid():
            d = form.cleaned_data
            try:
                record_movement(actor=request.user, hub=hub, item=d["item"], kind=d["kind"],
                                quantity=d["quantity"], reason=d["reason"], note=d["note"],
                                override_reason=d["override_reason"])
            except NotPermitted as exc:
                return forbidden(request, exc.message)
            except ServiceError as exc:
                apply_service_errors(form, exc)
            else:
                messages.success(request, gettext("Stock movement recorded."))
                return HttpResponseRedirect(reverse("logistics:hub_stock", args=[hub.pk]) + "#main")
        return render(request, self.template_name, self.context(hub, form), status=422)


def record_movement(*, actor: Any, hub: Hub, item: Any, kind: str, quantity: int, reason: str = "",
                    note: str = "", override_reason: str = "") -> StockMovement:
    """Dispatch a manual ledger entry to its service. Receipts come only from shipments.

    ``override_reason`` lets an issue take stock reserved for allocations; other kinds record what happened to
    the stock and need no override.
    """
    if kind == Kind.ISSUE:
        return services.issue_stock(actor=actor, hub=hub, item=item, quantity=quantity, note=note,
                                    override_reason=override_reason)
    if kind == Kind.ADJUSTMENT:
        return services.adjust_stock(actor=actor, hub=hub, item=item, quantity=quantity, reason=reason, note=note)
    if kind == Kind.WRITE_OFF:
        return services.write_off_stock(actor=actor, hub=hub, item=item, quantity=quantity, reason=reason,
                                        note=note)
    if kind == Kind.RECEIPT:
        raise ServiceError(gettext("Receipts are recorded by counting a shipment in at the hub, not by hand."),
                           field="kind")
    raise ServiceError(gettext("Choose issue, adjustment or write-off."), field="kind")


def hub_logistics_context(user: Any, hub: Hub, *, today: dt.date | None = None) -> dict[str, Any]:
    """The hub page's logistics sections: stock on hand, weekly tonnes against capacity, overdue shipments; cached
    until the next write for viewers of the same scope (:mod:`aidbridge.core.versioned`)."""
    today = today or clock.today()

    def compute() -> dict[str, Any]:
        weeks = queries.weekly_tonnes(hub, user=user, start=today - dt.timedelta(weeks=8), weeks=14)
        return {
            "sees_stock": sees_hub_stock(user, hub),
            "stock": queries.stock_on_hand(hub, user=user),
            "hub_chart": hub_week_chart(weeks),
            "this_week": today - dt.timedelta(days=today.weekday()),
            "overdue": list(queries.overdue_shipments(user=user, today=today).filter(hub=hub)[:50]),
        }

    key = ("logistics.hub", hub.pk, hub.capacity_t_per_week, scope(user), today.isoformat(), get_language())
    return versioned.cached(key, compute)


# --- pledges and discrepancies ------------------------------------------------------------------------------------

class PledgeCustody(AppView):
    """Every handover of a pledge's goods from the donor to the recipient, as a vertical timeline."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        pledge = visible(self, Pledge, pk, ("donor", "item"))
        return render(request, "logistics/custody.html", {
            "title": gettext("Chain of custody of %(reference)s") % {"reference": pledge.reference},
            "pledge": pledge,
            "handovers": queries.chain_of_custody(pledge, user=request.user),
        })


def sees_discrepancies(p: Principal) -> bool:
    return p.oversees or (p.in_coalition and p.org_kind == Organisation.Kind.DONOR)


class DiscrepancyReport(AppView):
    """Damaged and lost units on receipt: for coordinators, auditors and donors (their own pledges)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        if not sees_discrepancies(self.principal):
            raise Http404("No discrepancy report for you.")
        rows = queries.discrepancy_report(user=request.user).select_related(
            "receipt__location", "shipment_line__shipment__hub")
        if (download := list_download(request, "discrepancies", tables.DISCREPANCY_COLUMNS, rows)) is not None:
            return download
        return render(request, "logistics/discrepancies.html", {
            "title": gettext("Discrepancy report"),
            "page": Paginator(rows, 50).get_page(request.GET.get("page")),
        })
