"""The what-if page and its JSON API, added to the explorer's app."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse
from starlette.requests import ClientDisconnect

from scoresim.core.errors import InputError
from scoresim.explore.errors import without_paths
from scoresim.explore.whatif import Jobs, QueueFullError
from scoresim.explore.whatif_request import (
    AGENTS,
    KNOBS,
    PRESETS,
    REPLICATES,
    SUMMARY_FILE,
    YEARS,
    JobRequest,
)
from scoresim.explore.whatif_result import citizen_in_both, summary
from scoresim.scenario import load_scenario

__all__ = ["add_whatif"]

JobId = Annotated[str, PathParam(pattern=r"^[0-9a-f]{16}$")]
#: The largest request body read (a what-if asks a handful of values).
MAX_BODY = 4096


async def _body(request: Request) -> bytes:
    """The request's body, read no further than ``MAX_BODY`` bytes.

    Raises:
        HTTPException: 413 past ``MAX_BODY``; 400 if the client went before sending it all
            (e.g. dropped by the server's deadline for a request's arrival).
    """
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > MAX_BODY:  # said before a large body is held in memory
                raise HTTPException(413, f"request body over {MAX_BODY} bytes")
            chunks.append(chunk)
    except ClientDisconnect:
        raise HTTPException(400, "the request body did not arrive whole") from None
    return b"".join(chunks)


def add_whatif(app: FastAPI, root: Path, workers: int = 1, queue: int = 3) -> Jobs:
    """Add the what-if page and API to ``app``; jobs are stored under ``root/whatif``."""
    jobs = Jobs(root, workers, queue)
    static = resources.files("scoresim.explore") / "static"
    page = (static / "whatif.html").read_text("utf-8")
    script = Path(str(static / "whatif.js"))
    app.router.on_shutdown.append(jobs.close)

    @app.get("/whatif", response_class=HTMLResponse)
    def whatif_page() -> str:
        return page

    @app.get("/whatif/app.js")
    def whatif_script() -> FileResponse:
        return FileResponse(script, media_type="text/javascript")

    @app.get("/api/whatif/knobs")
    def knobs(
        preset: Annotated[str, Query(max_length=60)] = PRESETS[0],
    ) -> dict[str, Any]:
        if preset not in PRESETS:
            raise HTTPException(422, f"preset = {preset!r}: allowed: {', '.join(PRESETS)}")
        scenario = load_scenario(preset).model_dump(mode="json")
        return {
            "presets": list(PRESETS),
            "preset": preset,
            "knobs": [k.describe(scenario) for k in KNOBS],
            "agents": {"low": AGENTS[0], "high": AGENTS[1]},
            "years": {"low": YEARS[0], "high": YEARS[1]},
            "replicates": REPLICATES,
        }

    @app.post("/api/whatif")
    async def submit(request: Request) -> dict[str, Any]:
        body = await _body(request)
        try:
            parsed = JobRequest.parse(json.loads(body or b"{}"))
            return jobs.submit(parsed)
        except RecursionError:
            raise HTTPException(422, "the request is nested too deeply") from None
        except (ValueError, InputError) as exc:  # JSONDecodeError is a ValueError
            raise HTTPException(422, str(exc).splitlines()[0]) from None
        except QueueFullError as exc:
            raise HTTPException(429, str(exc)) from None
        except OSError:
            raise HTTPException(503, "cannot store what-if results in this directory") from None

    @app.get("/api/whatif/{job_id}")
    def state(job_id: JobId) -> dict[str, Any]:
        try:
            out = jobs.state(job_id)
        except KeyError:
            raise HTTPException(404, f"no what-if {job_id}") from None
        if "error" in out:  # a worker's message may name the file it failed on
            out["error"] = without_paths(str(out["error"]), root)
        if out["status"] == "done":
            try:
                out["result"] = summary(jobs.directory(job_id))
            except FileNotFoundError:  # removed meanwhile (a cancel just after its end)
                raise HTTPException(404, f"no what-if {job_id}") from None
            except ValueError as exc:
                raise HTTPException(422, str(exc)) from None
        return out

    @app.delete("/api/whatif/{job_id}")
    def cancel(job_id: JobId) -> dict[str, Any]:
        try:
            return jobs.cancel(job_id)
        except KeyError:
            raise HTTPException(404, f"no what-if {job_id} running here") from None

    @app.get("/api/whatif/{job_id}/citizen/{cid}")
    def citizen(
        job_id: JobId, cid: Annotated[int, PathParam(ge=0, le=2**31 - 1)]
    ) -> dict[str, Any]:
        directory = jobs.directory(job_id)
        if not (directory / SUMMARY_FILE).is_file():
            raise HTTPException(404, f"no finished what-if {job_id}")
        try:
            return citizen_in_both(directory, cid)
        except KeyError:
            raise HTTPException(404, f"no citizen {cid} in this what-if") from None

    return jobs
