"""Reports: a results directory turned into figures and one self-contained HTML file.

``scoresim.report.data`` loads a directory; ``scoresim.plots`` draws it;
``scoresim.report.html`` writes the report (``write_report``).
"""

from scoresim.report.data import ResultsData, load_results

__all__ = ["ResultsData", "load_results"]
