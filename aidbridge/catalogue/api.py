"""``/items``: the shared catalogue; ``/exchange-rates``: the dated rates totals are converted with."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Query, Router, Status, UploadedFile

from aidbridge.catalogue import services
from aidbridge.catalogue.filtersets import ExchangeRateFilterSet, ItemFilterSet
from aidbridge.catalogue.models import ExchangeRate, Item
from aidbridge.catalogue.schemas import ExchangeRateIn, ExchangeRateOut, ItemIn, ItemOut, ItemPatch, RatesReportOut
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


# --- /exchange-rates ---------------------------------------------------------------------------------------------

RateFilters = filter_schema(ExchangeRateFilterSet, "ExchangeRateFilters")


@router.get("/exchange-rates", response={200: list[ExchangeRateOut], **READ_ERRORS}, tags=["exchange rates"])
@paginated
def list_exchange_rates(request: HttpRequest, filters: Query[RateFilters]) -> Any:  # type: ignore[valid-type]
    """Units of each currency per euro, newest day first (the ECB's layout)."""
    return apply_filters(ExchangeRateFilterSet, filters, ExchangeRate.objects.for_user(actor(request)))


@router.post("/exchange-rates", response={200: ExchangeRateOut, 201: ExchangeRateOut, **ERRORS},
             tags=["exchange rates"])
def set_exchange_rate(request: HttpRequest, payload: ExchangeRateIn) -> Any:
    """Enter a rate (201), or correct the one stored for that currency and day (200). Coordinator editors."""
    data = payload.dict()
    existed = ExchangeRate.objects.filter(currency=data["currency"].strip().upper(), date=data["date"]).exists()
    rate = services.set_exchange_rate(actor=actor(request), **data)
    return Status(200 if existed else 201, rate)


@router.post("/exchange-rates/upload", response={200: RatesReportOut, **ERRORS}, tags=["exchange rates"])
def upload_exchange_rates(request: HttpRequest, file: File[UploadedFile], dry_run: Form[bool] = False) -> Any:
    """Import the ECB's ``eurofxref.csv`` or ``eurofxref-hist.csv``, or the zip it comes in (multipart ``file``).

    All or nothing: a file with any unreadable cell answers 422, each problem in ``errors.file`` naming its row,
    column and value, and nothing is written. ``dry_run`` counts what would change and writes nothing.
    Coordinator editors."""
    content = services.read_upload(file)
    return services.import_ecb_rates(actor=actor(request), content=content, filename=file.name or "",
                                     dry_run=dry_run).as_dict()


@router.get("/exchange-rates/{rate_id}", response={200: ExchangeRateOut, **READ_ERRORS}, tags=["exchange rates"])
def get_exchange_rate(request: HttpRequest, rate_id: int) -> Any:
    return get_visible_or_404(ExchangeRate.objects.for_user(actor(request)), rate_id)
