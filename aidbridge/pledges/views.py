from __future__ import annotations

from collections.abc import Callable
from types import SimpleNamespace
from typing import Any, cast

from django import forms
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal
from aidbridge.audit.models import AuditEvent
from aidbridge.catalogue.money import Rates
from aidbridge.core.views import AppView, DetailFormView, ObjectDetailView, ObjectFormView, ObjectListView, Transition
from aidbridge.pledges import releasability, services, tables
from aidbridge.pledges.forms import FinancialPledgeForm, PledgeForm, SourceDocumentForm
from aidbridge.pledges.models import FinancialPledge, Pledge, SourceDocument

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

Status = Pledge.Status
RELATED = ("donor", "item")


def owner(p: Principal, pledge: Pledge | FinancialPledge) -> bool:
    return p.writes_for(pledge.donor_id)


def may_create(p: Principal, obj: Any = None) -> bool:
    return p.is_superuser or (p.org_kind == Organisation.Kind.DONOR and p.can_write)


def may_write(p: Principal, pledge: Pledge | None) -> bool:
    """May open the form; the service still refuses edits in the wrong status, with its own message."""
    return may_create(p) if pledge is None else owner(p, pledge)


def may_edit(p: Principal, pledge: Pledge) -> bool:
    return owner(p, pledge) and pledge.status in (Status.ANNOUNCED, Status.COMMITTED, Status.ALLOCATED)


def can_move(pledge: Pledge, to: str) -> bool:
    return to in Pledge.TRANSITIONS.get(pledge.status, set())


TRANSITIONS = [
    Transition("commit", _("Commit"), services.commit_pledge, style="primary", done=_("Committed."),
               allowed=lambda p, pledge: can_move(pledge, Status.COMMITTED) and pledge.status == Status.ANNOUNCED
               and owner(p, pledge)),
    Transition("withdraw", _("Withdraw"), services.withdraw_pledge, style="danger", done=_("Withdrawn."),
               confirm=_("Withdraw this pledge? Allocations of goods not yet moving are released."),
               allowed=lambda p, pledge: can_move(pledge, Status.WITHDRAWN) and owner(p, pledge)),
]


class PledgeList(ObjectListView):
    """Each row shows only the fields its releasability allows the user (``pledges/_pledge_results.html``)."""

    model = Pledge
    filterset_class = releasability.ReleasableFilterSet
    template_name = "pledges/pledge_list.html"
    results_template = "pledges/_pledge_results.html"
    columns = tables.PLEDGE_COLUMNS
    related = RELATED
    annotations = ("with_use",)
    create_permission = may_create
    filter_labels = {"organisation": _("Donor"), "supply_class": _("Supply class"), "item": _("Item code"),
                     "origin_country": _("Origin country"), "funding_source": _("Funding source"),
                     "available_after": _("Available from"), "available_before": _("Available by")}

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        donors = Organisation.objects.for_user(self.request.user).filter(kind=Organisation.Kind.DONOR)
        return {"organisation": [(o.pk, o.name) for o in donors]}

    def shown_columns(self, obj: Pledge, columns: Any) -> Any:  # the downloads withhold what the page withholds
        return tables.shown_columns(self.request.user, obj, columns)


class PledgeDetail(ObjectDetailView):
    model = Pledge
    fields = tables.PLEDGE_FIELDS
    related = RELATED
    annotations = ("with_use",)
    transitions = TRANSITIONS
    edit_permission = staticmethod(may_edit)
    template_name = "pledges/pledge_detail.html"

    def get_extra_context(self, obj: Pledge) -> dict[str, Any]:
        user = self.request.user
        full = releasability.full_view(user, obj)
        context = {
            "full_view": full,
            "fields": tables.shown_columns(user, obj, self.fields),
            "documents": services.shown_documents(user, obj.source_documents.all()) if full else None,
            "withdraw_form": DocumentWithdrawForm() if full else None,
            "withdrawable": _withdrawable(user, obj) if full else set(),
            "document_form": SourceDocumentForm() if full and owner(self.principal, obj) else None,
        }
        if not full:
            context["history"] = redacted_history(user, obj)
        return context


def _withdrawable(user: Any, pledge: Pledge) -> set[int]:
    """Ids of the pledge's shown documents ``user`` may withdraw (the service checks again)."""
    return {doc.pk for doc in services.shown_documents(user, pledge.source_documents.all())
            if doc.withdrawn_at is None and services.may_withdraw_document(user, doc)}


def redacted_history(user: Any, obj: Pledge) -> list[SimpleNamespace]:
    """The audit history as a restricted viewer may see it: what changed among the fields shown to them,
    without timestamps or the names of the donor's staff (both withheld with the exact dates)."""
    return _history_of_fields(obj, releasability.visible_fields(user, obj))


def _history_of_fields(obj: Any, shown: frozenset[str]) -> list[SimpleNamespace]:
    keep = {f"{name}_id" for name in shown} | shown

    def only_shown(values: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if values is None else {k: v for k, v in values.items() if k in keep}

    return [SimpleNamespace(created_at=None, actor_name="withheld", action=event.action,
                            before=only_shown(event.before), after=only_shown(event.after))
            for event in AuditEvent.objects.for_object(obj).order_by("-seq")[:200]]


class PledgeEdit(ObjectFormView):
    model = Pledge
    form_class = PledgeForm
    create_service = services.create_pledge
    update_service = services.update_pledge
    object_kwarg = "pledge"
    permission = staticmethod(may_write)
    related = RELATED


class _DocumentForm(DetailFormView, PledgeDetail):
    """A form about the documents of a pledge: 404 to those from whom its documents are withheld."""

    def get_object(self, pk: Any) -> Any:
        obj = super().get_object(pk)
        if not releasability.full_view(self.request.user, obj):
            raise Http404("No pledge matches the given query.")  # its documents are withheld: as if absent
        return obj


class DocumentAdd(_DocumentForm):
    """Attach a source document (a URL, an uploaded file, or both) to this pledge."""

    form_class = SourceDocumentForm
    form_name = "document_form"
    permission = staticmethod(owner)
    success_message = _("Source document added.")

    def perform(self, obj: Pledge, form: forms.BaseForm) -> Any:
        data = form.cleaned_data
        upload = data.get("file")
        return services.add_source_document(
            actor=self.request.user, pledges=[obj], title=data["title"], url=data["url"],
            content=services.read_upload(upload) if upload else None, filename=upload.name if upload else "",
            sha256=data["sha256"],
        )


class DocumentWithdrawForm(forms.Form):
    document = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"),
                             max_length=1000, widget=forms.TextInput, help_text=_("Recorded in the audit trail."))

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


class DocumentWithdraw(_DocumentForm):
    """Withdraw one of this pledge's source documents: hidden from all but auditors, file and digest kept."""

    form_class = DocumentWithdrawForm
    form_name = "withdraw_form"
    # No view-level permission: the service decides (the uploading donor's editors or coordinators).
    success_message = _("Source document withdrawn.")

    def perform(self, obj: Pledge, form: forms.BaseForm) -> Any:
        documents = services.shown_documents(self.request.user, obj.source_documents.all())
        document = get_object_or_404(documents, pk=form.cleaned_data["document"])
        return services.withdraw_document(actor=self.request.user, document=document,
                                          reason=form.cleaned_data["reason"])


class DocumentDownload(AppView):
    """Serve an uploaded file only to users who see one of its pledges in full, always as a download."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        pledges = Pledge.objects.for_user(request.user)
        full = releasability.full_view_q(request.user)
        documents = services.shown_documents(
            request.user, SourceDocument.objects.filter(pledges__in=pledges if full is None else pledges.filter(full))
        )
        document = get_object_or_404(documents.distinct(), pk=pk)
        if not document.file:
            raise Http404("This source document has no uploaded file.")
        response = FileResponse(
            document.file.open("rb"), as_attachment=True, filename=document.original_name or f"document-{pk}",
            content_type=document.content_type or "application/octet-stream",
        )
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response


# --- financial pledges ----------------------------------------------------------------------------------------

Money = FinancialPledge.Status


def money_owner(p: Principal, pledge: FinancialPledge) -> bool:
    """The donor's editors, and the coordination cell's (``services.may_write_money``)."""
    return p.writes_for(pledge.donor_id) or p.is_coordinator_editor


def may_create_money(p: Principal, obj: Any = None) -> bool:
    return may_create(p) or p.is_coordinator_editor


def may_edit_money(p: Principal, pledge: FinancialPledge) -> bool:
    return money_owner(p, pledge) and pledge.status in (Money.ANNOUNCED, Money.COMMITTED)


def may_write_money(p: Principal, pledge: FinancialPledge | None) -> bool:
    return may_create_money(p) if pledge is None else money_owner(p, pledge)


def can_move_money(pledge: FinancialPledge, to: str) -> bool:
    return to in FinancialPledge.TRANSITIONS.get(pledge.status, set())


MONEY_TRANSITIONS = [
    Transition("commit", _("Commit"), services.commit_financial_pledge, style="primary", done=_("Committed."),
               allowed=lambda p, pledge: can_move_money(pledge, Money.COMMITTED) and money_owner(p, pledge)),
    Transition("disburse", _("Disburse"), services.disburse_financial_pledge, style="primary", done=_("Disbursed."),
               confirm=_("Record this pledge as paid out today? A disbursed pledge can no longer change."),
               allowed=lambda p, pledge: can_move_money(pledge, Money.DISBURSED) and money_owner(p, pledge)),
    Transition("withdraw", _("Withdraw"), services.withdraw_financial_pledge, style="danger", done=_("Withdrawn."),
               confirm=_("Withdraw this financial pledge?"),
               allowed=lambda p, pledge: can_move_money(pledge, Money.WITHDRAWN) and money_owner(p, pledge)),
]


class FinancialPledgeList(ObjectListView):
    """Money pledged, beside the in-kind list; each row shows what its releasability allows the user."""

    model = FinancialPledge
    title = _("Financial pledges")
    filterset_class = releasability.ReleasableFinancialFilterSet
    template_name = "pledges/financialpledge_list.html"
    results_template = "pledges/_pledge_results.html"
    columns = tables.FINANCIAL_COLUMNS
    related = ("donor",)
    create_permission = may_create_money
    filter_labels = {"organisation": _("Donor"), "recipient_country": _("Recipient country"),
                     "pledged_after": _("Pledged from"), "pledged_before": _("Pledged by")}

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        donors = Organisation.objects.for_user(self.request.user).filter(kind=Organisation.Kind.DONOR)
        return {"organisation": [(o.pk, o.name) for o in donors]}

    def shown_columns(self, obj: FinancialPledge, columns: Any) -> Any:  # the downloads withhold what the page does
        return tables.shown_money_columns(self.request.user, obj, columns)


class FinancialPledgeDetail(ObjectDetailView):
    model = FinancialPledge
    fields = tables.FINANCIAL_FIELDS
    related = ("donor",)
    transitions = MONEY_TRANSITIONS
    edit_permission = staticmethod(may_edit_money)
    template_name = "pledges/financialpledge_detail.html"

    def get_extra_context(self, obj: FinancialPledge) -> dict[str, Any]:
        user = self.request.user
        shown = releasability.money_visible_fields(user, obj)
        context: dict[str, Any] = {
            # Not str(obj), which names the amount: the title is for every viewer, the amount is not.
            "title": " — ".join(part for part in (obj.reference, obj.purpose) if part),
            "fields": tables.shown_money_columns(user, obj, self.fields),
        }
        if "amount" in shown:
            # In the reporting currency at the rate known on the day it was pledged; the rate's date is shown.
            rates = Rates(currencies=[obj.currency])
            context["converted"] = rates.convert(obj.amount, obj.currency, obj.pledged_on)
            context["reporting_currency"] = rates.target
        if not releasability.full_view(user, obj):
            context["history"] = _history_of_fields(obj, shown)
        return context


class FinancialPledgeEdit(ObjectFormView):
    model = FinancialPledge
    form_class = FinancialPledgeForm
    create_service = services.create_financial_pledge
    update_service = services.update_financial_pledge
    object_kwarg = "pledge"
    permission = staticmethod(may_write_money)
    related = ("donor",)
