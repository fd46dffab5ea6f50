"""The artifact store's errors: each names the object or path involved and says what to do."""

from __future__ import annotations

from loopline.errors import IntegrityError, InvalidInputError, LooplineError, NotFoundError


class ArtifactNotFound(NotFoundError):
    """No object with that digest is in the store."""


class ArtifactIntegrityError(IntegrityError):
    """A stored object's bytes no longer hash to its digest: it was changed after it was written."""


class UnsafePathError(InvalidInputError):
    """A name would reach outside its folder (``..``, absolute, encoded tricks, a symlink out, ...)."""


class InvalidArtifactUri(InvalidInputError):
    """An artifact uri is not ``sha256:`` followed by 64 lower-case hex digits."""


class UnknownFormatError(InvalidInputError):
    """No decoder is registered for an artifact's format."""


class StoreNotOpen(LooplineError):
    """An operation was called on an artifact store before ``open()``."""


__all__ = [
    "ArtifactIntegrityError",
    "ArtifactNotFound",
    "InvalidArtifactUri",
    "StoreNotOpen",
    "UnknownFormatError",
    "UnsafePathError",
]
