"""``LongSelect`` writes the same select as Django's template-rendered one."""

from __future__ import annotations

from django import forms
from django.test.html import parse_html
from hypothesis import given
from hypothesis import strategies as st

from aidbridge.core.fields import LongSelect

labels = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)


def _pair(choices: list[tuple[str, str]], value: str | None, required: bool) -> tuple[str, str]:
    class Form(forms.Form):
        a = forms.ChoiceField(choices=choices, required=required, help_text="Pick one.",
                              widget=forms.Select(attrs={"class": "wide"}))
        b = forms.ChoiceField(choices=choices, required=required, help_text="Pick one.",
                              widget=LongSelect(attrs={"class": "wide"}))

    form = Form(data={"a": value, "b": value} if value is not None else None)
    return str(form["a"]).replace("id_a", "id_b").replace('name="a"', 'name="b"'), str(form["b"])


@given(st.lists(labels, max_size=8), st.booleans(), st.data())
def test_the_same_markup_as_djangos_select(names, required, data):
    choices = [("", "—"), *[(str(i), name) for i, name in enumerate(names)]]
    value = data.draw(st.sampled_from([None, *[v for v, _ in choices]]))
    django_select, long_select = _pair(choices, value, required)
    assert parse_html(long_select) == parse_html(django_select)


def test_labels_are_escaped_and_the_chosen_one_selected():
    _, html = _pair([("", "—"), ("1", "A <b>"), ("2", "B & C")], "2", True)
    assert '<option value="1">A &lt;b&gt;</option><option value="2" selected>B &amp; C</option>' in html
    assert " required" in html and 'aria-describedby="id_b_helptext"' in html
