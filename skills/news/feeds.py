"""News that is news: RSS and Atom feeds (``feedparser``) named in ``[news] feeds = [...]``.

Feeds are fetched in the background when online (``urllib`` with a timeout; a feed that answers
with an error, a web page or nothing at all is reported and skipped, and what was stored stays).
Stories are stored in the history database (the skill's table ``news_feed_items``, made by
``SCHEMA``'s migrations; see ``assistant.skill_sdk.storage``) with their dates, deduplicated by link and by headline (the same story from two feeds is one), and embedded
once, when first stored, with the same encoder as the archive so topic search covers both.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import html
import logging
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.skill_sdk.storage import SkillDatabase, SkillSchema, open_database
from skills.news.catalog import Headline

log = logging.getLogger(__name__)

TABLE = "news_feed_items"
FETCH_TIMEOUT_S = 5.0
MAX_BYTES = 5 * 1024 * 1024  # a feed is kilobytes; more than this is not one
MAX_DESCRIPTION = 300
FEED_SOURCE = "feed"
# The skill's tables. Step 1 is the table as earlier builds made it (CREATE TABLE IF NOT EXISTS
# in the history database, already named "news_..."): a file that has it keeps its stories.
SCHEMA = SkillSchema(
    "news",
    migrations=(
        f"""CREATE TABLE IF NOT EXISTS {TABLE} (
            id TEXT PRIMARY KEY, headline_key TEXT NOT NULL UNIQUE, feed TEXT NOT NULL,
            headline TEXT NOT NULL, category TEXT NOT NULL, date TEXT NOT NULL, description TEXT,
            link TEXT, authors TEXT, fetched REAL NOT NULL, vector BLOB)""",
    ),
)


class FeedError(Exception):
    """One feed could not be read; the message names the feed and the problem."""


@dataclass(frozen=True)
class FetchReport:
    stored: int  # new stories stored
    seen: int  # stories in the feeds (new or not)
    problems: tuple[str, ...]


def feed_db(path: Path | None = None) -> SkillDatabase:
    """The skill's stored stories, in the assistant's database (``path``: another file, for tests)."""
    return open_database(SCHEMA, path)


def _plain(text: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
    return " ".join(text.split())


def headline_key(title: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", title.lower()).split())


def fetch(url: str, timeout: float = FETCH_TIMEOUT_S) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "offline-assistant/0.1 (feed reader)"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (configured feeds)
            kind = response.headers.get("Content-Type", "")
            body = response.read(MAX_BYTES + 1)
    except urllib.error.HTTPError as exc:
        raise FeedError(f"{url} answered with an error ({exc.code})") from exc
    except TimeoutError as exc:
        raise FeedError(f"{url} did not answer within {timeout:g} s") from exc
    except (urllib.error.URLError, OSError) as exc:
        if isinstance(getattr(exc, "reason", None), TimeoutError):
            raise FeedError(f"{url} did not answer within {timeout:g} s") from exc
        raise FeedError(f"{url} could not be reached ({getattr(exc, 'reason', exc)})") from exc
    if len(body) > MAX_BYTES:
        raise FeedError(f"{url} sent more than {MAX_BYTES // 2**20} MB: not a news feed")
    if "html" in kind.lower() and b"<rss" not in body[:2000] and b"<feed" not in body[:2000]:
        raise FeedError(f"{url} sent a web page, not an RSS or Atom feed")
    return body


def parse(url: str, body: bytes, today: dt.date) -> list[Headline]:
    """The stories of one feed body; ``FeedError`` when it is not a feed."""
    import feedparser

    parsed = feedparser.parse(body)
    if not parsed.entries:
        why = getattr(parsed, "bozo_exception", None)
        raise FeedError(f"{url} is not an RSS or Atom feed I can read" + (f" ({why})" if why else ""))
    source = _plain(parsed.feed.get("title", "")) or url
    out = []
    for entry in parsed.entries:
        title = _plain(entry.get("title", ""))
        if not title:
            continue
        link = entry.get("link", "") or entry.get("id", "")
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        day = dt.datetime.fromtimestamp(calendar.timegm(stamp), dt.UTC).date() if stamp else today
        tags = [t.get("term", "") for t in entry.get("tags", []) if t.get("term")]
        out.append(
            Headline(
                id=f"{FEED_SOURCE}:" + hashlib.sha1((link or title).encode()).hexdigest()[:16],
                headline=title,
                category=(tags[0] if tags else source).upper()[:40],
                date=day.isoformat(),
                description=_plain(entry.get("summary", ""))[:MAX_DESCRIPTION],
                link=link,
                authors=_plain(entry.get("author", "")),
            )
        )
    return out


def refresh(urls: list[str], db: SkillDatabase, encode=None, timeout: float = FETCH_TIMEOUT_S) -> FetchReport:
    """Fetch every feed, store the new stories (deduplicated) and embed them."""
    today = dt.date.today()
    problems, stored, seen = [], 0, 0
    for url in urls:
        try:
            stories = parse(url, fetch(url, timeout), today)
        except FeedError as exc:
            problems.append(str(exc))
            log.warning("news feed: %s", exc)
            continue
        except Exception as exc:  # a parser bug must not stop the other feeds
            log.exception("news feed %s failed", url)
            problems.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        seen += len(stories)
        rows = [
            {
                "id": h.id,
                "headline_key": headline_key(h.headline),
                "feed": url,
                "headline": h.headline,
                "category": h.category,
                "date": h.date,
                "description": h.description,
                "link": h.link,
                "authors": h.authors,
                "fetched": time.time(),
            }
            for h in stories
        ]
        with db.transaction():
            before = db.query(f"SELECT COUNT(*) FROM {TABLE}")[0][0]
            db.executemany(
                f"INSERT OR IGNORE INTO {TABLE} (id, headline_key, feed, headline, category, date, description, "
                "link, authors, fetched) VALUES (:id, :headline_key, :feed, :headline, :category, :date, "
                ":description, :link, :authors, :fetched)",
                rows,
            )
            stored += db.query(f"SELECT COUNT(*) FROM {TABLE}")[0][0] - before
    embed_new(db, encode)
    return FetchReport(stored, seen, tuple(problems))


def embed_new(db: SkillDatabase, encode=None) -> int:
    """Embed stored stories that have no vector yet (incremental: each story once)."""
    rows = db.query(f"SELECT id, headline, description FROM {TABLE} WHERE vector IS NULL")
    if not rows:
        return 0
    if encode is None:
        from skills.embeddings import encode
    vectors = encode([f"{h}. {d}".strip() for _, h, d in rows])
    with db.transaction():
        db.executemany(
            f"UPDATE {TABLE} SET vector = ? WHERE id = ?",
            [(v.astype(np.float32).tobytes(), i) for (i, _, _), v in zip(rows, vectors, strict=True)],
        )
    return len(rows)


def stored_stories(db: SkillDatabase) -> tuple[list[Headline], np.ndarray]:
    rows = db.query(
        f"SELECT id, headline, category, date, description, link, authors, vector FROM {TABLE} "
        "WHERE vector IS NOT NULL ORDER BY date, id"
    )
    headlines = [Headline(*row[:7]) for row in rows]
    if not rows:
        return [], np.zeros((0, 0), np.float32)
    vectors = np.array([np.frombuffer(row[7], dtype=np.float32) for row in rows], dtype=np.float32)
    return headlines, vectors
