"""Recommend latency per domain with 1,000,000 history events in the store.

Generates the events (offers and feedback spread over 2,000 users, plus one heavy user with
20,000 events of their own), then times profile read + skill recommend for that heavy user and
for random users. Target: p95 <= 20 ms per domain. The baseline in the same run is the same
request against an empty store.

    .venv/bin/python bench/recommend_latency.py [--events 1000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.skill_sdk.plugins import discover_specs  # noqa: E402

SPECS = {s.name: s for s in discover_specs()}
DOMAIN_INTENT = {name: s.answers.offer_intent for name, s in SPECS.items()}
ITEMS_PER_OFFER = {name: s.offers.items_per_offer for name, s in SPECS.items()}
KINDS = ["offer", "offer", "like", "skip", "dislike", "play"]


def catalog_ids(skill, domain: str, rng: random.Random, n: int = 3000) -> list[str]:
    """Real item ids, gathered by asking the skill itself (the bench knows no catalog)."""
    from assistant.skill_sdk.api import SkillRequest, UserProfile

    ids: set[str] = set()
    for _ in range(40):
        req = SkillRequest(
            DOMAIN_INTENT[domain], {}, UserProfile("probe", domain), exclude=set(ids), k=10, rng=rng
        )
        ids.update(i.id for i in skill.handle(req).items)
    return sorted(ids) or [f"{domain}:unknown"]


def fill_store(store, domains: dict[str, list[str]], events: int, rng: random.Random) -> None:
    users = [f"user{i}" for i in range(2000)]
    batch, now = [], time.time()
    heavy = 20_000
    for n in range(events):
        user = "heavy" if n < heavy else users[n % len(users)]
        domain = rng.choice(list(domains))
        batch.append(
            (user, domain, rng.choice(domains[domain]), rng.choice(KINDS), now - rng.uniform(0, 3e7))
        )
        if len(batch) == 50_000:
            _flush(store, batch)
            batch = []
    _flush(store, batch)


def _flush(store, batch) -> None:
    turn_id = _bench_turn(store)
    offers = [(turn_id, u, d, i, i, "bench", 0, ts) for u, d, i, k, ts in batch if k == "offer"]
    feedback = [(u, d, i, k, None, ts) for u, d, i, k, ts in batch if k != "offer"]
    with store._transaction():
        store.db.conn.executemany(
            "INSERT INTO offers (turn_id, user, domain, item_id, title, reason, position, ts) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            offers,
        )
        store.db.conn.executemany(
            "INSERT INTO feedback (turn_id, user, domain, item_id, kind, value, ts) VALUES (NULL, ?, ?, ?, ?, ?, ?)",
            feedback,
        )


def _bench_turn(store) -> int:
    """Offers reference a turn: one synthetic turn row carries all generated offers."""
    row = store.db.execute("SELECT id FROM turns WHERE session_id = 'bench'").fetchone()
    if row:
        return int(row[0])
    from assistant.storage.history import TurnRecord

    return store.record_turn(TurnRecord("bench", "bench", 1, time.time(), "text", "", "", events=[]))


def time_requests(store, skill, domain: str, users: list[str], rng: random.Random) -> list[float]:
    from assistant.skill_sdk.api import SkillRequest

    out = []
    for user in users:
        t0 = time.perf_counter()
        profile = store.profile(user, domain)
        req = SkillRequest(DOMAIN_INTENT[domain], {}, profile, k=ITEMS_PER_OFFER[domain], rng=rng)
        skill.handle(req)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--requests", type=int, default=200)
    args = ap.parse_args()
    from assistant.app import skill_for
    from assistant.storage.history import HistoryStore

    rng = random.Random(0)
    skills = {d: skill_for(d) for d in SPECS}
    with tempfile.TemporaryDirectory() as tmp:
        empty = HistoryStore(Path(tmp) / "empty.db")
        store = HistoryStore(Path(tmp) / "full.db")
        ids = {d: catalog_ids(s, d, rng) for d, s in skills.items()}
        t0 = time.perf_counter()
        fill_store(store, ids, args.events, rng)
        rows = sum(
            store.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("offers", "feedback")
        )
        print(f"store: {rows:,} history events ({time.perf_counter() - t0:.0f} s to generate)")
        ok = True
        for domain, skill in skills.items():
            for _ in range(10):  # warm caches
                time_requests(store, skill, domain, ["heavy"], rng)
            users = ["heavy" if i % 2 == 0 else f"user{rng.randrange(2000)}" for i in range(args.requests)]
            full = time_requests(store, skill, domain, users, rng)
            base = time_requests(empty, skill, domain, ["nobody"] * args.requests, rng)
            met = p95(full) <= 20
            ok &= met
            print(
                f"{domain:8s} p50 {statistics.median(full):6.2f} ms  p95 {p95(full):6.2f} ms  "
                f"(empty store p95 {p95(base):6.2f} ms, ratio {p95(full) / p95(base):5.2f}x)  "
                f"{'ok' if met else 'OVER 20 ms'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
