"""Sortable, filterable HTML tables of the report (request results, contacts, eclipses).

A table is ``<table class="data" id=ID>`` after an ``<input class="filter" data-filter=ID>``.
Each cell may carry ``data-sort`` (a number, for numeric columns; empty cells sort last);
the report's inline script (``assets.JS``) sorts on a click on a header (``th[data-col]``,
again for descending) and hides the rows whose text does not contain the filter text.
"""

from __future__ import annotations

import math

from lunarscope.report.svg import esc

#: Column kinds: "num" cells sort by their ``data-sort`` value, "text" by their text.
KINDS = ("num", "text")


def cell(text, sort: float | None = None) -> tuple[str, float | None]:
    """A cell: display text and, for a numeric column, the value it sorts by (None: no value)."""
    if sort is not None and not math.isfinite(float(sort)):
        sort = None
    return ("" if text is None else str(text), sort)


def data_table(
    table_id: str, columns: list[tuple[str, str]], rows: list[list[tuple[str, float | None]]], label: str
) -> str:
    """The HTML of one table with its filter box; ``columns``: (header, kind) with kind in KINDS."""
    for _, kind in columns:
        if kind not in KINDS:
            raise ValueError(f"column kind {kind!r} is not one of {KINDS}")
    out = [
        f'<p class="tools"><label>Filter {esc(label)}: <input class="filter" type="search" '
        f'data-filter="{esc(table_id)}" placeholder="text in any column"></label> '
        f'<span class="count" data-count="{esc(table_id)}">{len(rows)} rows</span></p>',
        f'<table class="data" id="{esc(table_id)}"><thead><tr>',
    ]
    for i, (head, kind) in enumerate(columns):
        out.append(f'<th data-col="{i}" data-kind="{kind}" title="click to sort">{esc(head)}</th>')
    out.append("</tr></thead><tbody>")
    for row in rows:
        tds = []
        for (text, sort), (_, kind) in zip(row, columns):
            cls = ' class="num"' if kind == "num" else ""
            key = f' data-sort="{float(sort)!r}"' if kind == "num" and sort is not None else ""
            tds.append(f"<td{cls}{key}>{esc(text)}</td>")
        out.append("<tr>" + "".join(tds) + "</tr>")
    out.append("</tbody></table>")
    return "\n".join(out)
