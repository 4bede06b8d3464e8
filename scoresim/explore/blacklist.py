"""The public blacklist: who is listed and why, filtered by attribute, and whether lists end.

A DuckDB query over one snapshot file (a scan, at any size). Each row says why the citizen
is listed: the score under the threshold (or, when the list has no exit, the score they
were listed at and where it is now), the points their own and their friends' posts cost,
their views and violations. Filters and sort keys come from fixed lists; values are bound
as query parameters, never pasted into SQL.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from scoresim.explore.cache import columns_of, name_of
from scoresim.society.people import OCCUPATIONS

if TYPE_CHECKING:
    from scoresim.explore.runs import Source

__all__ = ["INCOME_BANDS", "SORTS", "Filters", "Query", "exits", "page", "table"]

#: Columns the blacklist may be sorted by.
SORTS = ("id", "score", "listed_months", "violations", "age", "income")
#: Income bands: fifths of the living citizens' incomes at the snapshot.
INCOME_BANDS = ("lowest fifth", "second fifth", "middle fifth", "fourth fifth", "highest fifth")
#: Columns shown, in order, where the snapshot has them.
_SHOWN = (
    "id",
    "score",
    "reason",
    "dissenter",
    "stance",
    "violations",
    "listed_months",
    "score_penalty",
    "score_spillover",
    "occupation",
    "income",
    "age",
)


@dataclass(frozen=True)
class Filters:
    """Which of the listed to show (None: any).

    Attributes:
        dissenter: Holders of dissenting views (True) or conformers (False).
        occupation: An occupation code.
        income: An income band, 1 (lowest fifth) to 5.
        band: A score band's label (as the scoring module declares them).
    """

    dissenter: bool | None = None
    occupation: int | None = None
    income: int | None = None
    band: str | None = None


@dataclass(frozen=True)
class Query:
    """Sort order and filters of a blacklist request."""

    sort: str = "score"
    descending: bool = False
    filters: Filters = Filters()


def _src(path: Path) -> str:
    """A snapshot from the index (never from a request), quoted for a SQL string literal."""
    return f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}')"


def exits(data: Source, scenario: str) -> dict[str, Any]:
    """Whether the lists of ``scenario`` have exits, and how, from its parameters."""
    p = data.params(scenario, "blacklist")
    if p is None:
        return {"has_list": False, "has_exit": False, "text": f"{scenario} has no blacklist."}
    term, repair = int(p.get("term", 0)), bool(p.get("allow_exit", False))
    ways = []
    if term > 0:
        ways.append(f"a listing expires after {term} months")
    if repair:
        ways.append(
            f"credit repair: a score at or above {float(p.get('exit_score', 0)):g} for "
            f"{int(p.get('min_months', 0))} months running takes a citizen off"
        )
    if ways:
        text = "This list has exits: " + "; ".join(ways) + "."
    else:
        text = (
            "No exit: in this scenario a listing never expires (term 0) and there is no "
            "credit repair, so the listed stay listed whatever their score does later."
        )
    debtors = data.params(scenario, "debtors")
    if debtors is not None:
        dterm = int(debtors.get("term", 0))
        text += (
            " The separate list of defaulters ends when the debt is repaid"
            + (f" or after {dterm} months" if dterm else "")
            + "."
        )
    return {"has_list": True, "has_exit": bool(ways), "text": text}


@functools.lru_cache(maxsize=16)
def _income_edges(data: Source, path: Path) -> tuple[float, ...]:
    """The living citizens' income fifths at a snapshot (four edges)."""
    alive = "WHERE alive = 1" if "alive" in columns_of(path) else ""
    rows = data.rows(
        f"SELECT quantile_cont(income, [0.2, 0.4, 0.6, 0.8]) AS q FROM {_src(path)} {alive}",
        [],
        name_of(path),
    )
    q = rows[0]["q"] if rows else None
    return tuple(float(v) for v in q) if q else ()


def _where(
    data: Source, scenario: str, path: Path, cols: list[str], f: Filters
) -> tuple[str, list[Any]]:
    """The WHERE clause of the listed who pass the filters, and its parameters."""
    clauses: list[str] = ["blacklisted = 1"]
    args: list[Any] = []

    def need(col: str, what: str) -> None:
        if col not in cols:
            raise ValueError(f"{what}: this run's snapshots have no {col} column")

    if f.dissenter is not None:
        need("dissenter", "dissenter filter")
        clauses.append("dissenter = ?")
        args.append(int(f.dissenter))
    if f.occupation is not None:
        need("occupation", "occupation filter")
        if not 0 <= f.occupation < len(OCCUPATIONS):
            raise ValueError(f"occupation must be a code from 0 to {len(OCCUPATIONS) - 1}")
        clauses.append("occupation = ?")
        args.append(f.occupation)
    if f.income is not None:
        need("income", "income filter")
        edges = [-1e300, *_income_edges(data, path), 1e300]
        if not 1 <= f.income < len(edges):
            raise ValueError(f"income must be a band from 1 to {len(edges) - 1}")
        clauses.append("income >= ? AND income < ?")
        args += [edges[f.income - 1], edges[f.income] if f.income < len(edges) - 1 else 1e300]
    if f.band is not None:
        bands = data.results.marks("score", "band", scenario)
        labels = [str(b["label"]) for b in bands]
        if f.band not in labels:
            raise ValueError(f"band = {f.band!r}: allowed: {', '.join(labels)}")
        k = labels.index(f.band)
        clauses.append("score >= ? AND score < ?")
        args += [
            float(bands[k]["value"]),
            float(bands[k + 1]["value"]) if k + 1 < len(bands) else 1e300,
        ]
    return " AND ".join(clauses), args


def _reason(cols: list[str], threshold: float, has_exit: bool) -> str:
    """SQL for why a row is listed: the score against the threshold, and what cost most.

    Views and violations have columns of their own beside it.
    """
    t = f"{threshold:g}"
    ago = "listed_months || ' months ago'" if "listed_months" in cols else "'earlier'"
    still = "" if has_exit else ", no exit"
    parts = [
        f"CASE WHEN score < {threshold!r} THEN 'score ' || printf('%.0f', score) || "
        f"' under {t}' ELSE 'fell under {t} ' || {ago} || "
        f"'; now ' || printf('%.0f', score) || '{still}' END"
    ]
    if {"score_penalty", "score_spillover"} <= set(cols):
        parts.append(
            "CASE WHEN score_penalty < 0.5 AND score_spillover < 0.5 "
            "THEN 'no points lost to posts' "
            "WHEN score_penalty >= score_spillover THEN 'most lost to own posts (' || "
            "printf('%.0f', score_penalty) || ' points)' "
            "ELSE 'most lost to friends'' posts (' || printf('%.0f', score_spillover) || "
            "' points)' END"
        )
    return f"concat_ws('; ', {', '.join(parts)}) AS reason"


def _select(data: Source, scenario: str, cols: list[str]) -> list[str]:
    """The expressions selected for each listed citizen."""
    p = data.params(scenario, "blacklist") or {}
    threshold = float(p.get("threshold", 0.0))
    has_exit = bool(exits(data, scenario)["has_exit"])
    out = []
    for c in _SHOWN:
        if c == "reason" and "score" in cols:
            out.append(_reason(cols, threshold, has_exit))
        elif c in cols:
            out.append(f'"{c}"')
    return out


def _prepare(
    data: Source, scenario: str, replicate: int, step: int | None, q: Query
) -> tuple[int, Path, list[str], str, list[Any]] | None:
    """The snapshot, its columns and the WHERE clause; None if the scenario has no list."""
    if q.sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}")
    run = data.run(scenario, replicate)
    chosen, snap = data.snapshot(run, step)
    cols = list(columns_of(snap))
    if "blacklisted" not in cols:
        return None
    if q.sort not in cols:
        raise ValueError(
            f"sort = {q.sort!r}: this run's snapshots have no such column; sortable here: "
            f"{', '.join(c for c in SORTS if c in cols)}"
        )
    where, args = _where(data, scenario, snap, cols, q.filters)
    return chosen, snap, cols, where, args


def page(
    data: Source,
    scenario: str,
    replicate: int,
    step: int | None,
    q: Query,
    number: int,
    size: int,
) -> dict[str, Any]:
    """One page of the listed who pass the filters, with the list's exits."""
    found = _prepare(data, scenario, replicate, step, q)
    listed = exits(data, scenario)
    bands = [str(b["label"]) for b in data.results.marks("score", "band", scenario)]
    if found is None:
        chosen, _ = data.snapshot(data.run(scenario, replicate), step)
        base = {"step": chosen, "total": 0, "rows": [], "columns": []}
        return {
            **base,
            "page": number,
            "size": size,
            "note": f"{scenario} has no blacklist",
            "exits": listed,
            "bands": bands,
            "income_bands": list(INCOME_BANDS),
        }
    chosen, snap, cols, where, args = found
    src, what = _src(snap), name_of(snap)
    total = data.rows(f"SELECT count(*) AS n FROM {src} WHERE {where}", args, what)[0]["n"]
    order = f'"{q.sort}" {"DESC" if q.descending else "ASC"}, id ASC'
    rows = data.rows(
        f"SELECT {', '.join(_select(data, scenario, cols))} FROM {src} WHERE {where} "
        f"ORDER BY {order} LIMIT ? OFFSET ?",
        [*args, size, (number - 1) * size],
        what,
    )
    everyone = data.rows(f"SELECT count(*) AS n FROM {src} WHERE blacklisted = 1", [], what)
    return {
        "step": chosen,
        "total": total,
        "listed": everyone[0]["n"],
        "page": number,
        "size": size,
        "rows": rows,
        "columns": list(rows[0]) if rows else [],
        "exits": listed,
        "threshold": (data.params(scenario, "blacklist") or {}).get("threshold"),
        "bands": bands,
        "income_bands": list(INCOME_BANDS),
    }


def table(data: Source, scenario: str, replicate: int, step: int | None, q: Query) -> pa.Table:
    """Every listed citizen who passes the filters, sorted (for CSV)."""
    found = _prepare(data, scenario, replicate, step, q)
    if found is None:
        return pa.table({"id": pa.array([], pa.int32())})
    _, snap, cols, where, args = found
    order = f'"{q.sort}" {"DESC" if q.descending else "ASC"}, id ASC'
    sql = f"SELECT {', '.join(_select(data, scenario, cols))} FROM {_src(snap)} WHERE {where}"
    return data.table(f"{sql} ORDER BY {order}", args, name_of(snap))
