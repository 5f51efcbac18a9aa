from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from aidbridge.accounts.principal import manages_reference_data
from aidbridge.audit.templatetags.audit_tags import HISTORY_LENGTH
from aidbridge.catalogue import services, tables
from aidbridge.catalogue.filtersets import ExchangeRateFilterSet, ItemFilterSet
from aidbridge.catalogue.forms import ExchangeRateForm, ItemForm, RatesUploadForm
from aidbridge.catalogue.models import ExchangeRate, Item
from aidbridge.core.errors import NotPermitted, ServiceError
from aidbridge.core.views import (
    AppView,
    ObjectDetailView,
    ObjectFormView,
    ObjectListView,
    apply_service_errors,
    forbidden,
)


class ItemList(ObjectListView):
    model = Item
    filterset_class = ItemFilterSet
    columns = tables.ITEM_COLUMNS
    title = _("Catalogue")
    create_permission = manages_reference_data


class ItemDetail(ObjectDetailView):
    model = Item
    fields = tables.ITEM_FIELDS
    edit_permission = staticmethod(manages_reference_data)
    template_name = "catalogue/item_detail.html"


class ItemEdit(ObjectFormView):
    model = Item
    form_class = ItemForm
    create_service = services.create_item
    update_service = services.update_item
    object_kwarg = "item"
    permission = staticmethod(manages_reference_data)


# --- exchange rates ---------------------------------------------------------------------------------------------

class RateList(ObjectListView):
    """Rates by date, newest first; coordinator editors enter one or upload the ECB's CSV."""

    model = ExchangeRate
    filterset_class = ExchangeRateFilterSet
    columns = tables.RATE_COLUMNS
    title = _("Exchange rates")
    create_permission = manages_reference_data
    filter_labels = {"date_after": _("From"), "date_before": _("Until")}

    @property
    def links(self) -> list[tuple[str, str]]:  # type: ignore[override]
        if not self.principal.manages_reference_data:
            return []
        return [(gettext("Upload ECB CSV"), "catalogue:exchangerate_upload")]


class RateDetail(ObjectDetailView):
    model = ExchangeRate
    fields = tables.RATE_FIELDS

    def get_extra_context(self, obj: ExchangeRate) -> dict[str, Any]:
        # Imported rates are audited by the day of the file that brought them (``services.rate_history``).
        return {"history": services.rate_history(obj)[:HISTORY_LENGTH]}


class RateAdd(ObjectFormView):
    model = ExchangeRate
    form_class = ExchangeRateForm  # type: ignore[assignment]  # a plain form: the service checks everything
    create_service = services.set_exchange_rate
    permission = staticmethod(manages_reference_data)


class RatesUpload(AppView):
    """Upload the ECB's CSV (either layout): a dry run reports what it would change; a real run writes all of it
    or, if any cell cannot be read, nothing, and lists every problem by row and column."""

    template_name = "catalogue/rates_upload.html"

    def _render(self, request: HttpRequest, form: forms.Form, status: int = 200, **context: Any) -> HttpResponse:
        return render(request, self.template_name, {"title": gettext("Upload ECB reference rates"), "form": form,
                                                       **context},
                      status=status)

    def get(self, request: HttpRequest) -> HttpResponse:
        if not self.principal.manages_reference_data:
            return forbidden(request, services.RATE_WRITERS)
        return self._render(request, RatesUploadForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        if not self.principal.manages_reference_data:
            return forbidden(request, services.RATE_WRITERS)
        form = RatesUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self._render(request, form, status=422)
        upload = form.cleaned_data["file"]
        try:
            content = services.read_upload(upload)
            report = services.import_ecb_rates(actor=request.user, content=content, filename=upload.name or "",
                                               dry_run=form.cleaned_data["dry_run"])
        except NotPermitted as exc:
            return forbidden(request, exc.message)
        except services.RatesFileRefused as exc:
            return self._render(request, form, status=422, report=exc.report)
        except ServiceError as exc:
            apply_service_errors(form, exc)
            return self._render(request, form, status=422)
        if not report.dry_run:
            messages.success(request, " ".join(report.lines()[:2]))
        return self._render(request, RatesUploadForm(), report=report)
