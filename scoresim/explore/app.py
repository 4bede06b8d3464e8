"""The explorer's web app: a read-only JSON (and CSV) API and one page that uses it."""

from __future__ import annotations

import io
import re
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from scoresim.explore.blacklist import SORTS, Filters
from scoresim.explore.citizen import citizen_table
from scoresim.explore.data import ExplorerData
from scoresim.explore.errors import NotFoundError, UnreadableError
from scoresim.explore.whatif_api import add_whatif

__all__ = ["create_app"]

MAX_ID = 2**31 - 1
MAX_STEP = 100_000
MAX_MEASURES = 12

# Scenario names, and a sweep's entries ("point 2: fear=3, violation_penalty=10").
Scenario = Annotated[str, Query(min_length=1, max_length=300, pattern=r"^[A-Za-z0-9_.,:=+\- ]+$")]
Replicate = Annotated[int, Query(ge=0, le=1000)]
Step = Annotated[int | None, Query(ge=0, le=MAX_STEP)]
Cid = Annotated[int, PathParam(ge=0, le=MAX_ID)]
Sort = Annotated[str, Query(max_length=20)]
Order = Literal["asc", "desc"]
Dissenter = Literal["yes", "no"] | None
Occupation = Annotated[int | None, Query(ge=0, le=255)]
Income = Annotated[int | None, Query(ge=1, le=5)]
Band = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z ]+$")]
ExampleKind = Annotated[str, Query(max_length=30)]  # one of examples.KINDS


def _static_files() -> dict[str, tuple[Path, str]]:
    """The only files the app serves, by name: nothing from a request becomes a path."""
    here = resources.files("scoresim.explore") / "static"
    plotly_js = resources.files("plotly") / "package_data" / "plotly.min.js"
    return {
        "app.js": (Path(str(here / "app.js")), "text/javascript"),
        "story.js": (Path(str(here / "story.js")), "text/javascript"),
        "blacklist.js": (Path(str(here / "blacklist.js")), "text/javascript"),
        "style.css": (Path(str(here / "style.css")), "text/css"),
        "plotly.min.js": (Path(str(plotly_js)), "text/javascript"),
    }


def _csv(table: pa.Table, name: str) -> Response:
    """A table as a CSV download named ``name`` (made safe for a header)."""
    buf = io.BytesIO()
    pacsv.write_csv(table, buf)
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")[:120] or "table"
    return Response(
        buf.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
    )


def _filters(
    dissenter: str | None, occupation: int | None, income: int | None, band: str | None
) -> Filters:
    return Filters(None if dissenter is None else dissenter == "yes", occupation, income, band)


def _check_sort(sort: str) -> None:
    if sort not in SORTS:
        raise HTTPException(422, f"sort must be one of {', '.join(SORTS)}")


def _handlers(app: FastAPI) -> None:
    """Every error a request can meet answered as 404 or 422, with no server path."""

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(UnreadableError)
    async def unreadable(_: Request, exc: UnreadableError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc).splitlines()[0] if str(exc) else "bad value"}, 422)

    async def broken(_: Request, exc: Exception) -> JSONResponse:
        detail = f"a results file is unreadable ({type(exc).__name__})"
        return JSONResponse({"detail": detail}, status_code=422)

    for kind in (OSError, pa.ArrowException, duckdb.Error):
        app.add_exception_handler(kind, broken)  # a backstop: reads go through `reading`

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors()
        ]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=422)


def create_app(data: ExplorerData, whatif: bool = True) -> FastAPI:
    """The FastAPI app over one indexed results directory.

    Args:
        data: The indexed results.
        whatif: Add the what-if page, whose jobs are stored under ``RESULTS/whatif``.
    """
    app = FastAPI(title="scoresim explorer", docs_url="/api/docs", redoc_url=None)
    static = _static_files()
    page = (resources.files("scoresim.explore") / "static" / "index.html").read_text("utf-8")
    _handlers(app)

    @app.get("/", response_class=HTMLResponse)
    def index() -> str:
        return page

    @app.get("/static/{name}")
    def static_file(name: Annotated[str, PathParam(max_length=40)]) -> Response:
        if name not in static:
            raise HTTPException(404, f"no static file {name!r}")
        path, media = static[name]
        return FileResponse(
            path, media_type=media, headers={"Cache-Control": "public, max-age=3600"}
        )

    @app.get("/api/overview")
    def overview() -> dict[str, Any]:
        return data.overview()

    @app.get("/api/series")
    def series(
        measure: Annotated[list[str], Query(min_length=1, max_length=MAX_MEASURES)],
    ) -> dict[str, Any]:
        return {m: data.series(m) for m in measure}

    @app.get("/api/compare")
    def compare(step: Annotated[int, Query(ge=0, le=MAX_STEP)]) -> dict[str, Any]:
        return data.compare(step, data.results.headline())

    @app.get("/api/citizen/{cid}")
    def citizen(
        cid: Cid, scenario: Scenario, replicate: Replicate = 0, step: Step = None
    ) -> dict[str, Any]:
        return data.citizen(scenario, replicate, cid, step)

    @app.get("/api/citizen/{cid}/{table}.csv")
    def citizen_csv(
        cid: Cid,
        table: Literal["history", "friends", "changes"],
        scenario: Scenario,
        replicate: Replicate = 0,
        step: Step = None,
    ) -> Response:
        out = citizen_table(data, scenario, replicate, cid, step, table)
        return _csv(out, f"citizen-{cid}-{table}-{scenario}-r{replicate}")

    @app.get("/api/example")
    def example(
        scenario: Scenario,
        kind: ExampleKind,
        replicate: Replicate = 0,
        n: Annotated[int, Query(ge=0, le=MAX_ID)] = 0,
    ) -> dict[str, Any]:
        return data.example(scenario, replicate, kind, n)

    @app.get("/api/blacklist")
    def blacklist(
        scenario: Scenario,
        replicate: Replicate = 0,
        step: Step = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 25,
        sort: Sort = "score",
        order: Order = "asc",
        dissenter: Dissenter = None,
        occupation: Occupation = None,
        income: Income = None,
        band: Band = None,
    ) -> dict[str, Any]:
        _check_sort(sort)
        chosen = _filters(dissenter, occupation, income, band)
        return data.blacklist(scenario, replicate, step, page, size, sort, order == "desc", chosen)

    @app.get("/api/blacklist.csv")
    def blacklist_csv(
        scenario: Scenario,
        replicate: Replicate = 0,
        step: Step = None,
        sort: Sort = "score",
        order: Order = "asc",
        dissenter: Dissenter = None,
        occupation: Occupation = None,
        income: Income = None,
        band: Band = None,
    ) -> Response:
        _check_sort(sort)
        chosen = _filters(dissenter, occupation, income, band)
        out = data.blacklist_table(scenario, replicate, step, sort, order == "desc", chosen)
        return _csv(out, f"blacklist-{scenario}-r{replicate}")

    if whatif:
        add_whatif(app, data.root)
    return app
