from __future__ import annotations

from typing import Any

from django.db import transaction

from aidbridge.accounts.principal import principal
from aidbridge.audit import writes
from aidbridge.catalogue.models import Item
from aidbridge.core import services as core
from aidbridge.core.errors import ServiceError
from aidbridge.core.fields import normalise_nsn

ITEM_FIELDS = ("code", "name", "supply_class", "unit", "weight_t", "nsn", "fsc", "description")


def _normalise(fields: dict[str, Any]) -> dict[str, Any]:
    if "nsn" in fields:
        fields["nsn"] = normalise_nsn(fields["nsn"] or "")
    return fields


@transaction.atomic
def create_item(*, actor: Any, **fields: Any) -> Item:
    core.require(principal(actor).manages_reference_data, "Only coordinator editors may add catalogue items.")
    item = Item(**_normalise(fields))
    core.full_clean(item)
    _check_nsn_matches_fsc(item)
    return writes.create(actor=actor, obj=item, action="item.create")


@transaction.atomic
def update_item(*, actor: Any, item: Item, changes: dict[str, Any]) -> Item:
    core.require(principal(actor).manages_reference_data, "Only coordinator editors may change catalogue items.")
    item = writes.update(actor=actor, obj=item, changes=_normalise(dict(changes)), editable=ITEM_FIELDS,
                         action="item.update")
    _check_nsn_matches_fsc(item)
    return item


def _check_nsn_matches_fsc(item: Item) -> None:
    if item.nsn and item.fsc and item.nsn[:4] != item.fsc:
        raise ServiceError(
            f"The NSN's first four digits ({item.nsn[:4]}) are its supply class and must match the FSC "
            f"({item.fsc}).",
            field="nsn",
        )
