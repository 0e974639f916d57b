"""Training data for the NLU: HWU64's training fold plus our own examples, and the held-out split.

Both sources mark entities inline, ``play [artist_name : elton john]``. Our mood examples
(``moods.json`` phrases in ``mood_templates.csv`` frames) also carry the mood they ask for; other
examples say "none", except requests whose mood nobody labelled (HWU64's music, film and news
requests, our requests with a descriptor), which the mood head does not learn from. HWU64 uses its own entity
types (mapped in ``labels.py``); our files under ``data/nlu`` use the canonical slot names. Text
goes through ``clean_text`` here and at parse time, so the model sees the same kind of string in
training and in use.
"""

from __future__ import annotations

import csv
import json
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from assistant.contracts.stages import MAX_INPUT_CHARS
from assistant.nlu.labels import HWU64_TO_LABEL, INTENT_LABELS, OUT_OF_SCOPE, slot_for_entity
from assistant.nlu.moods import MOOD_LABELS, NO_MOOD

REPO_ROOT = Path(__file__).resolve().parents[2]
HWU64_DIR = REPO_ROOT / "data" / "hwu64" / "train"
OWN_DATA_DIR = REPO_ROOT / "data" / "nlu"

SPLIT_SEED = 20240611
HELD_OUT_FRACTION = 0.15
# What speech-to-text made of training-split requests (``label;utterance``): training data only,
# never held out, and only when the speech helper has written it.
SPOKEN_FILE = OWN_DATA_DIR / "spoken.csv"
# Transcripts whose slot values were misheard ("play sum jasmine" for "play some jazz"): their
# intent is known, their slot words are not, so they train the intent head only.
SPOKEN_INTENT_ONLY_FILE = OWN_DATA_DIR / "spoken_unaligned.csv"
# Hand-written training examples that join the training part after the split (``label;utterance``
# with slots marked). A row added to the files the split is drawn from reshuffles its label's
# fixed-seed split, and a new filler changes every template's fills: six rows and thirteen song
# titles once moved 155 of the 291 spoken held-out requests (data/speech/spoken_heldout.csv)
# into training. Rows here move nothing.
TRAINING_ONLY_FILE = OWN_DATA_DIR / "training_only.csv"
# Requests whose mood was not labelled: a mood may be in them, so they teach the mood head nothing.
UNLABELLED_MOOD_INTENTS = frozenset({"play_music", "recommend_video", "news_query"})

_ANNOTATION = re.compile(r"\[\s*([A-Za-z_]+)\s*:\s*([^\]]*?)\s*\]")
_KEEP_BETWEEN_ALNUM = set(".:,-&/'")
_APOSTROPHES = {"\u2019": "'", "\u2018": "'", "`": "'"}


@dataclass
class Example:
    """One labelled training request: clean text, intent, slot spans and mood."""

    text: str
    label: str
    spans: list[tuple[int, int, str]] = field(default_factory=list)  # char start, end, slot
    source: str = ""
    mood: str | None = NO_MOOD  # one of MOOD_LABELS; None: not labelled (no mood loss)
    slots_marked: bool = True  # False: slot words unknown (no slot loss), as in misheard transcripts

    def slots(self) -> dict[str, str]:
        """First span per slot type, as the parser reports them."""
        found: dict[str, str] = {}
        for start, end, slot in self.spans:
            found.setdefault(slot, self.text[start:end])
        return found


def plain_text(text: str) -> str:
    """The user's words as stored, logged and shown: lone surrogates replaced, control characters
    as spaces, case and punctuation kept. ``clean_text`` is the NLU's form of the same words."""
    text = text.encode("utf-8", "replace").decode("utf-8")
    return "".join(ch if ch in "\n\t" or unicodedata.category(ch)[0] != "C" else " " for ch in text).strip()


def clean_text(text: str) -> str:
    """Lower case, no control characters, punctuation as spaces, single spaces.

    Speech-to-text output and typed chat both end up in this form, and so does the training
    data. Punctuation inside a token (``5:30``, ``r&b``, ``don't``, ``hip-hop``) is kept. At most
    ``MAX_INPUT_CHARS`` are kept: the model reads only the first 48 tokens.
    """
    chars = [_APOSTROPHES.get(c, c) for c in text[: MAX_INPUT_CHARS * 2]]
    out = []
    for i, ch in enumerate(chars):
        cat = unicodedata.category(ch)
        if cat[0] in "CZ":  # control, format, separator: a word boundary at most
            out.append(" ")
        elif cat[0] in "PS":
            prev_ok = i > 0 and chars[i - 1].isalnum()
            next_ok = i + 1 < len(chars) and chars[i + 1].isalnum()
            out.append(ch if ch in _KEEP_BETWEEN_ALNUM and prev_ok and next_ok else " ")
        else:
            out.append(ch)
    return " ".join("".join(out).lower().split())[:MAX_INPUT_CHARS]


def parse_annotation(annotated: str, label: str, source: str = "") -> Example:
    """``play [artist_name : elton john] now`` -> clean text with character spans per slot."""
    pieces: list[tuple[str, str | None]] = []
    pos = 0
    for m in _ANNOTATION.finditer(annotated):
        pieces.append((annotated[pos : m.start()], None))
        pieces.append((m.group(2), slot_for_entity(m.group(1))))
        pos = m.end()
    pieces.append((annotated[pos:], None))
    text = ""
    spans: list[tuple[int, int, str]] = []
    for raw, slot in pieces:
        piece = clean_text(raw)
        if not piece:
            continue
        if text:
            text += " "
        if slot:
            spans.append((len(text), len(text) + len(piece), slot))
        text += piece
    return Example(text=text, label=label, spans=spans, source=source)


def load_hwu64(folder: Path = HWU64_DIR) -> list[Example]:
    """HWU64's training requests with their labels mapped to ours."""
    examples = []
    for path in sorted(folder.glob("*.csv")):
        label = HWU64_TO_LABEL.get(path.stem, OUT_OF_SCOPE)
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter=";"):
                ex = parse_annotation(row["answer_annotation"], label, source=f"hwu64/{path.stem}")
                ex.mood = _default_mood(ex)
                if ex.text:
                    examples.append(ex)
    return examples


def _expand_templates(path: Path, fillers: dict[str, list[str]], per_template: int) -> list[Example]:
    """Each ``label;template`` row, with ``{slot}`` placeholders filled ``per_template`` times."""
    rng = random.Random(SPLIT_SEED)
    examples = []
    for label, template in _read_rows(path):
        names = re.findall(r"\{(\w+)\}", template)
        seen = set()
        for _ in range(per_template if names else 1):
            annotated = template
            for name in names:
                value = rng.choice(fillers[name])
                # Names starting with "_" are wording variety, not slots.
                filled = value if name.startswith("_") else f"[{name} : {value}]"
                annotated = annotated.replace("{" + name + "}", filled, 1)
            if annotated not in seen:
                seen.add(annotated)
                examples.append(parse_annotation(annotated, label, source=f"own/{path.stem}"))
    return examples


def _read_rows(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        label, _, text = line.partition(";")
        label = label.strip()
        if label not in INTENT_LABELS:
            raise ValueError(f"{path.name}: unknown label {label!r} in line {line!r}")
        rows.append((label, text.strip()))
    return rows


def _default_mood(ex: Example) -> str | None:
    if ex.label in UNLABELLED_MOOD_INTENTS or ex.label == "skip":
        return None
    return NO_MOOD


def _expand_mood_templates(
    path: Path, moods: dict[str, dict[str, list[str]]], fillers: dict[str, list[str]], per_template: int
) -> list[Example]:
    """Each ``label;frame`` row filled ``per_template`` times per mood from that mood's phrases."""
    rng = random.Random(SPLIT_SEED + 1)
    examples = []
    for label, template in _read_rows(path):
        kinds = [k for k in re.findall(r"\{(\w+)\}", template) if not k.startswith("_")]
        for mood in MOOD_LABELS[1:]:
            phrases = moods.get(mood, {})
            if any(not phrases.get(kind) for kind in kinds):
                continue
            seen = set()
            for _ in range(per_template):
                text = template
                for kind in kinds:
                    text = text.replace("{" + kind + "}", rng.choice(phrases[kind]), 1)
                for name in re.findall(r"\{(_\w+)\}", text):
                    text = text.replace("{" + name + "}", rng.choice(fillers[name]), 1)
                if text not in seen:
                    seen.add(text)
                    ex = parse_annotation(text, label, source=f"own/{path.stem}")
                    ex.mood = mood
                    examples.append(ex)
    return examples


def load_own(folder: Path = OWN_DATA_DIR) -> list[Example]:
    """Hand-written examples (``examples*.csv``), template expansions (``templates.csv``) and
    mood examples (``mood_templates.csv`` with ``moods.json``)."""
    examples = []
    for path in sorted(folder.glob("examples*.csv")):
        examples += [parse_annotation(t, label, source=f"own/{path.stem}") for label, t in _read_rows(path)]
    fillers = json.loads((folder / "fillers.json").read_text(encoding="utf-8"))
    templates = folder / "templates.csv"
    if templates.exists():
        examples += _expand_templates(templates, fillers, per_template=3)
    for ex in examples:
        if any(slot == "descriptor" for _, _, slot in ex.spans) or ex.label == "skip":
            ex.mood = None  # "play something relaxing": a mood nobody labelled
    mood_templates = folder / "mood_templates.csv"
    if mood_templates.exists():
        moods = json.loads((folder / "moods.json").read_text(encoding="utf-8"))
        examples += _expand_mood_templates(mood_templates, moods, fillers, per_template=3)
    return [ex for ex in examples if ex.text]


def load_spoken(
    path: Path = SPOKEN_FILE, intent_only_path: Path | None = SPOKEN_INTENT_ONLY_FILE
) -> list[Example]:
    """Speech-to-text versions of training requests, those with their slots marked first (empty
    when the files are not there)."""
    examples = []
    for file, marked in ((path, True), (intent_only_path, False)):
        if file is None or not file.exists():
            continue
        for label, text in _read_rows(file):
            ex = parse_annotation(text, label, source="own/spoken")
            ex.mood = None  # what was said may carry a mood; it was not labelled
            ex.slots_marked = marked
            examples.append(ex)
    return [ex for ex in examples if ex.text]


def load_all() -> list[Example]:
    """Every example, deduplicated on clean text (the first label seen wins)."""
    seen: set[str] = set()
    unique = []
    for ex in load_hwu64() + load_own():
        if ex.text not in seen:
            seen.add(ex.text)
            unique.append(ex)
    return unique


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """Stratified by label with a fixed seed: (train, held_out)."""
    rng = random.Random(SPLIT_SEED)
    by_label: dict[str, list[Example]] = {}
    for ex in examples:
        by_label.setdefault(ex.label, []).append(ex)
    train, held_out = [], []
    for label in sorted(by_label):
        group = by_label[label][:]
        rng.shuffle(group)
        n_held = max(1, round(len(group) * HELD_OUT_FRACTION))
        held_out += group[:n_held]
        train += group[n_held:]
    return train, held_out


def load_split(training_only: bool = False) -> tuple[list[Example], list[Example]]:
    """(train, held_out); the spoken versions of training requests join the training part only,
    and so do ``TRAINING_ONLY_FILE``'s examples when ``training_only`` (the NLU build asks for
    them; the spoken-request draws of the speech builds do not)."""
    train, held_out = split(load_all())
    held_texts = {ex.text for ex in held_out}
    seen = {ex.text for ex in train}
    for ex in load_spoken() + (load_training_only() if training_only else []):
        if ex.text not in held_texts and ex.text not in seen:
            seen.add(ex.text)
            train.append(ex)
    return train, held_out


def load_training_only(path: Path = TRAINING_ONLY_FILE) -> list[Example]:
    """``TRAINING_ONLY_FILE``'s examples (empty when it is not there)."""
    if not path.exists():
        return []
    examples = [parse_annotation(t, label, source="own/training_only") for label, t in _read_rows(path)]
    return [ex for ex in examples if ex.text]


def label_counts(examples: list[Example]) -> Counter[str]:
    """How many examples each intent label has."""
    return Counter(ex.label for ex in examples)
