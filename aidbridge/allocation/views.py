from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.utils.translation import gettext, gettext_lazy

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal, coordinator_editor
from aidbridge.allocation import services, tables
from aidbridge.allocation.filtersets import AllocationLineFilterSet
from aidbridge.allocation.forms import AllocateForm, QuantityForm
from aidbridge.allocation.models import AllocationLine
from aidbridge.core.views import DetailFormView, ObjectDetailView, ObjectListView, Transition, detail_url
from aidbridge.locations.models import Hub
from aidbridge.requirements.models import Requirement
from aidbridge.requirements.views import RequirementDetail

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

RELATED = ("pledge__donor", "requirement__item", "requirement__recipient", "hub")


def may_dispatch(p: Principal, line: AllocationLine) -> bool:
    return line.quantity > line.moved and (coordinator_editor(p) or (p.can_write and p.organisation_id in (
        line.hub.operator_id, line.pledge.donor_id)))


def may_deliver(p: Principal, line: AllocationLine) -> bool:
    return line.in_transit_quantity > 0 and (
        coordinator_editor(p) or p.writes_for(line.requirement.recipient_id))


TRANSITIONS = [
    Transition("release", _("Release"), services.release_allocation, style="danger", done=_("Allocation released."),
               confirm=_("Release this allocation? Its units go back to the pledge."),
               allowed=lambda p, line: coordinator_editor(p) and not line.moved),
]


class AllocationLineList(ObjectListView):
    model = AllocationLine
    filterset_class = AllocationLineFilterSet
    columns = tables.LINE_COLUMNS
    related = RELATED
    title = _("Allocations")
    links = [(_("Allocation runs"), "allocation:run_list")]

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        user = self.request.user
        donors = Organisation.objects.for_user(user).filter(kind=Organisation.Kind.DONOR)
        return {"hub": [(h.pk, str(h)) for h in Hub.objects.for_user(user)],
                "donor": [(o.pk, o.name) for o in donors]}


class AllocationLineDetail(ObjectDetailView):
    model = AllocationLine
    fields = tables.LINE_FIELDS
    related = RELATED
    transitions = TRANSITIONS
    template_name = "allocation/allocationline_detail.html"

    def get_extra_context(self, obj: AllocationLine) -> dict[str, Any]:
        p = self.principal
        return {
            "title": gettext("Allocation line #%(pk)s") % {"pk": obj.pk},
            "dispatch_form": QuantityForm(prefix="dispatch") if may_dispatch(p, obj) else None,
            "deliver_form": QuantityForm(prefix="deliver") if may_deliver(p, obj) else None,
        }


class Dispatch(DetailFormView, AllocationLineDetail):
    form_name = "dispatch_form"
    permission = staticmethod(may_dispatch)
    success_message = _("Dispatch recorded.")

    def get_form(self, obj: AllocationLine) -> forms.BaseForm:
        return QuantityForm(self.request.POST, prefix="dispatch")

    def perform(self, obj: AllocationLine, form: forms.BaseForm) -> Any:
        return services.dispatch_allocation(actor=self.request.user, line=obj, quantity=form.cleaned_data["quantity"])


class Deliver(DetailFormView, AllocationLineDetail):
    form_name = "deliver_form"
    permission = staticmethod(may_deliver)
    success_message = _("Delivery confirmed.")

    def get_form(self, obj: AllocationLine) -> forms.BaseForm:
        return QuantityForm(self.request.POST, prefix="deliver")

    def perform(self, obj: AllocationLine, form: forms.BaseForm) -> Any:
        return services.confirm_delivery(actor=self.request.user, line=obj, quantity=form.cleaned_data["quantity"])


def after_release(line: AllocationLine) -> str:
    return detail_url(line.requirement)


class RequirementAllocate(DetailFormView, RequirementDetail):
    """Coordinators allocate units of a committed pledge to this requirement through a hub."""

    form_class = AllocateForm
    form_name = "allocate_form"
    permission = staticmethod(coordinator_editor)
    success_message = _("Allocated.")

    def get_form(self, obj: Requirement) -> forms.BaseForm:
        return AllocateForm(self.request.POST, user=self.request.user, requirement=obj)

    def perform(self, obj: Requirement, form: forms.BaseForm) -> Any:
        data = form.cleaned_data
        return services.allocate(actor=self.request.user, pledge=data["pledge"], requirement=obj,
                                 hub=data["hub"], quantity=data["quantity"], dispatch_week=data["dispatch_week"],
                                 override_capacity=data["override_capacity"], override_reason=data["override_reason"])
