"""Retention: what a long-running assistant deletes as it ages, by ``[privacy] retention_days``.

Recordings and session logs older than that are deleted, and so are the history's turns (with
their offers) and the sessions left empty; what the person taught it (likes, skips, settings,
voiceprints) stays until "forget me". The database then hands the freed pages back to the file
system (``storage.retention.reclaim_space``), so the data directory stays the size of the retained
history rather than of the busiest month it ever saw.

Runs at start-up (``assistant.app.build_pipeline``) and every few hours in ``assistant serve``.
"""

from __future__ import annotations

import logging
from pathlib import Path

from assistant.contracts.errors import HistoryError
from assistant.pipeline.session_log import purge_old_recordings, purge_old_session_logs
from assistant.storage.history import HistoryStore
from assistant.storage.retention import purge_before, reclaim_space

log = logging.getLogger(__name__)
DAY_S = 86400.0


def apply_retention(data_dir: Path, store: HistoryStore, days: int, now: float) -> dict[str, int]:
    """Delete what is older than ``days`` before ``now``; counts of what went (none for 0 days)."""
    if days <= 0:
        return {}
    counts = {
        "recordings": purge_old_recordings(data_dir, days, now),
        "session_logs": purge_old_session_logs(data_dir, days, now),
    }
    try:
        counts.update(purge_before(store, now - days * DAY_S))
        counts["bytes_reclaimed"] = reclaim_space(store)
    except HistoryError as exc:  # a full disk refuses even deletes: tried again next time
        log.warning("retention: %s", exc)
    if any(counts.values()):
        log.info("retention (%d days): %s", days, counts)
    return counts
