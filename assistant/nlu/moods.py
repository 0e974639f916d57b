"""The moods, energies and activities the NLU understands, as a small fixed vocabulary.

People say "cheer me up", "something to dance to", "i can't sleep", "date night"; the skills need
one of a few values they can rank by. The joint model has a third head over the pooled MiniLM
vector (``model.py``) trained on our own mood examples (``data/nlu/moods.json`` phrases in the
``data/nlu/mood_templates.csv`` frames); the parser puts its answer in the ``mood`` slot when the
head is sure enough and the request is one a mood can shape. What each mood means for a catalog
(genres, tags, tempo, headline tone) is the skill's business, not this module's.
"""

from __future__ import annotations

NO_MOOD = "none"
# Order fixes the mood head's output index; NO_MOOD first.
MOODS: tuple[str, ...] = (
    "happy",  # happy, uplifting, feel-good, cheer me up
    "calm",  # calm, relaxing, chilled, unwind, mellower
    "focus",  # focus, studying, working, concentrating
    "sad",  # sad, melancholic, heartbroken, a good cry
    "romantic",  # romantic, love songs, date night
    "energetic",  # energetic, workout, running, pumped
    "party",  # party, dance, something to dance to
    "sleep",  # sleep, bedtime, can't sleep
    "cosy",  # cosy, warm, a rainy evening in
)
MOOD_LABELS: tuple[str, ...] = (NO_MOOD, *MOODS)


# Below this probability the mood head's best mood is not reported. Chosen on the held-out
# part of the training split (see ``models/nlu_train.py``), stored in the artifact; this is the
# fallback for an artifact that has none.
DEFAULT_MOOD_THRESHOLD = 0.5
# Requests a mood can shape; "rate this book five stars" carries no mood for a skill.
MOOD_INTENTS = frozenset({"play_music", "recommend_video", "news_query", "skip", "dontcare"})
