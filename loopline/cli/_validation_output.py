"""How the validation commands print: profiles, schemas, anomalies and drift as tables for people."""

from __future__ import annotations

import json
from typing import Any

from loopline.cli import _output

MAX_EXAMPLE_CHARS = 80


def print_profile(stats: Any) -> None:
    from loopline.validation.profile_html import column_summary

    duplicates = "" if stats.duplicate_rows is None else f", {stats.duplicate_rows} duplicate rows"
    source = _output.escape(stats.source or "data")
    _output.console.print(f"[bold]{source}[/]: {stats.rows} rows, {len(stats.columns)} columns{duplicates}")
    rows = []
    for col in stats.columns:
        cells = column_summary(col)
        spread = f"{cells['mean']} ± {cells['std']}" if cells["mean"] else ""
        rows.append([
            col.name, col.kind.value, f"{col.missing} ({col.missing_fraction:.1%})" if col.missing else "0",
            f"{col.distinct}{'' if col.distinct_exact else '≈'}", cells["min"], cells["max"], spread, cells["top"],
        ])
    _table(None, ["column", "kind", "missing", "distinct", "min", "max", "mean ± std", "top values / notes"], rows)


def print_schema(schema: Any) -> None:
    rows = []
    for col in schema.columns:
        if col.min is not None or col.max is not None:
            allowed = f"{_number(col.min)} .. {_number(col.max)}"
        elif col.domain is not None:
            allowed = ", ".join(col.domain[:8]) + (f", … ({len(col.domain)} values)" if len(col.domain) > 8 else "")
        else:
            allowed = ""
        drift = ""
        if col.drift is not None:
            drift = " ".join(str(v) for v in (col.drift.measure, col.drift.threshold) if v is not None)
        marks = [m for m, on in (("label", col.name == schema.label), ("key", col.name in schema.key)) if on]
        rows.append([col.name + (f" ({', '.join(marks)})" if marks else ""), col.kind.value,
                     "yes" if col.required else "no", f"{col.max_missing_fraction:g}", allowed,
                     ", ".join(col.environments) if col.environments is not None else "all", drift])
    _table("Schema", ["column", "type", "required", "max missing", "allowed values", "environments", "drift"], rows)


def print_anomalies(result: Any, source: str, schema: str) -> None:
    if result.anomalies:
        rows = [[a.severity.value, a.code.value, a.column or "", a.message, _examples(a.examples)]
                for a in result.anomalies]
        _table("Anomalies", ["severity", "code", "column", "message", "examples"], rows)
    errors, warnings = len(result.errors), len(result.warnings)
    verdict = "[bold green]passed[/]" if result.passed else "[bold red]failed[/]"
    _output.console.print(
        f"{_output.escape(source)} against {_output.escape(schema)}: {verdict} "
        f"({errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''})"
    )


def print_drift(report: Any) -> None:
    rows = []
    for c in report.columns:
        note = c.reason or ("approximate (from histograms)" if c.approximate else "")
        rows.append([c.column, c.kind, c.measure_title or "", _number(c.statistic), _number(c.p_value),
                     _number(c.threshold), c.verdict.value, f"{c.reference_count} / {c.current_count}", note])
    _table("Drift", ["column", "kind", "measure", "statistic", "p-value", "threshold", "verdict",
                     "values (ref / cur)", "note"], rows)
    change = report.rows.relative_change
    shift = f" ({change:+.1%})" if change is not None else ""
    verdict = "[bold red]yes[/]" if report.dataset_drift else "[bold green]no[/]"
    _output.console.print(
        f"dataset drift: {verdict} ({len(report.drifted_columns)} of {len(report.columns)} columns drifted, "
        f"{report.drift_share:.0%}; threshold {report.share_threshold:.0%}); "
        f"rows {report.rows.reference} → {report.rows.current}{shift}"
    )


def print_schema_versions(rows: list[tuple[str, int, Any]]) -> None:
    """One row per schema name: how many versions, and the latest one's record."""
    _table("Schemas", ["name", "versions", "latest", "saved"],
           [[name, count, f"artifact/{latest.id}", _output.when(latest.created_at)] for name, count, latest in rows])


def _table(title: str | None, columns: list[str], rows: list[list[Any]]) -> None:
    """Every cell is escaped: values from the data must not be read as Rich markup."""
    _output.table(title, columns, [[_output.escape("" if cell is None else cell) for cell in row] for row in rows])


def _examples(examples: tuple[Any, ...]) -> str:
    if not examples:
        return ""
    text = "; ".join(json.dumps(e, ensure_ascii=False, default=str) for e in examples[:2])
    return text if len(text) <= MAX_EXAMPLE_CHARS else text[: MAX_EXAMPLE_CHARS - 1] + "…"


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:.4g}"


__all__ = ["print_anomalies", "print_drift", "print_profile", "print_schema", "print_schema_versions"]
