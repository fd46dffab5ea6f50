"""Model references as people type them: ``bikes@production``, ``bikes/3``, ``bikes`` (the newest version)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from loopline.errors import InvalidInputError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_ALIAS = re.compile(r"[a-z][a-z0-9_-]{0,63}")
_FORMS = "NAME@ALIAS (bikes@production), NAME/VERSION (bikes/3) or NAME (its newest version)"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A parsed reference: exactly one of ``alias`` and ``version`` is set, or neither (the newest)."""

    name: str
    alias: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.alias is not None:
            return f"{self.name}@{self.alias}"
        return f"{self.name}/{self.version}" if self.version is not None else self.name


def check_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidInputError(
            f"{name!r} is not a model name",
            hint="use letters, digits, '.', '_' and '-' (up to 128, starting with a letter or digit)",
        )
    return name


def check_alias(alias: object) -> str:
    if not isinstance(alias, str) or not _ALIAS.fullmatch(alias):
        raise InvalidInputError(
            f"{alias!r} is not an alias name",
            hint="use lower-case letters, digits, '_' and '-', starting with a letter (production, staging, ...)",
        )
    return alias


def check_version(version: object) -> int:
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise InvalidInputError(f"{version!r} is not a version number; versions are 1, 2, 3, ...")
    return version


def parse_model_ref(text: str) -> ModelRef:
    """The ModelRef ``text`` names; InvalidInputError with the accepted forms otherwise."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(f"{text!r} is not a model reference; expected {_FORMS}")
    cleaned = text.strip()
    try:
        if "@" in cleaned:
            name, alias = cleaned.split("@", 1)
            return ModelRef(check_name(name), alias=check_alias(alias))
        if "/" in cleaned:
            name, number = cleaned.split("/", 1)
            check_name(name)
            if not number.isdigit():
                raise InvalidInputError(f"'{number}' is not a version number")
            return ModelRef(name, version=check_version(int(number)))
        return ModelRef(check_name(cleaned))
    except InvalidInputError as exc:
        raise InvalidInputError(f"'{text}' is not a model reference ({exc.message}); expected {_FORMS}") from None


__all__ = ["ModelRef", "check_alias", "check_name", "check_version", "parse_model_ref"]
