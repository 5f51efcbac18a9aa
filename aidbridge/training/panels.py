"""What the training app adds to other apps' detail pages (``core.panels``), registered by
``TrainingConfig.ready`` through :func:`register`:

- a requirement's page: its **training chain** beside its allocations and custody (training requests, the
  courses where they hold seats, enrolments, and the capability's readiness);
- an item's page and an organisation's page: how many courses the viewer may see for them, linked to that list.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext

from aidbridge.accounts.models import Organisation
from aidbridge.accounts.principal import principal
from aidbridge.core import panels
from aidbridge.core.panels import Stat, list_url
from aidbridge.training import charts
from aidbridge.training import readiness as rd
from aidbridge.training.models import Course, Enrolment, SeatAssignment, TrainingRequest

COURSES = "training:course_list"
REQUESTS = "training:trainingrequest_list"


def requirement_training(user: Any, requirement: Any) -> dict[str, Any] | None:
    """The requirement's training chain as ``user`` may see it; None (no panel) when there is nothing to show and
    the user may not ask for training."""
    requests = list(TrainingRequest.objects.for_user(user).filter(requirement=requirement)
                    .select_related("item").order_by("pk"))
    p = principal(user)
    may_request = p.writes_for(requirement.recipient_id) and p.org_kind == Organisation.Kind.RECIPIENT
    if not requests and not may_request:
        return None
    ids = [r.pk for r in requests]
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    for request_id, status, n in (Enrolment.objects.for_user(user).filter(request_id__in=ids).order_by()
                                  .values_list("request_id", "status").annotate(n=Count("pk"))):
        counts[request_id][status] = n
    assignments = list(SeatAssignment.objects.for_user(user).filter(request_id__in=ids)
                       .select_related("course__provider", "request").order_by("course__start_date", "pk"))
    rows, _ = rd.readiness_for(user, [requirement])
    readiness = rows[0] if rows else None
    return {
        "training_requests": [{
            "request": r,
            "enrolled": sum(n for s, n in counts[r.pk].items() if s != Enrolment.Status.WITHDRAWN),
            "completed": counts[r.pk].get(Enrolment.Status.COMPLETED, 0),
            "seats": sum(a.seats for a in assignments if a.request_id == r.pk),
        } for r in requests],
        "training_assignments": assignments,
        "training_readiness": readiness,
        "training_readiness_class": charts.status_class(readiness.status) if readiness else "",
        "training_readiness_label": charts.LABELS.get(readiness.status, readiness.status) if readiness else "",
        "training_may_request": may_request and requirement.status not in ("closed", "cancelled"),
    }


def of_item(user: Any, item: Any) -> Iterator[Stat]:
    yield Stat(gettext("Courses"), list_url(COURSES, "item", item.code), Course.objects.for_user(user).filter(
        Q(qualifies_item=item) | Q(qualifies_class=item.supply_class)).count())


def of_organisation(user: Any, organisation: Any) -> Iterator[Stat]:
    if organisation.kind == Organisation.Kind.DONOR:
        yield Stat(gettext("Courses offered"), list_url(COURSES, "provider", organisation.pk),
                   Course.objects.for_user(user).filter(provider=organisation).count())
    elif organisation.kind == Organisation.Kind.RECIPIENT:
        yield Stat(gettext("Training requests"), list_url(REQUESTS, "organisation", organisation.pk),
                   TrainingRequest.objects.for_user(user).filter(recipient=organisation).count())


def register() -> None:
    panels.add_panel("requirements.requirement", "training/_requirement_training.html", requirement_training,
                     order=120)
    panels.add_stats("catalogue.item", of_item, order=30)
    panels.add_stats("accounts.organisation", of_organisation, order=30)
