"""Reports: a results directory turned into figures and one self-contained HTML file.

``scoresim.store.load_results`` reads a directory into a ``RunSet``; ``scoresim.report.plots``
draws it; ``scoresim.report.html`` writes the report (``write_report``).
"""

from scoresim.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
