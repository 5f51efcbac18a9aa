from __future__ import annotations

from typing import Any

from django import forms

from aidbridge.catalogue.models import Item
from aidbridge.catalogue.services import ITEM_FIELDS
from aidbridge.core.fields import format_nsn, normalise_nsn, validate_nsn


class ItemForm(forms.ModelForm):
    # Wider than the stored 13 digits so that the written form 4-2-3-4 is accepted.
    nsn = forms.CharField(
        label="NSN", max_length=20, required=False,
        help_text="NATO Stock Number: 13 digits, written 4-2-3-4, e.g. 6115-01-234-5678.",
    )

    class Meta:
        model = Item
        fields = list(ITEM_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, user: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk and self.instance.nsn:
            self.initial["nsn"] = format_nsn(self.instance.nsn)

    def clean_nsn(self) -> str:
        value = normalise_nsn(self.cleaned_data.get("nsn") or "")
        if value:
            validate_nsn(value)
        return value
