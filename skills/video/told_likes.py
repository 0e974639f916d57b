"""Films a person told us they loved, as an item-kNN signal for the video recommender.

"I loved Alien", "I also really liked Heat", "and Fargo was great", then "suggest a movie": the
blend in ``VideoRecommender`` reads those likes as a tiny viewing *sequence* (what raters watch
next after them), a folded-in ALS vector and a genre profile. This module adds what item-kNN
does with them: the films closest to the ones told (mean of ``similar_to``), as the ``extra``
signal ``recommend`` already takes, with a reason that names them ("because you liked Alien",
the wording of the blend's own taste reasons).

Only while the profile holds few liked films (``MAX_TOLD``); the similarity comes from what the
built model stores (no new artifacts). Every number below is from ``bench/told_likes.py`` on its
dev pool (254 held-out MovieLens people, 3 films told, a liked film within three offers through
the real pipeline), with the likes stored directly so the NLU's misses do not blur the
comparison: signal off 68.9 %, item-kNN on the same films 69.3 %, this signal 76.0 % (told in
words: 68.1 % -> 72.0 %).
"""

from __future__ import annotations

import numpy as np

from assistant.skill_sdk.api import FeedbackEvent, UserProfile
from skills.video import signals
from skills.video.recommender import VideoRecommender

# At most this many liked films switch the signal on. It still helps at 10 told films (72.4 ->
# 78.0 %) and at 20 (60.2 -> 65.4 %); a long imported history is left to the blend (60
# bench/simulate.py people with their ratings loaded, liked within 3 turns: 38.3 % signal off,
# 41.7 % with this cap, 40.0 % with none) and the request stays cheap (0.7 ms for 3 films,
# 2.2 ms for 10, 4.0 ms for 20).
MAX_TOLD = 20
# How the told films' similarity vectors are combined: "mean" (weighted by RECENCY_DECAY)
# rewards a film close to several of them (72.4 % at weight 1, no popularity lean), "max" one very close to any (68.5 % at
# weights 0.5, 1 and 1.5).
AGGREGATE = "mean"
# Parts of the similarity, each scaled 0..1 per told film: co-watching (the model's ``short``
# matrix), ALS taste cosine, and the model's own ``similar_to`` blend (co-watching, taste and
# content). At weight 1 with no lean: similar_to 72.4 %, taste 72.0 %, watched + taste 72.0 %,
# all three 72.4 %; with the lean: similar_to 75.6 %, taste 73.6 %, both 74.8 %. The model's own
# notion of "similar" is kept (it also answers "something like X").
BLEND: dict[str, float] = {"watched": 0.0, "taste": 0.0, "similar_to": 1.0}
# The signal's weight against the blend (whose weights sum to 2.85; "something like X" uses 3).
# With the popularity lean: 0.5 -> 72.8 %, 1 -> 75.6 %, 1.5 -> 76.0 %, 2 -> 75.2 %, 3 -> 75.2 %
# (off: 68.9 %); 1.5 sits on that plateau. Without the lean the best was 72.4 % (weight 1),
# and from 2 up the signal drowned the blend's own use of the likes (70.5 % at 2 and 3).
TOLD_WEIGHT = 1.5
# How much the signal leans to films many raters watched: the vector is multiplied by
# (1 - POPULARITY) + POPULARITY * popularity (min-max of log ratings over the catalog). Among
# films equally close to three told titles, a widely watched one is the safer first offer (and
# similar_to's content part otherwise brings up obscure films that share a cast or a director):
# lean 0 -> 72.4 % (best weight), 0.5 -> 74.8 %, 0.75 -> 75.2 %, 1 -> 76.0 %.
POPULARITY = 1.0
# Each older like weighs this much less in the mean (the blend's own RECENT_DECAY): four
# cartoons liked after four science-fiction films bring two animations into the next five
# offers, an even mean only one (tests/unit/test_video.py). Bench cost: none for 3 films (76.0 %,
# 72.0 % in words), 78.0 -> 77.2 % for 10; 0.8 costs more (75.2 %; 74.0 % for 10).
RECENCY_DECAY = 0.9
LIKED_STARS = 4.0  # an imported rating this high is a liked film too
NAMED_IN_REASON = 2  # "because you liked Alien and Heat"; more told films: "... and 2 others"


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
    if AGGREGATE == "max":
        vector = rows.max(axis=0)
    else:  # the latest like weighs most: a taste said this session moves the offers
        weights = RECENCY_DECAY ** np.arange(len(films) - 1, -1, -1, dtype=np.float32)
        vector = weights @ rows / weights.sum()
    if POPULARITY:
        vector = vector * ((1 - POPULARITY) + POPULARITY * signals.min_max(rec.popularity))
    return signals.scale_to_unit(vector), TOLD_WEIGHT, reason(rec, films)


def reason(rec: VideoRecommender, films: list[int]) -> str:
    """ "because you liked Alien", "... Alien and Heat", "... Alien, Heat and 2 others" (latest first)."""
    names = [str(rec.titles[int(rec.index[m])]) for m in reversed(films)]
    if len(names) <= NAMED_IN_REASON:
        return "because you liked " + " and ".join(names)
    rest = len(names) - NAMED_IN_REASON
    others = "another" if rest == 1 else f"{rest} others"
    return f"because you liked {', '.join(names[:NAMED_IN_REASON])} and {others}"
