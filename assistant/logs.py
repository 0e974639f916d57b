"""The assistant's log: unexpected exceptions with their tracebacks, in the data directory.

``assistant.log`` rotates at 1 MB and keeps three old files, so a long-running speaker never
fills the disk. ``--debug`` also prints every record on standard error.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from pathlib import Path

LOG_FILE = "assistant.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


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
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
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
