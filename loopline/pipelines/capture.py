"""What a step prints and logs, kept (within a bound) for its execution record.

While a step runs, ``sys.stdout`` and ``sys.stderr`` are replaced by proxies and a
handler sits on the root logger. Each looks up the step whose context is active (a
context variable, so a step's worker thread is followed and other threads are not):
text written inside a step goes to that step's ``LogBuffer``, anything else passes
through untouched. Log records are captured at whatever level the logging
configuration lets through (WARNING by default). Output written straight to file
descriptors (subprocesses, C extensions) is not captured.
"""

from __future__ import annotations

import collections
import logging
import sys
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TextIO

MAX_LOG_CHARS = 64 * 1024
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_current: ContextVar[LogBuffer | None] = ContextVar("loopline_step_log", default=None)


class LogBuffer:
    """Text within ``limit`` characters: the first quarter and the latest three quarters are kept."""

    def __init__(self, limit: int = MAX_LOG_CHARS) -> None:
        self._head_limit = limit // 4
        self._tail_limit = limit - self._head_limit
        self._head: list[str] = []
        self._head_size = 0
        self._tail: collections.deque[str] = collections.deque()
        self._tail_size = 0
        self._dropped = 0
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            text = str(text)
        written = len(text)
        with self._lock:
            room = self._head_limit - self._head_size
            if room > 0:
                part = text[:room]
                self._head.append(part)
                self._head_size += len(part)
                text = text[room:]
            if text:
                self._tail.append(text)
                self._tail_size += len(text)
                self._trim()
        return written

    def _trim(self) -> None:
        excess = self._tail_size - self._tail_limit
        while excess > 0:
            first = self._tail[0]
            if len(first) <= excess:
                self._tail.popleft()
                cut = len(first)
            else:
                self._tail[0] = first[excess:]
                cut = excess
            self._tail_size -= cut
            self._dropped += cut
            excess -= cut

    def getvalue(self) -> str:
        with self._lock:
            head = "".join(self._head)
            tail = "".join(self._tail)
            if self._dropped:
                return f"{head}\n[... {self._dropped:,} characters dropped ...]\n{tail}"
            return head + tail

    def __len__(self) -> int:
        return self._head_size + self._tail_size


class _StreamProxy:
    """Writes go to the active step's buffer, or to the original stream outside steps."""

    def __init__(self, original: TextIO) -> None:
        self._original = original

    def write(self, text: str) -> int:
        buffer = _current.get()
        if buffer is None:
            return self._original.write(text)
        return buffer.write(text)

    def writelines(self, lines: Iterable[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        if _current.get() is None:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _LogHandler(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        buffer = _current.get()
        if buffer is not None:
            try:
                buffer.write(self.format(record) + "\n")
            except Exception:  # a record that cannot be formatted must not fail the step
                self.handleError(record)


class _Installation:
    """Proxies and handler installed while at least one capture is active in this process."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.users = 0
        self.stdout: _StreamProxy | None = None
        self.stderr: _StreamProxy | None = None
        self.handler = _LogHandler()
        self.handler.setFormatter(logging.Formatter(LOG_FORMAT))

    def acquire(self) -> None:
        with self.lock:
            self.users += 1
            if self.users == 1:
                self.stdout = _StreamProxy(sys.stdout)
                self.stderr = _StreamProxy(sys.stderr)
                sys.stdout, sys.stderr = self.stdout, self.stderr
                logging.getLogger().addHandler(self.handler)

    def release(self) -> None:
        with self.lock:
            self.users -= 1
            if self.users == 0:
                logging.getLogger().removeHandler(self.handler)
                if sys.stdout is self.stdout and self.stdout is not None:
                    sys.stdout = self.stdout._original
                if sys.stderr is self.stderr and self.stderr is not None:
                    sys.stderr = self.stderr._original
                self.stdout = self.stderr = None


_installation = _Installation()


@contextmanager
def capture_output(buffer: LogBuffer) -> Iterator[LogBuffer]:
    """Send what the current context prints or logs to ``buffer`` until the block ends."""
    token = _current.set(buffer)
    _installation.acquire()
    try:
        yield buffer
    finally:
        _installation.release()
        _current.reset(token)


__all__ = ["LOG_FORMAT", "MAX_LOG_CHARS", "LogBuffer", "capture_output"]
