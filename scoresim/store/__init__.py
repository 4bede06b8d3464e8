"""The results store: a directory of Parquet runs plus a DuckDB manifest.

Layout of a results directory::

    DIR/scoresim.duckdb                  manifest (table runs); views are made on opening
    DIR/experiment.json                  what produced the runs (compare, sweep design)
    DIR/runs/RUN_ID/measures.parquet     per-step measures (atomic write)
    DIR/runs/RUN_ID/snapshots/step-NNNNNN.parquet
    DIR/runs/RUN_ID/run.json             provenance, written last
"""

from scoresim.store.layout import EXPERIMENT_FILE, read_experiment, run_dir
from scoresim.store.load import ego_tables, load_results
from scoresim.store.manifest import DB_FILE, RunRecord, connect, list_runs, upsert
from scoresim.store.tables import put_table

__all__ = [
    "DB_FILE",
    "EXPERIMENT_FILE",
    "RunRecord",
    "connect",
    "ego_tables",
    "list_runs",
    "load_results",
    "put_table",
    "read_experiment",
    "run_dir",
    "upsert",
]
