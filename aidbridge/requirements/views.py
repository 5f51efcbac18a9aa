from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.utils.translation import gettext_lazy

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import Principal, coordinator_editor
from aidbridge.core.views import ObjectDetailView, ObjectFormView, ObjectListView, Transition
from aidbridge.requirements import services, tables
from aidbridge.requirements.filtersets import RequirementFilterSet
from aidbridge.requirements.forms import RequirementForm
from aidbridge.requirements.models import Requirement

# Lazy: translated where it is rendered, in the reader's language; typed as the str it renders as.
_ = cast(Callable[[str], str], gettext_lazy)

Status = Requirement.Status
RELATED = ("item", "destination", "recipient")


def owner(p: Principal, r: Requirement) -> bool:
    return p.writes_for(r.recipient_id)


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
    Transition("submit", _("Submit"), services.submit_requirement, style="primary", done=_("Submitted."),
               allowed=lambda p, r: can_move(r, Status.SUBMITTED) and owner(p, r)),
    Transition("validate", _("Validate"), services.validate_requirement, style="primary", done=_("Validated."),
               allowed=lambda p, r: can_move(r, Status.VALIDATED) and coordinator_editor(p)),
    Transition("return", _("Return to draft"), services.return_requirement, done=_("Returned to draft."),
               allowed=lambda p, r: r.status == Status.SUBMITTED and (owner(p, r) or coordinator_editor(p))),
    Transition("close", _("Close"), services.close_requirement, done=_("Closed."),
               allowed=lambda p, r: can_move(r, Status.CLOSED) and coordinator_editor(p)),
    Transition("cancel", _("Cancel requirement"), services.cancel_requirement, style="danger", done=_("Cancelled."),
               confirm=_("Cancel this requirement? This cannot be undone."),
               allowed=lambda p, r: can_move(r, Status.CANCELLED) and (owner(p, r) or coordinator_editor(p))),
]


class RequirementList(ObjectListView):
    model = Requirement
    filterset_class = RequirementFilterSet
    columns = tables.REQUIREMENT_COLUMNS
    related = RELATED
    annotations = ("with_fill",)
    create_permission = may_create
    filter_labels = {"organisation": _("Recipient"), "supply_class": _("Supply class"), "item": _("Item code"),
                     "destination": _("Destination (UN/LOCODE)"), "due_after": _("Due from"), "due_before": _("Due by")}

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


class RequirementEdit(ObjectFormView):
    model = Requirement
    form_class = RequirementForm
    create_service = services.create_requirement
    update_service = services.update_requirement
    object_kwarg = "requirement"
    permission = staticmethod(may_write)
    related = RELATED
