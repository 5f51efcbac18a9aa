from __future__ import annotations

from aidbridge.accounts.principal import manages_reference_data
from aidbridge.catalogue import services, tables
from aidbridge.catalogue.filtersets import ItemFilterSet
from aidbridge.catalogue.forms import ItemForm
from aidbridge.catalogue.models import Item
from aidbridge.core.views import ObjectDetailView, ObjectFormView, ObjectListView


class ItemList(ObjectListView):
    model = Item
    filterset_class = ItemFilterSet
    columns = tables.ITEM_COLUMNS
    title = "Catalogue"
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
