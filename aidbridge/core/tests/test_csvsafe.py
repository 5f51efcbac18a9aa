"""The shared CSV writer escapes formula-like text cells (OWASP CSV injection) and leaves numbers alone."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from aidbridge.core import csvsafe


@pytest.mark.parametrize("text", ["=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_text_beginning_like_a_formula_is_prefixed_with_a_quote(text):
    out = io.StringIO()
    csvsafe.writer(out).writerow([text, "plain"])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'" + text, "plain"]


def test_numbers_written_as_numbers_are_not_escaped():
    out = io.StringIO()
    csvsafe.writer(out).writerows([[-3, Decimal("-1.50"), -0.5, "a=b"]])
    assert out.getvalue().strip() == "-3,-1.50,-0.5,a=b"
