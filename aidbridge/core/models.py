"""Shared model pieces: the reference-data queryset and the fill-level vocabulary."""

from __future__ import annotations

from copy import copy

from django.db import models
from django.db.models import OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _

from aidbridge.core.viewer import viewer


class ReferenceQuerySet(models.QuerySet):
    """Reference data (catalogue, locations, hubs) is shared across the coalition and hidden from others."""

    def for_user(self, user):  # type: ignore[no-untyped-def]
        return self.all() if viewer(user).sees_coalition else self.none()


def related_sum(model: type[models.Model], relation: str, field: str) -> Coalesce:
    """``Sum`` of ``field`` over the rows of the reverse relation ``relation`` of ``model``, as a correlated
    subquery: 0 where there are none.

    Unlike ``annotate(Sum("relation__field"))`` it neither joins nor groups the outer query, so a list keeps
    its ordering, counts its rows without the join, and PostgreSQL computes the sums only for the rows it
    returns (a page), after sorting and limiting.
    """
    reverse = model._meta.get_field(relation)
    fk = reverse.field.name  # type: ignore[union-attr]
    rows = (reverse.related_model._default_manager.filter(**{fk: OuterRef("pk")})  # type: ignore[union-attr]
            .order_by().values(fk).annotate(total=Sum(field)).values("total"))
    return Coalesce(Subquery(rows, output_field=models.IntegerField()), 0)


class FillLevel(models.TextChoices):
    NONE = "none", _("None")
    PARTIAL = "partial", _("Partial")
    COMPLETE = "complete", _("Complete")

    @classmethod
    def of(cls, quantity: int, total: int) -> FillLevel:
        if quantity <= 0:
            return cls.NONE
        return cls.COMPLETE if quantity >= total else cls.PARTIAL


class Releasability(models.TextChoices):
    """Who may see a record, from narrowest to widest."""

    COORDINATORS = "coordinators", _("Coordinators only")
    COALITION = "coalition", _("Coalition")
    PUBLIC = "public", _("Public after disclosure date")


MAX_ID = 2**63 - 1


def filter_by_id_or_code(queryset, field: str, value: str):  # type: ignore[no-untyped-def]
    """``?item=12`` or ``?item=GEN-100KW``: an id when the value is plain ASCII digits in range, else a code.

    ``str.isdigit`` alone also accepts characters such as “²” that ``int`` cannot read, and ids past 64 bits
    overflow the database: both are treated as codes, which simply match nothing.
    """
    if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
        return queryset.filter(**{f"{field}_id": int(value)})
    return queryset.filter(**{f"{field}__code": value})


def prefixed(q: Q, prefix: str) -> Q:
    """``q`` with every lookup taken through the relation ``prefix`` (e.g. ``pledge__``): a rule written for one
    model, tested on the row joined through a foreign key."""
    out = copy(q)
    out.children = [prefixed(c, prefix) if isinstance(c, Q) else (prefix + c[0], c[1])  # type: ignore[index]
                    for c in q.children]
    return out
