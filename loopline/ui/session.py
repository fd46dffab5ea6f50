"""The front page, logging in and out with an API token, and who the dashboard thinks you are."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from loopline.errors import LooplineError
from loopline.registry.records import Identity
from loopline.ui import access
from loopline.ui.rendering import SECURITY_HEADERS, render

router = APIRouter()


class Me(BaseModel):
    name: str
    role: str | None
    open_mode: bool
    tokens_required: bool


@router.get("/api/me", response_model=Me, tags=["session"], summary="The user the dashboard acts as")
def api_me(request: Request, identity: Identity = Depends(access.reader)) -> Me:
    return Me(name=identity.name, role=identity.role, open_mode=identity.open_mode,
              tokens_required=request.app.state.tokens_required)


@router.get("/", include_in_schema=False)
async def home(request: Request, identity: Identity = Depends(access.reader)) -> Any:
    from loopline.ui.overview import overview

    found = await run_in_threadpool(overview, request.app.state.workspace)
    return render(request, "home.html", {"title": "Overview", "section": "", "o": found})


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str = "/") -> Any:
    request.state.csrf_token = access.csrf_token(request)
    return render(request, "login.html", {"title": "Log in", "next": access.safe_next(next)})


@router.post("/login", include_in_schema=False)
async def login(request: Request, token: str = Form(..., max_length=200), next: str = Form("/"),
                csrf_token: str = Form("")) -> Any:
    request.state.via_header = False
    access.check_csrf(request, csrf_token)
    try:
        await request.app.state.authenticator.check(f"Bearer {token.strip()}", "read")
    except LooplineError as exc:
        request.state.csrf_token = access.csrf_token(request)
        return render(request, "login.html", {"title": "Log in", "next": access.safe_next(next),
                                              "failure": {"error": exc.message, "hint": exc.hint}}, status_code=401)
    response = RedirectResponse(access.safe_next(next), status_code=303, headers=SECURITY_HEADERS)
    access.set_session_cookie(request, response, token.strip())
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf_token: str = Form("")) -> Any:
    request.state.via_header = False
    access.check_csrf(request, csrf_token)
    response = RedirectResponse("/login", status_code=303, headers=SECURITY_HEADERS)
    access.clear_session_cookie(response)
    return response


__all__ = ["router"]
