"""The audit log: filterable, paged back by sequence number, with the result of verifying its hash chain."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from loopline.ui.access import reader
from loopline.ui.models import plain
from loopline.ui.rendering import render

router = APIRouter(dependencies=[Depends(reader)])
PAGE = 50


class Verification(BaseModel):
    ok: bool
    checked: int
    first_bad: int | None
    problem: str | None


class AuditPage(BaseModel):
    events: list[dict[str, Any]]
    next_before: int | None
    verification: Verification | None


def audit_page(workspace: Any, *, action: str | None = None, actor: str | None = None, target: str | None = None,
               before: int | None = None, limit: int = PAGE, verify: bool = True) -> AuditPage:
    log = workspace.registry.audit
    events = log.list(limit=limit + 1, before=before, action=action or None, actor=actor or None,
                      target=target or None)
    more = len(events) > limit
    events = events[:limit]
    verification = None
    if verify:
        found = log.verify()
        verification = Verification(ok=found.ok, checked=found.checked, first_bad=found.first_bad,
                                    problem=found.problem)
    return AuditPage(events=plain(events), next_before=events[-1].seq if more else None, verification=verification)


@router.get("/api/audit", response_model=AuditPage, tags=["audit"],
            summary="Audit events, newest first, with the chain verification (action 'model.' matches a prefix)")
def api_audit(request: Request, action: str | None = None, actor: str | None = None, target: str | None = None,
              before: int | None = Query(None, ge=1), limit: int = Query(PAGE, ge=1, le=1000),
              verify: bool = True) -> AuditPage:
    return audit_page(request.app.state.workspace, action=action, actor=actor, target=target, before=before,
                      limit=limit, verify=verify)


@router.get("/audit", include_in_schema=False)
def audit_html(request: Request, action: str | None = None, actor: str | None = None, target: str | None = None,
               before: int | None = Query(None, ge=1)) -> Any:
    page = audit_page(request.app.state.workspace, action=action, actor=actor, target=target, before=before)
    return render(request, "audit.html", {"title": "Audit log", "section": "audit", "page": page,
                                          "filters": {"action": action or "", "actor": actor or "",
                                                      "target": target or ""}})


__all__ = ["AuditPage", "audit_page", "router"]
