"""Lineage node references as people type them: ``artifact/12``, ``execution/3``, ``run/7`` (or ``a12``, ...)."""

from __future__ import annotations

import re

from loopline.errors import InvalidInputError, did_you_mean
from loopline.metadata.records import NodeRef

NODE_KINDS = ("artifact", "execution", "run")
_SHORT = {kind[0]: kind for kind in NODE_KINDS}
_LONG = re.compile(r"([a-z]+)\s*[/:]\s*(\d+)")
_ABBREVIATED = re.compile(r"([aer])(\d+)")
_FORMS = "artifact/12, execution/3 or run/7 (short: a12, e3, r7)"


def parse_ref(text: str) -> NodeRef:
    """The NodeRef that ``text`` names; InvalidInputError with the accepted forms otherwise."""
    if not isinstance(text, str):
        raise InvalidInputError(f"a lineage reference must be text such as {_FORMS}, got {text!r}")
    cleaned = text.strip().lower()
    short = _ABBREVIATED.fullmatch(cleaned)
    if short:
        return NodeRef(_SHORT[short.group(1)], _positive(short.group(2), text))
    long = _LONG.fullmatch(cleaned)
    if long and long.group(1) in NODE_KINDS:
        return NodeRef(long.group(1), _positive(long.group(2), text))
    hint = did_you_mean(long.group(1), NODE_KINDS) if long else None
    raise InvalidInputError(f"'{text}' is not a lineage reference; expected {_FORMS}", hint=hint)


def _positive(digits: str, text: str) -> int:
    value = int(digits)
    if value < 1:
        raise InvalidInputError(f"'{text}' names id {value}; ids start at 1")
    return value


__all__ = ["NODE_KINDS", "parse_ref"]
