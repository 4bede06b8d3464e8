"""The explorer's web app: a read-only JSON API and one page that uses it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response

from scoresim.explore.data import BLACKLIST_SORTS, ExplorerData, NotFoundError

__all__ = ["create_app"]

MAX_ID = 2**31 - 1
MAX_STEP = 100_000
MAX_MEASURES = 12

Scenario = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.\- ]+$")]
Replicate = Annotated[int, Query(ge=0, le=1000)]
Step = Annotated[int | None, Query(ge=0, le=MAX_STEP)]


def _static_files() -> dict[str, tuple[Path, str]]:
    """The only files the app serves, by name: nothing from a request becomes a path."""
    here = resources.files("scoresim.explore") / "static"
    plotly_js = resources.files("plotly") / "package_data" / "plotly.min.js"
    return {
        "app.js": (Path(str(here / "app.js")), "text/javascript"),
        "style.css": (Path(str(here / "style.css")), "text/css"),
        "plotly.min.js": (Path(str(plotly_js)), "text/javascript"),
    }


def create_app(data: ExplorerData) -> FastAPI:
    """The FastAPI app over one indexed results directory."""
    app = FastAPI(title="scoresim explorer", docs_url="/api/docs", redoc_url=None)
    static = _static_files()
    page = (resources.files("scoresim.explore") / "static" / "index.html").read_text("utf-8")

    @app.exception_handler(NotFoundError)
    async def not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=404)

    @app.exception_handler(ValueError)
    async def bad_value(_: Request, exc: ValueError) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=422)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            f"{'.'.join(str(p) for p in e['loc'][1:]) or 'request'}: {e['msg']}"
            for e in exc.errors()
        ]
        return JSONResponse({"detail": "; ".join(problems)}, status_code=422)

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
        measures = data.results.headline()
        return {"step": step, "measures": measures, "values": data.at_step(step, measures)}

    @app.get("/api/citizen/{cid}")
    def citizen(
        cid: Annotated[int, PathParam(ge=0, le=MAX_ID)],
        scenario: Scenario,
        replicate: Replicate = 0,
        step: Step = None,
    ) -> dict[str, Any]:
        return data.citizen(scenario, replicate, cid, step)

    @app.get("/api/blacklist")
    def blacklist(
        scenario: Scenario,
        replicate: Replicate = 0,
        step: Step = None,
        page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
        size: Annotated[int, Query(ge=1, le=100)] = 25,
        sort: Annotated[str, Query(max_length=20)] = "score",
        order: Literal["asc", "desc"] = "asc",
    ) -> dict[str, Any]:
        if sort not in BLACKLIST_SORTS:
            raise HTTPException(422, f"sort must be one of {', '.join(BLACKLIST_SORTS)}")
        return data.blacklist(scenario, replicate, step, page, size, sort, order == "desc")

    return app
