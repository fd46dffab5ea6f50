"""Models: registered models, versions, aliases and their history, evaluation, blessing, model card, and actions.

Approve, reject, promote and roll back go through the same ``Registry`` calls as the
CLI, as the user the request authenticated: the registry checks that user's role and the
alias's policy, records the decision or refusal in the audit log, and a refusal comes
back with every unmet condition, which the page shows.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool
from starlette.responses import RedirectResponse

from loopline.errors import LooplineError
from loopline.registry.records import Identity
from loopline.ui.access import check_csrf, reader
from loopline.ui.decisions import AUTOMATIC_PREFIXES, Decision, model_decisions
from loopline.ui.rendering import SECURITY_HEADERS, render, url_part

router = APIRouter(dependencies=[Depends(reader)])
Action = Literal["approve", "reject", "promote", "rollback"]
DONE = {"approve": "approved", "reject": "rejected", "promote": "promoted", "rollback": "rolled back"}


def plain(value: Any) -> Any:
    """Records as JSON-ready values; NaN and infinities become None."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return plain(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    return value


class ModelsPage(BaseModel):
    models: list[dict[str, Any]]


class ModelPage(BaseModel):
    model: dict[str, Any]
    versions: list[dict[str, Any]]
    alias_history: list[dict[str, Any]]
    decisions: list[Decision] = Field(default=[], description="promotions, rollbacks, holds, requests and "
                                      "refusals from the audit log, newest first, each marked automatic or not")


class VersionPage(BaseModel):
    version: dict[str, Any]
    aliases: dict[str, int]
    policy_checks: list[dict[str, Any]] = Field(description="each alias's policy as it would judge a promotion "
                                                "of this version by the current user")
    approvals: list[dict[str, Any]]
    alias_history: list[dict[str, Any]]
    evaluation: dict[str, Any] | None
    blessing: dict[str, Any] | None
    card: dict[str, Any]
    card_markdown: str


class ActionRequest(BaseModel):
    alias: str | None = Field(None, description="the alias (needed to promote and roll back; optional to approve)")
    comment: str = Field("", max_length=10_000, description="a comment (approve, reject) or reason (promote, roll back)")


class ActionResult(BaseModel):
    action: str
    done: dict[str, Any]


def models_page(workspace: Any) -> ModelsPage:
    return ModelsPage(models=[plain(m) for m in workspace.registry.models()])


def model_page(workspace: Any, name: str) -> ModelPage:
    registry = workspace.registry
    history = [_move(move) for move in registry.alias_history(name, limit=100)]
    return ModelPage(model=plain(registry.get_model(name)), versions=plain(registry.versions(name, limit=200)),
                     alias_history=history, decisions=registry.db.read(lambda conn: model_decisions(conn, name)))


def _move(move: Any) -> dict[str, Any]:
    """An alias move, marked automatic when continuous delivery or the rollback guard made it."""
    return {**plain(move), "automatic": str(getattr(move, "reason", "")).startswith(AUTOMATIC_PREFIXES)}


def policy_aliases(workspace: Any, aliases: dict[str, int]) -> list[str]:
    return sorted({*workspace.registry.policies, *aliases, "production"})


def version_page(workspace: Any, name: str, version: int, user: str) -> VersionPage:
    registry = workspace.registry
    found = registry.get_version(name, version)
    model = registry.get_model(name)
    card = registry.card(f"{name}/{version}")
    checks = [registry.check(name, version, alias, user=user) for alias in policy_aliases(workspace, model.aliases)]
    return VersionPage(
        version=plain(found), aliases=dict(model.aliases),
        policy_checks=[{**plain(c), "allowed": c.allowed} for c in checks],
        approvals=plain(card.approvals), alias_history=[_move(m) for m in card.alias_history],
        evaluation=plain(card.evaluation), blessing=plain(card.blessing),
        card={k: plain(v) for k, v in (("package", card.package), ("run", card.run),
                                       ("training_data", card.training_data), ("scoping", card.scoping),
                                       ("limitations", card.limitations), ("provenance", card.provenance))},
        card_markdown=card.to_markdown(),
    )


def act(workspace: Any, identity: Identity, action: str, name: str, version: int | None, alias: str | None,
        comment: str) -> dict[str, Any]:
    """Do ``action`` as ``identity`` through the registry (its roles and policies decide)."""
    from loopline.errors import InvalidInputError

    registry = workspace.registry
    alias = alias or None
    if action in ("promote", "rollback") and alias is None:
        raise InvalidInputError(f"to {action}, choose an alias")
    if action == "approve":
        return plain(registry.approve(name, version, user=identity.name, alias=alias, comment=comment))
    if action == "reject":
        return plain(registry.reject(name, version, user=identity.name, alias=alias, comment=comment))
    if action == "promote":
        return plain(registry.promote(name, version, alias, user=identity.name, reason=comment))
    if action == "rollback":
        return plain(registry.rollback(name, alias, user=identity.name, reason=comment))
    raise InvalidInputError(f"unknown action '{action}'", hint="approve, reject, promote or rollback")


def _card_html(markdown: str) -> Any:
    from markdown_it import MarkdownIt
    from markupsafe import Markup

    return Markup(MarkdownIt("commonmark", {"html": False}).enable("table").render(markdown))


# -- JSON API ------------------------------------------------------------------------------------

@router.get("/api/models", response_model=ModelsPage, tags=["models"], summary="Registered models")
def api_models(request: Request) -> ModelsPage:
    return models_page(request.app.state.workspace)


@router.get("/api/models/{name}", response_model=ModelPage, tags=["models"],
            summary="A model: aliases, versions, alias history")
def api_model(request: Request, name: str) -> ModelPage:
    return model_page(request.app.state.workspace, name)


@router.get("/api/models/{name}/versions/{version}", response_model=VersionPage, tags=["models"],
            summary="A version: policy checks, approvals, evaluation with slices, blessing, model card")
def api_version(request: Request, name: str, version: int,
                identity: Identity = Depends(reader)) -> VersionPage:
    return version_page(request.app.state.workspace, name, version, identity.name)


@router.post("/api/models/{name}/versions/{version}/{action}", response_model=ActionResult, tags=["models"],
             summary="Approve, reject or promote a version (the registry's roles and policies apply)")
async def api_version_action(request: Request, name: str, version: int, action: Literal["approve", "reject", "promote"],
                             body: ActionRequest, identity: Identity = Depends(reader)) -> ActionResult:
    check_csrf(request, None)
    done = await run_in_threadpool(act, request.app.state.workspace, identity, action, name, version, body.alias,
                                   body.comment)
    return ActionResult(action=action, done=done)


@router.post("/api/models/{name}/aliases/{alias}/rollback", response_model=ActionResult, tags=["models"],
             summary="Move an alias back to its previous version")
async def api_rollback(request: Request, name: str, alias: str, body: ActionRequest,
                       identity: Identity = Depends(reader)) -> ActionResult:
    check_csrf(request, None)
    done = await run_in_threadpool(act, request.app.state.workspace, identity, "rollback", name, None, alias,
                                   body.comment)
    return ActionResult(action="rollback", done=done)


# -- pages ---------------------------------------------------------------------------------------

@router.get("/models", include_in_schema=False)
def models_html(request: Request) -> Any:
    return render(request, "models.html", {"title": "Models", "section": "models",
                                           "page": models_page(request.app.state.workspace)})


@router.get("/models/{name}", include_in_schema=False)
def model_html(request: Request, name: str, done: str | None = None) -> Any:
    page = model_page(request.app.state.workspace, name)
    return render(request, "model.html", {"title": f"Model {name}", "section": "models", "page": page,
                                          "message": _message(done)})


def _message(done: str | None) -> str | None:
    return f"Done: {done}." if done in DONE.values() else None


def _version_html(request: Request, name: str, version: int, identity: Identity, *, message: str | None = None,
                  failure: dict[str, Any] | None = None, status_code: int = 200) -> Any:
    workspace = request.app.state.workspace
    page = version_page(workspace, name, version, identity.name)
    return render(request, "version.html", {
        "title": f"{name} version {version}", "section": "models", "page": page, "name": name, "number": version,
        "card_html": _card_html(page.card_markdown), "message": message, "failure": failure,
        "alias_choices": policy_aliases(workspace, page.aliases),
    }, status_code=status_code)


@router.get("/models/{name}/versions/{version}", include_in_schema=False)
def version_html(request: Request, name: str, version: int, done: str | None = None,
                 identity: Identity = Depends(reader)) -> Any:
    return _version_html(request, name, version, identity, message=_message(done))


@router.post("/models/{name}/versions/{version}/{action}", include_in_schema=False)
async def version_action_html(request: Request, name: str, version: int, action: Literal["approve", "reject", "promote"],
                              identity: Identity = Depends(reader), alias: str = Form(""),
                              comment: str = Form("", max_length=10_000), csrf_token: str = Form("")) -> Any:
    check_csrf(request, csrf_token)
    try:
        await run_in_threadpool(act, request.app.state.workspace, identity, action, name, version, alias, comment)
    except LooplineError as exc:
        from loopline.ui.app import error_body

        return await run_in_threadpool(_version_html, request, name, version, identity, failure=error_body(exc),
                                       status_code=exc.http_status)
    target = f"/models/{url_part(name)}/versions/{version}?done={url_part(DONE[action])}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)


@router.post("/models/{name}/aliases/{alias}/rollback", include_in_schema=False)
async def rollback_html(request: Request, name: str, alias: str, identity: Identity = Depends(reader),
                        comment: str = Form("", max_length=10_000), csrf_token: str = Form(""),
                        version: int | None = Query(None)) -> Any:
    check_csrf(request, csrf_token)
    try:
        await run_in_threadpool(act, request.app.state.workspace, identity, "rollback", name, None, alias, comment)
    except LooplineError as exc:
        from loopline.ui.app import error_body

        if version is not None:
            return await run_in_threadpool(_version_html, request, name, version, identity, failure=error_body(exc),
                                           status_code=exc.http_status)
        page = model_page(request.app.state.workspace, name)
        return render(request, "model.html", {"title": f"Model {name}", "section": "models", "page": page,
                                              "failure": error_body(exc)}, status_code=exc.http_status)
    return RedirectResponse(f"/models/{url_part(name)}?done=rolled+back", status_code=303, headers=SECURITY_HEADERS)


__all__ = ["ModelPage", "ModelsPage", "VersionPage", "act", "model_page", "models_page", "router", "version_page"]
