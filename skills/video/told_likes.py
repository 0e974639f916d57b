"""Films a person told us they loved, as an item-kNN signal for the video recommender.

"I loved Alien", "I also really liked Heat", "and Fargo was great", then "suggest a movie":
the blend in ``VideoRecommender`` reads those three likes as a tiny viewing *sequence* (what
raters watch next after them), a folded-in ALS vector and a genre profile. Three films are too
few for that: on the issue's twelve MovieLens people a liked film came within three offers for
17 % of them, while plain item-kNN on the same three titles reached 67 %. This module adds the
kNN: the films most like the ones told, as the ``extra`` signal ``recommend`` already takes.

Only while the profile holds few likes (``MAX_TOLD``): past that, the blend's own signals have
enough to go on and a handful of old likes should not keep steering every offer.

The similarity is computed from what the built model stores (no new artifacts): its
popularity-normalised co-watching matrix ``short`` and its ALS item factors, read as cosine.
Measured with ``bench/told_likes.py`` (held-out people, see the numbers at the constants).
"""

from __future__ import annotations

import numpy as np

from assistant.skill_api import FeedbackEvent, UserProfile
from skills.video import signals
from skills.video.recommender import VideoRecommender

# At most this many liked films switch the signal on (a person who has told us more has a
# history the blend handles; ten keeps "my favourite films are ..." lists in).
MAX_TOLD = 10
# How the told films' similarity vectors are combined: "mean" rewards a film close to several
# of them, "max" one very close to any.
AGGREGATE = "mean"
# Parts of the similarity, each scaled 0..1 per told film: co-watching (the model's ``short``
# matrix), ALS taste cosine, and the model's own ``similar_to`` blend (co-watching, taste and
# content: cast, director, genres).
BLEND: dict[str, float] = {"watched": 0.0, "taste": 0.0, "similar_to": 1.0}
# The signal's weight against the blend (whose weights sum to 2.85; "something like X" uses 3).
TOLD_WEIGHT = 1.0
LIKED_STARS = 4.0  # an imported rating this high is a liked film too
NAMED_IN_REASON = 2  # "because you loved Alien and Heat"; more told films: "... and 2 others"


def told_films(profile: UserProfile, rec: VideoRecommender) -> list[int]:
    """The films the person liked, oldest first, that the model knows: latest feedback a "like",
    or an imported rating of LIKED_STARS or more (a long imported history turns the signal off)."""
    latest: dict[str, FeedbackEvent] = {}
    for event in profile.feedback:
        latest.pop(event.item_id, None)  # re-inserted: the dict keeps the order of the latest
        latest[event.item_id] = event
    known = rec.index.index
    return [
        int(i)
        for i, e in latest.items()
        if (e.kind == "like" or (e.kind == "rating" and (e.value or 0) >= LIKED_STARS))
        and i.isdigit()
        and int(i) in known
    ]


def similarity(rec: VideoRecommender, movie_ids: list[int]) -> np.ndarray:
    """One row per film: every item's 0..1 closeness to it (the film itself 0)."""
    rows = np.array([int(rec.index[m]) for m in movie_ids], dtype=np.int64)
    out = np.zeros((len(rows), len(rec.item_ids)), dtype=np.float32)
    if BLEND.get("watched"):
        watched = np.asarray(rec.short[rows].todense(), dtype=np.float32)
        out += BLEND["watched"] * np.stack([signals.scale_to_unit(r) for r in watched])
    if BLEND.get("taste"):
        factors = rec.item_factors.astype(np.float32)
        norms = np.linalg.norm(factors, axis=1)
        unit = factors / np.where(norms > 0, norms, 1.0)[:, None]
        out += BLEND["taste"] * np.maximum(unit[rows] @ unit.T, 0.0)
    if BLEND.get("similar_to"):
        out += BLEND["similar_to"] * np.stack([rec.similar_to(m) for m in movie_ids])
    out[np.arange(len(rows)), rows] = 0.0
    return out


def told_likes(rec: VideoRecommender, profile: UserProfile) -> tuple[np.ndarray, float, str] | None:
    """The ``extra`` signal for a profile with a few told likes, or None (none, or too many)."""
    films = told_films(profile, rec)
    if not films or len(films) > MAX_TOLD or TOLD_WEIGHT <= 0:
        return None
    rows = similarity(rec, films)
    vector = rows.max(axis=0) if AGGREGATE == "max" else rows.mean(axis=0)
    return signals.scale_to_unit(vector), TOLD_WEIGHT, reason(rec, films)


def reason(rec: VideoRecommender, films: list[int]) -> str:
    """ "because you loved Alien", "... Alien and Heat", "... Alien, Heat and 2 others" (latest first)."""
    names = [str(rec.titles[int(rec.index[m])]) for m in reversed(films)]
    if len(names) <= NAMED_IN_REASON:
        return "because you loved " + " and ".join(names)
    rest = len(names) - NAMED_IN_REASON
    others = "another" if rest == 1 else f"{rest} others"
    return f"because you loved {', '.join(names[:NAMED_IN_REASON])} and {others}"
