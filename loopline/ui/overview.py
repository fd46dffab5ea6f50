"""The front page's numbers: recent runs, models and their aliases, deployments, firing alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from loopline.metadata import tables


def overview(workspace: Any) -> dict[str, Any]:
    from loopline.ui.runs import runs_page

    db = workspace.registry.db

    def counts(conn: Connection) -> dict[str, Any]:
        def count(table: Any) -> int:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())

        firing = conn.execute(select(func.count()).select_from(tables.alert_states)
                              .where(tables.alert_states.c.state == "firing")).scalar_one()
        return {"runs": count(tables.runs), "artifacts": count(tables.artifacts), "models": count(tables.registered_models),
                "deployments": count(tables.deployments), "firing": int(firing)}

    return {"counts": db.read(counts), "runs": runs_page(db, limit=10).runs, "models": workspace.registry.models()[:20],
            "root": str(workspace.root)}


__all__ = ["overview"]
