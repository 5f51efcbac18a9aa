from __future__ import annotations

import hashlib
import re
from pathlib import PurePath
from typing import Any

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import clock
from aidbridge.core import services as core
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.core.hooks import Hook
from aidbridge.pledges.models import FinancialPledge, Pledge, SourceDocument

PLEDGE_FIELDS = (
    "item", "quantity", "available_from", "origin_country", "unit_value", "currency", "funding_source",
    "releasability", "disclosure_date", "notes",
)
Status = Pledge.Status

# Accepted uploads, recognised by their content (``filetype`` for the binary formats, a full UTF-8 decode for
# text) rather than by the name or type the client sent. Each is stored under the extension of its detected type.
EXTENSIONS: dict[str, str] = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
    "text/plain": "txt",
}
_READ_CHUNK = 64 * 1024
# Text that a browser would render as markup (or script) is not "plain text", whatever its encoding.
_MARKUP = re.compile(rb"^\s*<\s*(?:!doctype|html|head|body|script|svg|\?xml|iframe|object|embed|meta|!--)", re.I)
# Control characters other than tab, line feed, form feed and carriage return mark binary data, not text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def _require_owner(actor: Any, pledge: Pledge | FinancialPledge) -> None:
    core.require(principal(actor).writes_for(pledge.donor_id), _("Only editors of the donor may change this pledge."))


def _check_disclosure(pledge: Pledge | FinancialPledge) -> None:
    if pledge.releasability == "public" and pledge.disclosure_date is None:
        raise ServiceError(_("A public pledge needs a disclosure date."), field="disclosure_date")


@transaction.atomic
def create_pledge(*, actor: Any, donor: Organisation | None = None, **fields: Any) -> Pledge:
    """Announce a pledge on behalf of the actor's donor organisation."""
    p = principal(actor)
    if donor is None:
        donor = Organisation.objects.filter(pk=p.organisation_id).first() if p.organisation_id else None
    if donor is None or donor.kind != Organisation.Kind.DONOR:
        raise ServiceError(_("Pledges belong to a donor organisation."), field="donor")
    pledge = Pledge(donor=donor, status=Status.ANNOUNCED, **fields)
    _require_owner(actor, pledge)
    _check_disclosure(pledge)
    return writes.create(actor=actor, obj=pledge, action="pledge.create")


@transaction.atomic
def update_pledge(*, actor: Any, pledge: Pledge, changes: dict[str, Any]) -> Pledge:
    pledge = core.lock(pledge)
    _require_owner(actor, pledge)
    if pledge.status not in (Status.ANNOUNCED, Status.COMMITTED, Status.ALLOCATED):
        raise InvalidTransition(
            _("%(reference)s is %(status)s and can no longer be edited.")
            % {"reference": pledge.reference, "status": pledge.get_status_display().lower()},
            field="status",
        )
    allocated = pledge.allocated
    if allocated and ("item" in changes and changes["item"] != pledge.item):
        raise ServiceError(_("The item of an allocated pledge cannot change."), field="item")
    if "quantity" in changes and changes["quantity"] is not None and int(changes["quantity"]) < allocated:
        raise ServiceError(_("%(units)s units are already allocated; the quantity cannot go below that.")
                           % {"units": allocated},
                           field="quantity")
    pledge = writes.update(actor=actor, obj=pledge, changes=changes, editable=PLEDGE_FIELDS, action="pledge.update")
    _check_disclosure(pledge)
    return pledge


@transaction.atomic
def commit_pledge(*, actor: Any, pledge: Pledge) -> Pledge:
    _require_owner(actor, pledge)
    return writes.transition(
        actor=actor, obj=pledge, to=Status.COMMITTED, action="pledge.commit", only_from=[Status.ANNOUNCED]
    )


pledge_withdrawing = Hook("pledge_withdrawing", """Called with ``pledge=`` before a withdrawal locks the pledge.

Lock order: whatever depends on the pledge (its allocation lines, in id order), then the pledge. Dispatches
and receipts lock their allocation lines before the pledge as well, so a withdrawal racing a dispatch waits
instead of deadlocking. The allocation app locks the pledge's lines here.""")
pledge_withdrawn = Hook("pledge_withdrawn", """Called with ``actor=`` and ``pledge=`` once the pledge is withdrawn,
in the same transaction. The allocation app releases the units not yet moving here (one event per line).""")


@transaction.atomic
def withdraw_pledge(*, actor: Any, pledge: Pledge) -> Pledge:
    """Withdraw a pledge. Allocations of goods not yet moving are released; moving goods stay allocated.

    The release is the allocation app's, attached to :data:`pledge_withdrawing` and :data:`pledge_withdrawn`.
    """
    _require_owner(actor, pledge)
    pledge_withdrawing(pledge=pledge)
    pledge = writes.transition(actor=actor, obj=pledge, to=Status.WITHDRAWN, action="pledge.withdraw")
    pledge_withdrawn(actor=actor, pledge=pledge)
    return pledge


def _too_large(size: int | None, field: str) -> ServiceError:
    limit = settings.MAX_UPLOAD_BYTES
    if size is None:
        return ServiceError(_("The file is larger than that; the limit is %(limit)s.")
                            % {"limit": number_format(limit, force_grouping=True)}, field=field)
    return ServiceError(_("The file is %(size)s bytes; the limit is %(limit)s.")
                        % {"size": number_format(size, force_grouping=True),
                           "limit": number_format(limit, force_grouping=True)}, field=field)


def read_upload(upload: Any, *, field: str = "file") -> bytes:
    """The bytes of an uploaded file, refused beyond ``MAX_UPLOAD_BYTES`` before it is read into memory.

    A declared ``size`` over the limit is refused without reading; otherwise at most one byte past the limit
    is read, in chunks, so a file whose declared size lies cannot fill the memory either.
    """
    limit = settings.MAX_UPLOAD_BYTES
    size = getattr(upload, "size", None)
    if isinstance(size, int) and size > limit:
        raise _too_large(size, field)
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = upload.read(min(_READ_CHUNK, limit + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > limit:
        raise _too_large(None, field)
    return b"".join(chunks)


def sniff_content_type(content: bytes) -> str | None:
    """The accepted type of ``content`` (the whole file), or ``None`` when it is none of them."""
    kind = filetype.guess(content)
    if kind is not None:
        return kind.mime if kind.mime in EXTENSIONS else None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if _CONTROL.search(text) or _MARKUP.match(content.removeprefix(b"\xef\xbb\xbf")):
        return None
    return "text/plain"


def check_upload(content: bytes, filename: str, *, field: str = "file", default: str = "document") -> tuple[str, str]:
    """Validate uploaded ``content``: returns its content type and a display name with the detected extension."""
    if len(content) > settings.MAX_UPLOAD_BYTES:
        raise _too_large(len(content), field)
    if not content:
        raise ServiceError(_("The file is empty."), field=field)
    content_type = sniff_content_type(content)
    if content_type is None:
        raise ServiceError(_("Only PDF, PNG, JPEG or plain UTF-8 text files are accepted."), field=field)
    stem = PurePath((filename or "").replace("\\", "/")).stem.strip() or default
    return content_type, f"{stem[:240]}.{EXTENSIONS[content_type]}"


def stored_name(sha256: str, content_type: str) -> str:
    return f"{sha256[:16]}.{EXTENSIONS[content_type]}"


@transaction.atomic
def add_source_document(
    *,
    actor: Any,
    pledges: list[Pledge],
    title: str,
    url: str = "",
    content: bytes | None = None,
    filename: str = "",
    sha256: str = "",
) -> SourceDocument:
    """Attach evidence to pledges: a URL, an uploaded file (PDF, PNG, JPEG or UTF-8 text), or both.

    For a URL alone, ``sha256`` records the digest of the document as it was read, so a later reader can
    prove the page still says the same thing. For an upload the digest is always computed here.
    """
    if not pledges:
        raise ServiceError(_("Attach the document to at least one pledge."), field="pledges")
    for pledge in pledges:
        _require_owner(actor, pledge)
    owners = {pledge.donor_id for pledge in pledges}
    if len(owners) != 1:
        raise ServiceError(_("A source document belongs to one donor's pledges."), field="pledges")
    if not url and content is None:
        raise ServiceError(_("Give a URL or upload a file."), field="file")
    sha256 = (sha256 or "").strip().lower()
    if sha256 and not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ServiceError(_("A SHA-256 digest is 64 hexadecimal characters."), field="sha256")
    document = SourceDocument(title=title, url=url, owner_id=owners.pop(), sha256=sha256,
                              uploaded_by=actor if getattr(actor, "pk", None) else None)
    if content is not None:
        content_type, document.original_name = check_upload(content, filename)
        document.sha256 = hashlib.sha256(content).hexdigest()
        document.size = len(content)
        document.content_type = content_type
        document.file.save(stored_name(document.sha256, content_type), ContentFile(content), save=False)
    core.full_clean(document, exclude=["file"])
    document.save()
    document.pledges.add(*pledges)
    record_event(
        actor=actor,
        action="source_document.create",
        obj=document,
        after={**snapshot(document), "pledges": [p.pk for p in pledges]},
    )
    return document


def shown_documents(user: Any, documents: Any) -> Any:
    """Withdrawn documents vanish for everyone except auditors (and superusers), who see them marked."""
    return documents if principal(user).sees_everything else documents.filter(withdrawn_at__isnull=True)


def may_withdraw_document(actor: Any, document: SourceDocument) -> bool:
    p = principal(actor)
    return p.writes_for(document.owner_id) or p.is_coordinator_editor


@transaction.atomic
def withdraw_document(*, actor: Any, document: SourceDocument, reason: str) -> SourceDocument:
    """Withdraw a source document: hidden from everyone but auditors, its file and SHA-256 kept as evidence.

    Only the editors of the donor that uploaded it, or coordinators, may withdraw it; the reason is audited.
    """
    document = core.lock(document)
    core.require(may_withdraw_document(actor, document),
                 _("Only editors of the donor that added this document, or coordinators, may withdraw it."))
    if document.withdrawn_at is not None:
        raise InvalidTransition(_("This source document is already withdrawn."), field="reason")
    reason = (reason or "").strip()
    if not reason:
        raise ServiceError(_("Give the reason for withdrawing the document."), field="reason")
    before = snapshot(document)
    document.withdrawn_at = clock.now()
    document.withdrawn_by = actor if getattr(actor, "pk", None) else None
    document.withdrawal_reason = reason[:1000]
    core.full_clean(document, exclude=["file"])
    document.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
    record_event(actor=actor, action="source_document.withdraw", obj=document, before=before,
                 after=snapshot(document))
    return document


# Financial pledges: the same releasability and audit as in-kind ones; their own, shorter lifecycle; and the
# coordination cell's editors may record them for a donor (:func:`may_write_money`).
FINANCIAL_FIELDS = (
    "amount", "currency", "pledged_on", "sector", "purpose", "recipient_country", "releasability",
    "disclosure_date", "notes",
)
Money = FinancialPledge.Status
MONEY_WRITERS = gettext_noop("Only editors of the donor or of the coordination cell may change this pledge.")


def may_write_money(actor: Any, donor_id: int | None) -> bool:
    """The donor's editors, and the coordination cell's: the cell records the money it learns of from published
    sources (IATI activity files, FTS flows, a pledging conference) on the donor's behalf, audited as its own act.
    Goods are different: only the donor may offer them, since they are then shipped and allocated."""
    p = principal(actor)
    return p.writes_for(donor_id) or p.is_coordinator_editor


def _require_money_writer(actor: Any, pledge: FinancialPledge) -> None:
    core.require(may_write_money(actor, pledge.donor_id), _(MONEY_WRITERS))


@transaction.atomic
def create_financial_pledge(
    *, actor: Any, donor: Organisation | None = None, status: str = Money.ANNOUNCED, status_date: Any = None,
    external_id: str = "", **fields: Any,
) -> FinancialPledge:
    """Record money pledged by the actor's donor organisation (or by ``donor``, for its editors and importers).

    ``status`` lets an importer record a pledge first seen as committed or disbursed (an IATI commitment, an
    FTS flow marked paid) in one audited write; ``status_date`` is when it reached that status.
    """
    p = principal(actor)
    if donor is None:
        donor = Organisation.objects.filter(pk=p.organisation_id).first() if p.organisation_id else None
    if donor is None or donor.kind != Organisation.Kind.DONOR:
        raise ServiceError(_("Pledges belong to a donor organisation."), field="donor")
    if status not in (Money.ANNOUNCED, Money.COMMITTED, Money.DISBURSED):
        raise ServiceError(_("A new financial pledge is announced, committed or disbursed."), field="status")
    pledge = FinancialPledge(donor=donor, status=status, status_date=status_date, external_id=external_id or "",
                             **fields)
    _require_money_writer(actor, pledge)
    _check_disclosure(pledge)
    return writes.create(actor=actor, obj=pledge, action="financial_pledge.create")


@transaction.atomic
def update_financial_pledge(*, actor: Any, pledge: FinancialPledge, changes: dict[str, Any]) -> FinancialPledge:
    pledge = core.lock(pledge)
    _require_money_writer(actor, pledge)
    if pledge.status in (Money.DISBURSED, Money.WITHDRAWN):
        raise InvalidTransition(
            _("%(reference)s is %(status)s and can no longer be edited.")
            % {"reference": pledge.reference, "status": pledge.get_status_display().lower()},
            field="status",
        )
    pledge = writes.update(actor=actor, obj=pledge, changes=changes, editable=FINANCIAL_FIELDS,
                           action="financial_pledge.update")
    _check_disclosure(pledge)
    return pledge


def _money_transition(actor: Any, pledge: FinancialPledge, to: str, action: str, on: Any) -> FinancialPledge:
    _require_money_writer(actor, pledge)
    return writes.transition(actor=actor, obj=pledge, to=to, action=action, also={"status_date": on})


@transaction.atomic
def commit_financial_pledge(*, actor: Any, pledge: FinancialPledge, on: Any = None) -> FinancialPledge:
    return _money_transition(actor, pledge, Money.COMMITTED, "financial_pledge.commit", on or clock.today())


@transaction.atomic
def disburse_financial_pledge(*, actor: Any, pledge: FinancialPledge, on: Any = None) -> FinancialPledge:
    return _money_transition(actor, pledge, Money.DISBURSED, "financial_pledge.disburse", on or clock.today())


@transaction.atomic
def withdraw_financial_pledge(*, actor: Any, pledge: FinancialPledge, on: Any = None) -> FinancialPledge:
    return _money_transition(actor, pledge, Money.WITHDRAWN, "financial_pledge.withdraw", on or clock.today())


MONEY_TRANSITIONS = {
    Money.COMMITTED: commit_financial_pledge,
    Money.DISBURSED: disburse_financial_pledge,
    Money.WITHDRAWN: withdraw_financial_pledge,
}
