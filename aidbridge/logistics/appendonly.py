"""Append-only tables: rows are inserted once and never changed or deleted through the ORM.

``Model.save``/``delete`` cover single rows; bulk ``QuerySet.update()``/``delete()`` bypass them, so the
queryset refuses too. Raw SQL can still change a row; ``aidbridge ledger verify`` is there to notice.
"""

from __future__ import annotations

from typing import Any

from django.db import models


class AppendOnlyError(RuntimeError):
    """Raised on any attempt to change or delete a row of an append-only table."""


class AppendOnlyQuerySet(models.QuerySet):
    """Bulk ``update()``/``delete()`` bypass ``Model.save``/``delete``, so they are refused here too."""

    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only; record a reversing entry.")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model._meta.verbose_name_plural} are append-only and cannot be deleted.")


class AppendOnlyModel(models.Model):
    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only; record a reversing entry.")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self._meta.verbose_name} rows are append-only and cannot be deleted.")
