from __future__ import annotations

from typing import Any

from django import forms

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal
from aidbridge.allocation import services as allocation
from aidbridge.allocation.forms import AllocateForm
from aidbridge.allocation.models import AllocationLine
from aidbridge.core.views import DetailFormView, ObjectDetailView, ObjectFormView, ObjectListView, Transition
from aidbridge.requirements import services, tables
from aidbridge.requirements.filtersets import RequirementFilterSet
from aidbridge.requirements.forms import RequirementForm
from aidbridge.requirements.models import Requirement

Status = Requirement.Status
RELATED = ("item", "destination", "recipient")


def owner(p: Principal, r: Requirement) -> bool:
    return p.writes_for(r.recipient_id)


def coordinator(p: Principal, r: Any = None) -> bool:
    return p.is_coordinator_editor


def can_move(r: Requirement, to: str) -> bool:
    return to in Requirement.TRANSITIONS.get(r.status, set())


def may_create(p: Principal, obj: Any = None) -> bool:
    return p.is_superuser or (p.org_kind == Organisation.Kind.RECIPIENT and p.can_write)


def may_write(p: Principal, r: Requirement | None) -> bool:
    """May open the form; the service still refuses edits in the wrong status, with its own message."""
    return may_create(p) if r is None else owner(p, r)


def may_edit(p: Principal, r: Requirement) -> bool:
    return owner(p, r) and r.status in (Status.DRAFT, Status.SUBMITTED)


TRANSITIONS = [
    Transition("submit", "Submit", services.submit_requirement, style="primary", done="Submitted.",
               allowed=lambda p, r: can_move(r, Status.SUBMITTED) and owner(p, r)),
    Transition("validate", "Validate", services.validate_requirement, style="primary", done="Validated.",
               allowed=lambda p, r: can_move(r, Status.VALIDATED) and coordinator(p)),
    Transition("return", "Return to draft", services.return_requirement, done="Returned to draft.",
               allowed=lambda p, r: r.status == Status.SUBMITTED and (owner(p, r) or coordinator(p))),
    Transition("close", "Close", services.close_requirement, done="Closed.",
               allowed=lambda p, r: can_move(r, Status.CLOSED) and coordinator(p)),
    Transition("cancel", "Cancel requirement", services.cancel_requirement, style="danger", done="Cancelled.",
               confirm="Cancel this requirement? This cannot be undone.",
               allowed=lambda p, r: can_move(r, Status.CANCELLED) and (owner(p, r) or coordinator(p))),
]


class RequirementList(ObjectListView):
    model = Requirement
    filterset_class = RequirementFilterSet
    columns = tables.REQUIREMENT_COLUMNS
    related = RELATED
    annotations = ("with_fill",)
    create_permission = may_create
    filter_labels = {"organisation": "Recipient", "supply_class": "Supply class", "item": "Item code",
                     "destination": "Destination (UN/LOCODE)", "due_after": "Due from", "due_before": "Due by"}

    def filter_choices(self) -> dict[str, list[tuple[Any, str]]]:
        recipients = Organisation.objects.for_user(self.request.user).filter(kind=Organisation.Kind.RECIPIENT)
        return {"organisation": [(o.pk, o.name) for o in recipients]}


class RequirementDetail(ObjectDetailView):
    model = Requirement
    fields = tables.REQUIREMENT_FIELDS
    related = RELATED
    annotations = ("with_fill",)
    transitions = TRANSITIONS
    edit_permission = staticmethod(may_edit)
    template_name = "requirements/requirement_detail.html"

    def get_extra_context(self, obj: Requirement) -> dict[str, Any]:
        user = self.request.user
        allocating = obj.status == Status.VALIDATED and coordinator(self.principal) and obj.allocated < obj.quantity
        lines = (AllocationLine.objects.for_user(user).filter(requirement=obj)
                 .select_related("pledge__donor", "hub").order_by("pk"))
        return {
            "lines": lines,
            "hidden_allocated": obj.allocated - sum(line.quantity for line in lines),
            "allocate_form": AllocateForm(user=user, requirement=obj) if allocating else None,
        }


class RequirementEdit(ObjectFormView):
    model = Requirement
    form_class = RequirementForm
    create_service = services.create_requirement
    update_service = services.update_requirement
    object_kwarg = "requirement"
    permission = staticmethod(may_write)
    related = RELATED


class RequirementAllocate(DetailFormView, RequirementDetail):
    """Coordinators allocate units of a committed pledge to this requirement through a hub."""

    form_class = AllocateForm
    form_name = "allocate_form"
    permission = staticmethod(coordinator)
    success_message = "Allocated."

    def get_form(self, obj: Requirement) -> forms.BaseForm:
        return AllocateForm(self.request.POST, user=self.request.user, requirement=obj)

    def perform(self, obj: Requirement, form: forms.BaseForm) -> Any:
        data = form.cleaned_data
        return allocation.allocate(actor=self.request.user, pledge=data["pledge"], requirement=obj,
                                   hub=data["hub"], quantity=data["quantity"], dispatch_week=data["dispatch_week"],
                                   override_capacity=data["override_capacity"], override_reason=data["override_reason"])
