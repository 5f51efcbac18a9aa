from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from aidbridge.catalogue.models import Item
from aidbridge.core import clock
from aidbridge.locations.models import Location
from aidbridge.requirements.models import Requirement
from aidbridge.requirements.services import LATEST_DUE_DATE, REQUIREMENT_FIELDS


class RequirementForm(forms.ModelForm):
    class Meta:
        model = Requirement
        fields = list(REQUIREMENT_FIELDS)
        widgets = {
            "due_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"item": _("Item"), "quantity": _("Quantity"), "priority": _("Priority"), "due_date": _("Due date"),
                  "destination": _("Destination"), "package": _("Package"), "notes": _("Notes")}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = Item.objects.for_user(user)
        self.fields["destination"].queryset = Location.objects.for_user(user)
        # The browser's date picker offers what the service accepts (the service still decides).
        due = self.fields["due_date"].widget.attrs
        due["max"] = LATEST_DUE_DATE.isoformat()
        if self.instance.pk is None:
            due["min"] = clock.today().isoformat()
