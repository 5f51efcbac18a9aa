from __future__ import annotations

from typing import Any

from aidbridge.accounts.principal import Principal
from aidbridge.catalogue import services, tables
from aidbridge.catalogue.filtersets import ItemFilterSet
from aidbridge.catalogue.forms import ItemForm
from aidbridge.catalogue.models import Item
from aidbridge.core.views import ObjectDetailView, ObjectFormView, ObjectListView
from aidbridge.pledges.models import Pledge
from aidbridge.requirements.models import Requirement


def manages(p: Principal, obj: Any = None) -> bool:
    return p.manages_reference_data


class ItemList(ObjectListView):
    model = Item
    filterset_class = ItemFilterSet
    columns = tables.ITEM_COLUMNS
    title = "Catalogue"
    create_permission = manages


class ItemDetail(ObjectDetailView):
    model = Item
    fields = tables.ITEM_FIELDS
    edit_permission = staticmethod(manages)
    template_name = "catalogue/item_detail.html"

    def get_extra_context(self, obj: Item) -> dict[str, Any]:
        user = self.request.user
        return {
            "requirement_count": Requirement.objects.for_user(user).filter(item=obj).count(),
            "pledge_count": Pledge.objects.for_user(user).filter(item=obj).count(),
        }


class ItemEdit(ObjectFormView):
    model = Item
    form_class = ItemForm
    create_service = services.create_item
    update_service = services.update_item
    object_kwarg = "item"
    permission = staticmethod(manages)
