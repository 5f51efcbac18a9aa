"""The open-data downloads, one function for every door (the /exports/ page, the API, ``aidbridge export``)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from aidbridge.core import clock, csvsafe
from aidbridge.interop import fts, hxl, opendata
from aidbridge.interop.iati.export import export_iati

KINDS = ("iati", "fts", "hxl")


@dataclass
class Download:
    kind: str
    content: bytes
    content_type: str
    filename: str
    rows: int  # pledges published
    notes: list[str] = field(default_factory=list)  # what a person should know (left-out donors…)


def _csv(rows: list[list[object]]) -> bytes:
    out = io.StringIO(newline="")
    csvsafe.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


def render(kind: str, records: list[opendata.Record] | None = None) -> Download:
    """The ``kind`` download (``iati``, ``fts`` or ``hxl``) of the released pledges."""
    records = opendata.records() if records is None else records
    today = clock.today().isoformat()
    if kind == "iati":
        result = export_iati(records)
        return Download(kind, result.xml, "application/xml; charset=utf-8", f"aidbridge-iati-{today}.xml",
                        result.transactions, result.lines())
    if kind == "fts":
        rows = fts.export_rows(records)
        return Download(kind, _csv(rows), "text/csv; charset=utf-8", f"aidbridge-fts-flows-{today}.csv",
                        len(rows) - 1, [f"FTS-style flows: {len(rows) - 1} rows."])
    if kind == "hxl":
        rows = hxl.export_rows(records)
        return Download(kind, _csv(rows), "text/csv; charset=utf-8", f"aidbridge-hxl-{today}.csv",
                        len(rows) - 2, [f"HXL: {len(rows) - 2} rows."])
    raise ValueError(f"Unknown export “{kind}”; choose one of {', '.join(KINDS)}.")
