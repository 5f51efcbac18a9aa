"""Checks on the rendered SVG charts: every label and value inside the viewBox, full names in tooltips."""

from __future__ import annotations

import html as htmllib
import re

from aidbridge.core.charts import text_width

SVG = re.compile(r'<svg viewBox="0 0 (\d+) (\d+)"[^>]*class="(?:hbar|stacked)"[^>]*>(.*?)</svg>', re.S)
GROUP = re.compile(r"<g>(.*?)</g>", re.S)
TITLE = re.compile(r"<title>(.*?)</title>", re.S)
TEXT = re.compile(r'<text class="(c-label|c-value)" x="([\d.]+)"[^>]*?(text-anchor="end")?>(.*?)</text>', re.S)


def chart_texts(page: str) -> list[tuple[int, str, list[tuple[str, float, bool, str]]]]:
    """(viewBox width, tooltip, [(class, x, anchored at its end, text)]) for every bar of every chart."""
    out = []
    for width, _height, body in SVG.findall(page):
        for group in GROUP.findall(body):
            title = TITLE.search(group)
            texts = [(cls, float(x), bool(end), htmllib.unescape(text)) for cls, x, end, text in TEXT.findall(group)]
            out.append((int(width), htmllib.unescape(title.group(1)) if title else "", texts))
    return out


def assert_texts_fit(page: str) -> None:
    bars = chart_texts(page)
    assert bars, "no chart on the page"
    for width, _title, texts in bars:
        for _cls, x, anchored_end, text in texts:
            left, right = (x - text_width(text), x) if anchored_end else (x, x + text_width(text))
            assert left >= 0 and right <= width, f"{text!r} runs past the viewBox: {left:.0f}..{right:.0f} of {width}"


def labels_and_tooltips(page: str) -> list[tuple[str, str]]:
    return [(next(t for c, _x, _e, t in texts if c == "c-label"), title) for _w, title, texts in chart_texts(page)]
