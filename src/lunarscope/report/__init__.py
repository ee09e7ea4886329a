"""The human-readable products of a plan: the self-contained HTML report (:mod:`.html`)."""

from lunarscope.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
