"""User simulator: proof that personalisation pays off, through the real text pipeline.

Video: simulated users are MovieLens users held out of the recommender's training. Each one's
earlier ratings (the first 70 % by time) are their history; the films they rated >= 4 later on
are what they like. Each asks "suggest a movie", says "I like that" to a liked film and
"something else" otherwise, for N turns — once as a new user, once with the history loaded
into the store. Success: a liked film offered within 3 turns. Target: with history >= 2x the
success rate of without.

Music and news: simulated tastes (a hidden favourite genre / topic); the user asks for music
or the news and skips until an item of that genre / topic comes, then likes it and asks
again; we report turns to the first liked item, and how often the next request after that
like is on-taste (the within-session feedback effect).

    .venv/bin/python bench/simulate.py [--users 60] [--turns 10] [--plot reports/simulate.png]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from assistant.skill_sdk.api import Item  # noqa: E402

HELD_OUT_SEED = 20261123


def converse(
    pipeline, user: str, ask: str, likes: Callable[[Item], bool], turns: int, seed: int
) -> list[bool]:
    """Per turn, whether an offered item was liked. Likes are said back to the assistant."""
    session = pipeline.start_session(user, seed=seed)
    hits: list[bool] = []
    result = pipeline.run_turn(session, text=ask)
    for _ in range(turns):
        hit = any(likes(i) for i in result.items)
        hits.append(hit)
        if hit:
            pipeline.run_turn(session, text="i like that")
            result = pipeline.run_turn(session, text=ask)
        else:
            result = pipeline.run_turn(session, text="something else")
    pipeline.end_session(session)
    return hits


def first_hit(hits: list[bool]) -> int | None:
    return next((i + 1 for i, h in enumerate(hits) if h), None)


def curve(runs: list[list[bool]], turns: int) -> list[float]:
    """Share of users with a liked item offered by turn t (t = 1..turns)."""
    return [
        sum(1 for r in runs if (f := first_hit(r)) is not None and f <= t) / len(runs)
        for t in range(1, turns + 1)
    ]


def make_pipeline(home: Path, nlu, skill_for):
    from assistant.app import open_store
    from assistant.pipeline.runner import Pipeline

    return Pipeline(nlu, open_store(home), home, skill_for)


# --- video ---------------------------------------------------------------------------------
def simulate_video(nlu, n_users: int, turns: int, home: Path) -> dict:
    from assistant.app import skill_for as default_skill_for
    from skills.video import VideoSkill
    from skills.video.catalog import build_catalog, movielens_ratings
    from skills.video.recommender import VideoRecommender

    ratings = movielens_ratings()
    users = sorted(ratings["userId"].unique())
    rng = random.Random(HELD_OUT_SEED)
    candidates = [u for u in users if (ratings["userId"] == u).sum() >= 40]
    held_out = rng.sample(candidates, n_users)
    print(f"video: fitting on {len(users) - n_users} users, {n_users} held out for simulation ...")
    catalog = build_catalog(ratings)
    recommender = VideoRecommender.fit(ratings[~ratings["userId"].isin(held_out)], catalog=catalog)
    video = VideoSkill(recommender, catalog)

    def skill_for(domain: str):
        return video if domain == "video" else default_skill_for(domain)

    results: dict[str, list[list[bool]]] = {"without history": [], "with history": []}
    for condition in results:
        pipeline = make_pipeline(home / condition.replace(" ", "-"), nlu, skill_for)
        for user_id in held_out:
            mine = ratings[ratings["userId"] == user_id].sort_values("timestamp", kind="stable")
            cut = int(len(mine) * 0.7)
            past, future = mine.iloc[:cut], mine.iloc[cut:]
            seen = {str(m) for m in past["movieId"]}
            liked = {str(m) for m in future.loc[future["rating"] >= 4, "movieId"]}
            name = f"ml{user_id}"
            if condition == "with history":
                pipeline.store.import_feedback(
                    name,
                    [
                        ("video", str(m), "rating", float(r), float(t))
                        for m, r, t in past[["movieId", "rating", "timestamp"]].itertuples(index=False)
                    ],
                )
            results[condition].append(
                converse(
                    pipeline,
                    name,
                    "suggest a movie",
                    lambda it, liked=liked, seen=seen: it.id in liked and it.id not in seen,
                    turns,
                    seed=int(user_id),
                )
            )
        pipeline.store.close()
    return results


# --- music and news ------------------------------------------------------------------------
def simulate_taste(nlu, domain: str, tastes: list[str], n_users: int, turns: int, home: Path) -> dict:
    from assistant.app import skill_for

    ask = {"music": "play some music", "news": "what's the news"}[domain]
    key = {"music": "genres", "news": "category"}[domain]

    def likes_for(taste: str) -> Callable[[Item], bool]:
        def likes(item: Item) -> bool:
            value = item.meta.get(key, [])
            values = value if isinstance(value, list) else [value]
            return any(taste.lower() == str(v).lower() for v in values)

        return likes

    pipeline = make_pipeline(home / domain, nlu, skill_for)
    runs, after_like = [], []
    for i in range(n_users):
        taste = tastes[i % len(tastes)]
        hits = converse(pipeline, f"{domain}{i}", ask, likes_for(taste), turns, seed=i)
        runs.append(hits)
        f = first_hit(hits)
        if f is not None and f < len(hits):
            after_like.append(hits[f])  # the offer right after the first like
    pipeline.store.close()
    return {"runs": runs, "after_like": after_like}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--users", type=int, default=60)
    ap.add_argument("--turns", type=int, default=10)
    ap.add_argument("--plot", type=Path, default=Path("reports/simulate.png"))
    args = ap.parse_args()
    from assistant.nlu import load_nlu

    nlu = load_nlu()
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        video = simulate_video(nlu, args.users, args.turns, home)
        rates = {}
        print(f"\nvideo, {args.users} held-out MovieLens users, {args.turns} turns each")
        for condition, runs in video.items():
            c = curve(runs, args.turns)
            firsts = [f for r in runs if (f := first_hit(r)) is not None]
            rates[condition] = c[2]
            print(
                f"  {condition:16s} success within 3 turns {c[2]:6.1%}   mean turns to success "
                f"{statistics.mean(firsts) if firsts else float('nan'):5.2f}   by turn: "
                + " ".join(f"{v:.2f}" for v in c)
            )
        with_h, without_h = rates["with history"], rates["without history"]
        met = with_h >= 2 * without_h and with_h > 0
        ok &= met
        ratio = f"{with_h / without_h:.2f}x" if without_h else "unbounded (no success without history)"
        print(f"  ratio with/without history: {ratio} (target >= 2x) {'ok' if met else 'NOT MET'}")

        taste_results = {
            "music": simulate_taste(
                nlu, "music", ["Rock", "Electronic", "Hip-Hop", "Jazz", "Folk"], args.users, args.turns, home
            ),
            "news": simulate_taste(
                nlu,
                "news",
                ["POLITICS", "WELLNESS", "ENTERTAINMENT", "TRAVEL", "SPORTS"],
                args.users,
                args.turns,
                home,
            ),
        }
        for domain, res in taste_results.items():
            runs = res["runs"]
            firsts = [f for r in runs if (f := first_hit(r)) is not None]
            c = curve(runs, args.turns)
            after = res["after_like"]
            print(
                f"\n{domain}: hidden favourite, {len(runs)} users: liked item found by {len(firsts)}; "
                f"mean turns to first liked item {statistics.mean(firsts) if firsts else float('nan'):.2f}; "
                f"next offer after a like on-taste {sum(after) / max(len(after), 1):.0%} "
                f"(vs {c[0]:.0%} at turn 1)"
            )
            print("  by turn: " + " ".join(f"{v:.2f}" for v in c))
        plot(video, taste_results, args.turns, args.plot)
    print(f"\ncurves written to {args.plot}")
    return 0 if ok else 1


def plot(video: dict, tastes: dict, turns: int, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    x = list(range(1, turns + 1))
    for condition, runs in video.items():
        ax.plot(x, curve(runs, turns), marker="o", label=f"video, {condition}")
    for domain, res in tastes.items():
        ax.plot(x, curve(res["runs"], turns), marker=".", linestyle="--", label=f"{domain}, hidden taste")
    ax.set_xlabel("turn")
    ax.set_ylabel("users with a liked item offered so far")
    ax.set_ylim(0, 1)
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    sys.exit(main())
