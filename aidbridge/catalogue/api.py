"""``/items``: the shared catalogue."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from aidbridge.catalogue import services
from aidbridge.catalogue.filtersets import ItemFilterSet
from aidbridge.catalogue.models import Item
from aidbridge.catalogue.schemas import ItemIn, ItemOut, ItemPatch
from aidbridge.core.api import (
    ERRORS,
    READ_ERRORS,
    actor,
    apply_filters,
    changes_of,
    filter_schema,
    get_visible_or_404,
    paginated,
)

router = Router(tags=["items"])
ItemFilters = filter_schema(ItemFilterSet, "ItemFilters")


@router.get("/items", response={200: list[ItemOut], **READ_ERRORS})
@paginated
def list_items(request: HttpRequest, filters: Query[ItemFilters]) -> Any:  # type: ignore[valid-type]
    return apply_filters(ItemFilterSet, filters, Item.objects.for_user(actor(request)))


@router.post("/items", response={201: ItemOut, **ERRORS})
def create_item(request: HttpRequest, payload: ItemIn) -> Any:
    return Status(201, services.create_item(actor=actor(request), **payload.dict()))


@router.get("/items/{item_id}", response={200: ItemOut, **READ_ERRORS})
def get_item(request: HttpRequest, item_id: int) -> Any:
    return get_visible_or_404(Item.objects.for_user(actor(request)), item_id)


@router.patch("/items/{item_id}", response={200: ItemOut, **ERRORS})
def update_item(request: HttpRequest, item_id: int, payload: ItemPatch) -> Any:  # type: ignore[valid-type]
    user = actor(request)
    item = get_visible_or_404(Item.objects.for_user(user), item_id)
    return services.update_item(actor=user, item=item, changes=changes_of(payload))
