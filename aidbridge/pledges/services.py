from __future__ import annotations

import hashlib
import re
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.audit.services import record_event, snapshot
from aidbridge.core import services as core
from aidbridge.core.errors import InvalidTransition, ServiceError
from aidbridge.pledges.models import Pledge, SourceDocument

PLEDGE_FIELDS = (
    "item", "quantity", "available_from", "origin_country", "unit_value", "currency", "funding_source",
    "releasability", "disclosure_date", "notes",
)
Status = Pledge.Status

# Accepted uploads, recognised by their first bytes rather than by the name the client sent.
_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def _require_owner(actor: Any, pledge: Pledge) -> None:
    core.require(principal(actor).writes_for(pledge.donor_id), "Only editors of the donor may change this pledge.")


def _check_disclosure(pledge: Pledge) -> None:
    if pledge.releasability == "public" and pledge.disclosure_date is None:
        raise ServiceError("A public pledge needs a disclosure date.", field="disclosure_date")


@transaction.atomic
def create_pledge(*, actor: Any, donor: Organisation | None = None, **fields: Any) -> Pledge:
    """Announce a pledge on behalf of the actor's donor organisation."""
    p = principal(actor)
    if donor is None:
        donor = Organisation.objects.filter(pk=p.organisation_id).first() if p.organisation_id else None
    if donor is None or donor.kind != Organisation.Kind.DONOR:
        raise ServiceError("Pledges belong to a donor organisation.", field="donor")
    pledge = Pledge(donor=donor, status=Status.ANNOUNCED, **fields)
    _require_owner(actor, pledge)
    _check_disclosure(pledge)
    return core.create(actor=actor, obj=pledge, action="pledge.create")


@transaction.atomic
def update_pledge(*, actor: Any, pledge: Pledge, changes: dict[str, Any]) -> Pledge:
    pledge = core.lock(pledge)
    _require_owner(actor, pledge)
    if pledge.status not in (Status.ANNOUNCED, Status.COMMITTED, Status.ALLOCATED):
        raise InvalidTransition(
            f"{pledge.reference} is {pledge.get_status_display().lower()} and can no longer be edited.",
            field="status",
        )
    allocated = pledge.allocated
    if allocated and ("item" in changes and changes["item"] != pledge.item):
        raise ServiceError("The item of an allocated pledge cannot change.", field="item")
    if "quantity" in changes and changes["quantity"] is not None and int(changes["quantity"]) < allocated:
        raise ServiceError(f"{allocated} units are already allocated; the quantity cannot go below that.",
                           field="quantity")
    pledge = core.update(actor=actor, obj=pledge, changes=changes, editable=PLEDGE_FIELDS, action="pledge.update")
    _check_disclosure(pledge)
    return pledge


@transaction.atomic
def commit_pledge(*, actor: Any, pledge: Pledge) -> Pledge:
    _require_owner(actor, pledge)
    return core.transition(
        actor=actor, obj=pledge, to=Status.COMMITTED, action="pledge.commit", only_from=[Status.ANNOUNCED]
    )


@transaction.atomic
def withdraw_pledge(*, actor: Any, pledge: Pledge) -> Pledge:
    """Withdraw a pledge. Allocations of goods not yet moving are released; moving goods stay allocated."""
    from aidbridge.allocation.models import AllocationLine
    from aidbridge.allocation.services import release_unmoved

    _require_owner(actor, pledge)
    # Lock order: the pledge's allocation lines (in id order), then the pledge. Dispatches and receipts lock
    # their allocation lines before the pledge as well, so a withdrawal racing a dispatch waits instead of
    # deadlocking.
    lines = AllocationLine.objects.filter(pledge=pledge)
    list(lines.select_for_update().order_by("pk").values_list("pk", flat=True))
    pledge = core.transition(actor=actor, obj=pledge, to=Status.WITHDRAWN, action="pledge.withdraw")
    release_unmoved(actor=actor, lines=lines)
    return pledge


def sniff_content_type(head: bytes) -> str | None:
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text/plain"


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
        raise ServiceError("Attach the document to at least one pledge.", field="pledges")
    for pledge in pledges:
        _require_owner(actor, pledge)
    owners = {pledge.donor_id for pledge in pledges}
    if len(owners) != 1:
        raise ServiceError("A source document belongs to one donor's pledges.", field="pledges")
    if not url and content is None:
        raise ServiceError("Give a URL or upload a file.", field="file")
    sha256 = (sha256 or "").strip().lower()
    if sha256 and not re.fullmatch(r"[0-9a-f]{64}", sha256):
        raise ServiceError("A SHA-256 digest is 64 hexadecimal characters.", field="sha256")
    document = SourceDocument(title=title, url=url, owner_id=owners.pop(), sha256=sha256,
                              uploaded_by=actor if getattr(actor, "pk", None) else None)
    if content is not None:
        if len(content) > settings.MAX_UPLOAD_BYTES:
            raise ServiceError(
                f"The file is {len(content):,} bytes; the limit is {settings.MAX_UPLOAD_BYTES:,}.", field="file"
            )
        content_type = sniff_content_type(content[:2048])
        if content_type is None:
            raise ServiceError("Only PDF, PNG, JPEG or plain-text files are accepted.", field="file")
        document.sha256 = hashlib.sha256(content).hexdigest()
        document.size = len(content)
        document.content_type = content_type
        document.original_name = (filename or "document")[:255]
        document.file.save(f"{document.sha256[:16]}.bin", ContentFile(content), save=False)
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
