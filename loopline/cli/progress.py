"""A live display of a pipeline run, fed by the runner's events."""

from __future__ import annotations

from typing import Any

from loopline.cli import _output

_STYLE = {
    "StepStarted": ("running", "yellow"),
    "StepCached": ("cached", "cyan"),
    "StepFinished": ("done", "green"),
    "StepFailed": ("failed", "red"),
    "StepSkipped": ("skipped", "dim"),
}


class RunProgress:
    """Callable sink for run events: a Rich live table on a terminal, plain lines elsewhere."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._states: dict[str, tuple[str, str, str]] = {}
        self._live: Any = None

    def __enter__(self) -> RunProgress:
        if self.enabled and _output.console.is_terminal:
            from rich.live import Live

            self._live = Live(self._render(), console=_output.console, refresh_per_second=8, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.update(self._render())
            self._live.__exit__(None, None, None)

    def __call__(self, event: Any) -> None:
        if not self.enabled:
            return
        kind = type(event).__name__
        if kind not in _STYLE:
            return
        label, colour = _STYLE[kind]
        step = getattr(event, "step", "?")
        duration = getattr(event, "duration_s", None)
        self._states[step] = (label, colour, _output.seconds(duration))
        if self._live is not None:
            self._live.update(self._render())
        elif kind != "StepStarted":
            extra = f" ({_output.seconds(duration)})" if duration is not None else ""
            _output.console.print(f"  [{colour}]{label:>7}[/] {_output.escape(step)}{extra}")

    def _render(self) -> Any:
        from rich.table import Table

        grid = Table.grid(padding=(0, 2))
        for step, (label, colour, duration) in self._states.items():
            marker = "…" if label == "running" else "•"
            grid.add_row(f"[{colour}]{marker} {label}[/]", _output.escape(step), duration)
        return grid
