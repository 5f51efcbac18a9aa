"""Column mappings as remembered: per organisation, kind and template (a file's header row). Reads only; saving a
mapping is :func:`aidbridge.interop.services.save_mapping`."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from aidbridge.accounts.principal import principal
from aidbridge.interop.models import ImportMapping
from aidbridge.interop.tabular import kinds
from aidbridge.interop.tabular.kinds import KindSpec


def headers_digest(headers: list[str]) -> str:
    normal = [kinds.header_key(h) for h in headers]
    return hashlib.sha256(json.dumps(normal).encode()).hexdigest()


def remembered_mapping(actor: Any, kind: str, headers: list[str]) -> ImportMapping | None:
    """The mapping the actor's organisation last saved for this kind and this header row (this template)."""
    return (ImportMapping.objects.for_user(actor).filter(kind=kind, headers_digest=headers_digest(headers))
            .filter(organisation_id=principal(actor).organisation_id).order_by("-updated_at", "-pk").first())


def named_mapping(actor: Any, kind: str, name: str) -> ImportMapping | None:
    return (ImportMapping.objects.for_user(actor).filter(kind=kind, name=name)
            .filter(organisation_id=principal(actor).organisation_id).first())


def suggested_mapping(actor: Any, spec: KindSpec, headers: list[str]) -> dict[str, str]:
    """The remembered mapping for this template if there is one (still fitting the headers), else the headers'
    own names."""
    saved = remembered_mapping(actor, spec.kind, headers)
    if saved is not None:
        columns = {k: v for k, v in (saved.columns or {}).items() if k in spec.by_name and v in headers}
        if columns:
            return columns
    return kinds.auto_mapping(spec, headers)
