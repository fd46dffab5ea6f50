"""The web dashboard: pages and a documented JSON API over the workspace's stores, in one FastAPI app."""

from loopline.ui.app import create_app
from loopline.ui.server import UiConfig, serve_ui

__all__ = ["UiConfig", "create_app", "serve_ui"]
