"""Bundled example workspaces: ``default`` (a small regression) and ``bikes`` (bike-sharing demand)."""

from loopline.examples.scaffold import EXAMPLES, write_workspace

__all__ = ["EXAMPLES", "write_workspace"]
