"""The assistant's log: unexpected exceptions with their tracebacks, in the data directory.

``assistant.log`` rotates at 1 MB and keeps three old files, so a long-running speaker never
fills the disk. ``--debug`` also prints every record on standard error. A disk that is full
already costs log lines, never a turn: they are dropped (with one warning on standard error)
until the file can be written again.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import sys
from pathlib import Path

LOG_FILE = "assistant.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class LogFile(logging.handlers.RotatingFileHandler):
    """The rotating log file; a write the disk refuses drops that line, quietly.

    The standard handler prints a traceback on standard error for every line it cannot
    write: with a full disk, one per turn. This one says so once, closes the file (its buffer
    holds lines it cannot flush) and opens it again at the next line, so logging resumes by
    itself when there is space.
    """

    def __init__(self, path: Path) -> None:
        super().__init__(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
        self.failing = False  # the last line could not be written
        self._failed_now = False

    def emit(self, record: logging.LogRecord) -> None:
        self._failed_now = False
        super().emit(record)
        if not self._failed_now:
            self.failing = False

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        self._failed_now = True
        stream, self.stream = self.stream, None  # type: ignore[assignment]
        if stream is not None:
            with contextlib.suppress(Exception):  # closing flushes, which fails again
                stream.close()
        if not self.failing:
            self.failing = True
            print(f"warning: cannot write {self.baseFilename} ({exc}); dropping log lines", file=sys.stderr)


_file_handler: logging.Handler | None = None
_debug_handler: logging.Handler | None = None
LOGGERS = ("assistant", "skills")


def setup_logging(home: Path, debug: bool = False) -> Path:
    """Send the core's and the skills' loggers to ``home``'s rotating log (and stderr with ``debug``).

    Calling it again (another pipeline, another home) moves the one file handler there.
    """
    global _file_handler, _debug_handler
    path = home / LOG_FILE
    home.mkdir(parents=True, exist_ok=True)
    loggers = [logging.getLogger(name) for name in LOGGERS]
    if _file_handler is None or getattr(_file_handler, "baseFilename", "") != str(path.resolve()):
        handler = LogFile(path)
        handler.setFormatter(logging.Formatter(_FORMAT))
        for logger in loggers:
            if _file_handler is not None:
                logger.removeHandler(_file_handler)
            logger.addHandler(handler)
        if _file_handler is not None:
            _file_handler.close()
        _file_handler = handler
    if debug and _debug_handler is None:
        _debug_handler = logging.StreamHandler(sys.stderr)
        _debug_handler.setFormatter(logging.Formatter(_FORMAT))
        for logger in loggers:
            logger.addHandler(_debug_handler)
    for logger in loggers:
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
    return path
