"""The explorer's web app: a read-only JSON (and CSV) API and one page that uses it."""

from __future__ import annotations

import io
import re
from collections.abc import Collection
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
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp

from scoresim.explore.blacklist import SORTS, Filters
from scoresim.explore.citizen import citizen_table
from scoresim.explore.data import ExplorerData
from scoresim.explore.errors import NotFoundError, UnreadableError, without_paths
from scoresim.explore.guard import Guard
from scoresim.explore.whatif_api import add_whatif

__all__ = ["create_app"]

MAX_ID = 2**31 - 1
MAX_STEP = 100_000
MAX_MEASURES = 12

# Scenario names, and a sweep's entries ("point 2: fear=3, violation_penalty=10"): any
# name, "policy (v2)" too, is looked up in the index (404 if not there), never a path.
Scenario = Annotated[str, Query(min_length=1, max_length=1000)]
Replicate = Annotated[int, Query(ge=0, le=1000)]
Step = Annotated[int | None, Query(ge=0, le=MAX_STEP)]
Cid = Annotated[int, PathParam(ge=0, le=MAX_ID)]
Sort = Annotated[str, Query(max_length=20)]
Order = Literal["asc", "desc"]
Dissenter = Literal["yes", "no"] | None
Occupation = Annotated[int | None, Query(ge=0, le=255)]
Income = Annotated[int | None, Query(ge=1, le=5)]
Band = Annotated[str | None, Query(max_length=200)]  # one of the scenario's band labels
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


def _handlers(app: FastAPI, root: Path) -> None:
    """Every error a request can meet answered as 404 or 422, with no server path.

    Messages are written without paths; ``without_paths`` is the last guard for those a
    library writes (pyarrow names the file it could not open).
    """

    def answer(detail: str, status: int) -> JSONResponse:
        return JSONResponse({"detail": without_paths(detail, root)}, status_code=status)

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return answer(str(exc), 404)

    @app.exception_handler(UnreadableError)
    async def unreadable(_: Request, exc: UnreadableError) -> JSONResponse:
        return answer(str(exc), 422)

    async def broken(_: Request, exc: Exception) -> JSONResponse:
        return answer(f"a results file is unreadable ({type(exc).__name__})", 422)

    @app.exception_handler(ValueError)
    async def bad_value(request: Request, exc: ValueError) -> JSONResponse:
        if isinstance(exc, pa.ArrowException):  # ArrowInvalid is a ValueError naming its file
            return await broken(request, exc)
        return answer(str(exc).splitlines()[0] if str(exc) else "bad value", 422)

    for kind in (OSError, pa.ArrowException, duckdb.Error):
        app.add_exception_handler(kind, broken)  # a backstop: reads go through `reading`

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code in (204, 304):
            return Response(status_code=exc.status_code, headers=exc.headers)
        detail = without_paths(exc.detail, root) if isinstance(exc.detail, str) else exc.detail
        return JSONResponse({"detail": detail}, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors()
        ]
        return answer("; ".join(problems), 422)


class _Explorer(FastAPI):
    """FastAPI with :class:`Guard` outermost: also errors and 500s get the headers."""

    hosts: Collection[str] | None = None

    def build_middleware_stack(self) -> ASGIApp:
        """The usual stack inside the Host check and security headers."""
        return Guard(super().build_middleware_stack(), self.hosts)


def create_app(
    data: ExplorerData, whatif: bool = True, hosts: Collection[str] | None = None
) -> FastAPI:
    """The FastAPI app over one indexed results directory.

    Every answer carries the security headers (:data:`~scoresim.explore.guard.CSP` and
    others). The interactive API docs are off: they load Swagger UI from a CDN; the schema
    is at ``/openapi.json``.

    Args:
        data: The indexed results.
        whatif: Add the what-if page, whose jobs are stored under ``RESULTS/whatif``.
        hosts: The Host header values answered (see
            :func:`~scoresim.explore.guard.allowed_hosts`); others get 400. None: any, for
            an app that is not served on a socket (tests' clients say ``testserver``).
    """
    # No redirects: a trailing slash is a 404, so no answer points elsewhere.
    app = _Explorer(
        title="scoresim explorer", docs_url=None, redoc_url=None, redirect_slashes=False
    )
    app.hosts = hosts
    static = _static_files()
    page = (resources.files("scoresim.explore") / "static" / "index.html").read_text("utf-8")
    _handlers(app, data.root)

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
