"""Starting the dashboard: the address check, then uvicorn.

The dashboard binds 127.0.0.1 unless told otherwise. On any other address every request
needs an API token, and it refuses to start when the workspace has no active token
(the same rule as the prediction server, see ``loopline.serving.server``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from loopline.serving.errors import ServerConfigError
from loopline.serving.server import is_loopback


class UiConfig(BaseModel):
    """Where to serve the dashboard of which workspace."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    workspace: str
    host: str = "127.0.0.1"
    port: int = Field(8090, ge=0, le=65535)
    require_tokens: bool | None = Field(None, description="None: required exactly when the address is not loopback")

    @property
    def needs_tokens(self) -> bool:
        if self.require_tokens is False and not is_loopback(self.host):
            raise ServerConfigError(
                f"refusing to serve the dashboard on {self.host} without API tokens: anyone who can reach it "
                "could read the workspace and act in it",
                hint="drop --no-require-tokens, or bind 127.0.0.1",
            )
        return bool(self.require_tokens) or not is_loopback(self.host)


def build_app(config: UiConfig) -> Any:
    """The dashboard app of ``config``'s workspace (checked: tokens exist when they are needed)."""
    from datetime import UTC, datetime

    from loopline.ui.app import create_app
    from loopline.workspace import Workspace

    workspace = Workspace.find(config.workspace)
    try:
        needs_tokens = config.needs_tokens
        if needs_tokens and not any(t.is_active(datetime.now(UTC)) for t in workspace.registry.tokens.list()):
            raise ServerConfigError(
                f"serving the dashboard on {config.host} needs API tokens, and this workspace has no active one",
                hint="create one with 'loopline tokens create USER' (users with 'loopline users add'), "
                "or serve on 127.0.0.1",
            )
        return create_app(workspace, tokens_required=needs_tokens, close_workspace=True)
    except BaseException:
        workspace.close()
        raise


def serve_ui(config: UiConfig) -> None:
    """Run the dashboard until Ctrl-C or SIGTERM (blocks)."""
    import uvicorn

    app = build_app(config)
    uvicorn.run(app, host=config.host, port=config.port, log_level="info", server_header=False,
                timeout_keep_alive=5)


__all__ = ["UiConfig", "build_app", "serve_ui"]
