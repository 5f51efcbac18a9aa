"""``/pledges``: what donors offer, its path from announced to delivered, and the evidence behind it;
``/financial-pledges``: money pledged, from announced to disbursed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile

from aidbridge.accounts.models import Organisation
from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.core.api import (
    ERRORS,
    NOT_FOUND,
    READ_ERRORS,
    IdOrCode,
    actor,
    apply_filters,
    changes_of,
    filter_schema,
    get_visible_or_404,
    paginated,
    require_storable,
    resolve_refs,
)
from aidbridge.core.errors import ServiceError
from aidbridge.pledges import releasability, services
from aidbridge.pledges.models import FinancialPledge, Pledge
from aidbridge.pledges.schemas import (
    DocumentWithdrawIn,
    FinancialPledgeIn,
    FinancialPledgeOut,
    FinancialPledgePatch,
    MoneyTransitionIn,
    PledgeIn,
    PledgeOut,
    PledgePatch,
    SourceDocumentOut,
)

router = Router(tags=["pledges"])
PledgeFilters = filter_schema(releasability.ReleasableFilterSet, "PledgeFilters", annotations={"item": IdOrCode})
REFS = {"item": Item, "donor": Organisation}


def _pledges(user: Any) -> Any:
    return Pledge.objects.for_user(user)


def _with_details(queryset: Any) -> Any:
    return queryset.with_use().select_related("donor", "item")


@router.get("/pledges", response={200: list[PledgeOut], **READ_ERRORS})
@paginated
def list_pledges(request: HttpRequest, filters: Query[PledgeFilters]) -> Any:  # type: ignore[valid-type]
    """Fields withheld from you are ``null`` and named in each pledge's ``redacted``. Filters on withheld
    fields never reveal them: ``origin_country`` matches only pledges you see in full, and
    ``available_before``/``available_after`` compare by month on the others."""
    user = actor(request)
    return _with_details(apply_filters(releasability.filterset_for(user), filters, _pledges(user)))


@router.post("/pledges", response={201: PledgeOut, **ERRORS})
def create_pledge(request: HttpRequest, payload: PledgeIn) -> Any:
    user = actor(request)
    data = payload.dict()
    if data["donor"] is None:
        del data["donor"]
    return Status(201, services.create_pledge(actor=user, **resolve_refs(user, data, REFS)))


@router.get("/pledges/{pledge_id}", response={200: PledgeOut, **READ_ERRORS})
def get_pledge(request: HttpRequest, pledge_id: int) -> Any:
    return get_visible_or_404(_with_details(_pledges(actor(request))), pledge_id)


@router.patch("/pledges/{pledge_id}", response={200: PledgeOut, **ERRORS})
def update_pledge(request: HttpRequest, pledge_id: int, payload: PledgePatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    pledge = get_visible_or_404(_pledges(user), pledge_id)
    changes = resolve_refs(user, changes_of(payload), REFS)
    return services.update_pledge(actor=user, pledge=pledge, changes=changes)


def _transition(request: HttpRequest, pledge_id: int, service: Callable[..., Pledge]) -> Pledge:
    user = actor(request)
    pledge = get_visible_or_404(_pledges(user), pledge_id)
    return service(actor=user, pledge=pledge)


@router.post("/pledges/{pledge_id}/commit", response={200: PledgeOut, **ERRORS})
def commit_pledge(request: HttpRequest, pledge_id: int) -> Any:
    """Announced → committed (the donor's editors)."""
    return _transition(request, pledge_id, services.commit_pledge)


@router.post("/pledges/{pledge_id}/withdraw", response={200: PledgeOut, **ERRORS})
def withdraw_pledge(request: HttpRequest, pledge_id: int) -> Any:
    """Withdraw before delivery; allocations of goods not yet moving are released."""
    return _transition(request, pledge_id, services.withdraw_pledge)


def _documents_of(user: Any, pledge_id: int) -> Pledge:
    """The pledge whose documents ``user`` may reach; 404 when its documents are withheld from them."""
    pledge = get_visible_or_404(_pledges(user), pledge_id)
    if not releasability.full_view(user, pledge):
        raise Http404(NOT_FOUND)
    return pledge


@router.get("/pledges/{pledge_id}/documents", response={200: list[SourceDocumentOut], **READ_ERRORS})
@paginated
def list_documents(request: HttpRequest, pledge_id: int) -> Any:
    """Only for those who see the pledge in full (its donor, coordinators, auditors); 404 for everyone else.
    Withdrawn documents are listed to auditors only, marked ``withdrawn``."""
    user = actor(request)
    pledge = _documents_of(user, pledge_id)
    return services.shown_documents(user, pledge.source_documents.select_related("owner")).order_by(
        "-created_at", "-pk")


@router.post("/pledges/{pledge_id}/documents", response={201: SourceDocumentOut, **ERRORS})
def add_document(
    request: HttpRequest,
    pledge_id: int,
    title: Form[str],
    url: Form[str] = "",
    sha256: Form[str] = "",
    file: File[UploadedFile | None] = None,
) -> Any:
    """Attach evidence: a URL, an uploaded file (PDF, PNG, JPEG or UTF-8 text), or both."""
    user = actor(request)
    pledge = _documents_of(user, pledge_id)
    require_storable(title=title, url=url, sha256=sha256)
    content = services.read_upload(file) if file is not None else None
    document = services.add_source_document(
        actor=user, pledges=[pledge], title=title, url=url, content=content,
        filename=(file.name or "") if file is not None else "", sha256=sha256,
    )
    return Status(201, document)


@router.post("/pledges/{pledge_id}/documents/{document_id}/withdraw", response={200: SourceDocumentOut, **ERRORS})
def withdraw_document(request: HttpRequest, pledge_id: int, document_id: int, payload: DocumentWithdrawIn) -> Any:
    """Withdraw a source document (the uploading donor's editors or coordinators): it is hidden from everyone
    but auditors, its file and SHA-256 are kept, and the reason is audited."""
    user = actor(request)
    pledge = _documents_of(user, pledge_id)
    document = get_visible_or_404(services.shown_documents(user, pledge.source_documents.select_related("owner")),
                                  document_id)
    return services.withdraw_document(actor=user, document=document, reason=payload.reason)


# --- /financial-pledges ---------------------------------------------------------------------------------------

FinancialPledgeFilters = filter_schema(releasability.ReleasableFinancialFilterSet, "FinancialPledgeFilters")


def _money(user: Any) -> Any:
    return FinancialPledge.objects.for_user(user).select_related("donor")


@router.get("/financial-pledges", response={200: list[FinancialPledgeOut], **READ_ERRORS}, tags=["financial pledges"])
@paginated
def list_financial_pledges(request: HttpRequest, filters: Query[FinancialPledgeFilters]) -> Any:  # type: ignore[valid-type]
    """Money pledged. Fields withheld from you are ``null`` and named in each pledge's ``redacted``; the
    ``currency`` filter matches only pledges whose amount you see, and ``pledged_before``/``pledged_after``
    compare by month on pledges you do not see in full."""
    user = actor(request)
    return apply_filters(releasability.financial_filterset_for(user), filters, _money(user))


@router.post("/financial-pledges", response={201: FinancialPledgeOut, **ERRORS}, tags=["financial pledges"])
def create_financial_pledge(request: HttpRequest, payload: FinancialPledgeIn) -> Any:
    """Announce a financial pledge for your donor organisation (or ``donor``, for those who may write for it)."""
    user = actor(request)
    data = payload.dict()
    if data["donor"] is None:
        del data["donor"]
    return Status(201, services.create_financial_pledge(actor=user, **resolve_refs(user, data, REFS)))


@router.get("/financial-pledges/{pledge_id}", response={200: FinancialPledgeOut, **READ_ERRORS},
            tags=["financial pledges"])
def get_financial_pledge(request: HttpRequest, pledge_id: int) -> Any:
    return get_visible_or_404(_money(actor(request)), pledge_id)


@router.patch("/financial-pledges/{pledge_id}", response={200: FinancialPledgeOut, **ERRORS},
              tags=["financial pledges"])
def update_financial_pledge(request: HttpRequest, pledge_id: int,
                            payload: FinancialPledgePatch) -> Any:  # type: ignore[valid-type]
    """Change an announced or committed pledge (the donor's editors)."""
    user = actor(request)
    pledge = get_visible_or_404(_money(user), pledge_id)
    return services.update_financial_pledge(actor=user, pledge=pledge, changes=changes_of(payload))


def _move(request: HttpRequest, pledge_id: int, payload: MoneyTransitionIn | None,
          service: Callable[..., FinancialPledge]) -> FinancialPledge:
    user = actor(request)
    pledge = get_visible_or_404(_money(user), pledge_id)
    on = payload.on if payload is not None else None
    if on is not None and not pledge.pledged_on <= on <= clock.today():
        raise ServiceError(_("Give a day from the day it was pledged (%(pledged)s) to today (%(today)s).")
                           % {"pledged": f"{pledge.pledged_on:%Y-%m-%d}", "today": f"{clock.today():%Y-%m-%d}"},
                           field="on")
    return service(actor=user, pledge=pledge, on=on)


@router.post("/financial-pledges/{pledge_id}/commit", response={200: FinancialPledgeOut, **ERRORS},
             tags=["financial pledges"])
def commit_financial_pledge(request: HttpRequest, pledge_id: int, payload: MoneyTransitionIn | None = None) -> Any:
    """Announced → committed (the donor's editors); ``on`` is the day (default today)."""
    return _move(request, pledge_id, payload, services.commit_financial_pledge)


@router.post("/financial-pledges/{pledge_id}/disburse", response={200: FinancialPledgeOut, **ERRORS},
             tags=["financial pledges"])
def disburse_financial_pledge(request: HttpRequest, pledge_id: int, payload: MoneyTransitionIn | None = None) -> Any:
    """Announced or committed → disbursed: paid out. Final."""
    return _move(request, pledge_id, payload, services.disburse_financial_pledge)


@router.post("/financial-pledges/{pledge_id}/withdraw", response={200: FinancialPledgeOut, **ERRORS},
             tags=["financial pledges"])
def withdraw_financial_pledge(request: HttpRequest, pledge_id: int, payload: MoneyTransitionIn | None = None) -> Any:
    """Withdraw before disbursement. Final."""
    return _move(request, pledge_id, payload, services.withdraw_financial_pledge)
