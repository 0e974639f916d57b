"""The runtime NLU: the trained joint model behind ``IntentParser.parse``.

``parse`` cleans the text (control characters out, punctuation to spaces, bounded length), runs
one forward pass of the exported network (``exported.py``: onnxruntime, no torch), scales the
intent logits by the calibrated temperature and answers
``out_of_scope`` when the top probability is under the calibrated threshold. Slot spans are cut
from the clean text; when a vocabulary is known, catalog song and artist names the tagger missed
are added (``names.py``) and every value is mapped to its catalog spelling.
"""

from __future__ import annotations

import json
import re
import threading
from collections import OrderedDict
from dataclasses import replace
from pathlib import Path

import numpy as np

from assistant.artifacts import ArtifactMissingError, artifact_dir, read_stamp
from assistant.contracts.stages import Parse
from assistant.nlu.data import clean_text
from assistant.nlu.exported import ExportedJointModel
from assistant.nlu.labels import BIO_TAGS, INTENT_LABELS, OUT_OF_SCOPE
from assistant.nlu.moods import DEFAULT_MOOD_THRESHOLD, MOOD_INTENTS, MOOD_LABELS
from assistant.nlu.names import (
    CatalogNameSpotter,
    join_fragments,
    named_request,
    retype_names,
    single_name,
)
from assistant.nlu.normalize import SlotNormalizer, keyed_vocabulary
from assistant.nlu.slot_words import SlotWords, add_slot_words, compile_slot_words, read_slot_words
from assistant.nlu.tagging import MAX_TOKENS, decode_spans, whitespace_word_ids

ARTIFACT = "nlu"
ONNX_ARTIFACT = "nlu-onnx"  # the same network exported for onnxruntime (models/nlu_export.py)
# A request the classifier is this unsure of may be rescued by a catalog name (``named_request``);
# the rescued request then counts as this sure, so it is answered rather than confirmed.
UNSURE_BELOW = 0.5
CATALOG_NAME_CONFIDENCE = 0.9
# Name slots and the request they belong to: an unsure music request naming only a film ("something
# like notting hill", 0.53) is a film request.
NAME_OWNER = {
    "song": "play_music",
    "artist": "play_music",
    "title": "recommend_video",
    "person": "recommend_video",
}
NAME_OWNER_SURE = 0.9
# Words that tie a request to its catalog whatever the names in it: "play titanic" asks for a
# song even though only a film has that name.
CATALOG_WORDS = {
    "play_music": re.compile(
        r"\b(?:play|hear|listen|song|songs|music|track|tracks|tune|album|band|sing|sings)\b"
    ),
    "recommend_video": re.compile(r"\b(?:watch|film|films|movie|movies|cinema|directed|starring)\b"),
}


def _tied_to_catalog(label: str, text: str) -> bool:
    words = CATALOG_WORDS.get(label)
    return words is None or words.search(text) is not None


def _name_owner(label: str, confidence: float, spans: list[tuple[int, int, str]], tied: bool) -> str:
    """The request the names belong to: an unsure one, or one with no word of its own catalog
    ("something by sofia coppola"), goes with the only catalog its names are in."""
    owners = {NAME_OWNER[slot] for *_, slot in spans if slot in NAME_OWNER}
    if label in NAME_OWNER.values() and (confidence < NAME_OWNER_SURE or not tied) and len(owners) == 1:
        return owners.pop()
    return label


# "i really enjoyed <a film>, anything like it": praise that goes on to ask for more is a request.
ASKS_FOR_MORE = re.compile(
    r"\b(?:what else|anything (?:else )?like it|something like it|suggest|recommend|more like)\b"
)

# The two readings of a sentence about a catalog film: praise of it, or a request built on it.
FILM_OPINIONS = frozenset({"like", "recommend_video"})

RECENT_PARSES = 8
VOCABULARY_ARTIFACT = "vocabulary"


class NluParser:
    """Joint intent + slot parser; one instance is safe to reuse for every turn of a session."""

    def __init__(
        self,
        folder: Path,
        normalizer: SlotNormalizer | None = None,
        spotter: CatalogNameSpotter | None = None,
        slot_words: SlotWords | None = None,
        threads: int = 2,
        onnx_folder: Path | None = None,
    ) -> None:
        info = json.loads((folder / "nlu.json").read_text())
        if tuple(info["intents"]) != INTENT_LABELS or tuple(info["tags"]) != BIO_TAGS:
            raise ValueError("label set differs from this code's; rebuild the artifact")
        self.temperature = float(info["temperature"])
        self.threshold = float(info["threshold"])
        self.max_tokens = int(info.get("max_tokens", MAX_TOKENS))
        self.model = ExportedJointModel(onnx_folder or folder, folder, self.max_tokens, threads)
        self.has_moods = tuple(info.get("moods", ())) == MOOD_LABELS
        self.mood_threshold = float(info.get("mood_threshold", DEFAULT_MOOD_THRESHOLD))
        self.normalizer = normalizer
        self.spotter = spotter
        self.slot_words = compile_slot_words(slot_words or {})
        # The last few parses by text: in voice mode the endpointing parses the transcript to
        # decide whether the request is complete, then the pipeline parses the same words again
        # (0.3-0.4 s a parse on a loaded 2-core machine, bench/voice_latency.py).
        self._recent: OrderedDict[str, Parse] = OrderedDict()
        self._recent_lock = threading.Lock()
        # The decision rule of metrics.apply_threshold: best in-scope label against the threshold.
        self._in_scope = np.array([label != OUT_OF_SCOPE for label in INTENT_LABELS])
        self._in_scope_labels = [label for label in INTENT_LABELS if label != OUT_OF_SCOPE]

    def parse(self, text: str) -> Parse:
        """The intent, confidence and slots of ``text`` (recent answers are cached)."""
        raw = text if isinstance(text, str) else str(text)
        with self._recent_lock:
            known = self._recent.get(raw)
        if known is None:
            known = self._parse(raw)
            with self._recent_lock:
                self._recent[raw] = known
                while len(self._recent) > RECENT_PARSES:
                    self._recent.popitem(last=False)
        return replace(known, slots=dict(known.slots))  # callers may change their copy's slots

    def predict(
        self, clean_texts: list[str], batch_size: int = 64
    ) -> tuple[np.ndarray, list[list[tuple[int, int, str]]], np.ndarray]:
        """The network alone on many clean texts, in order: intent logits (uncalibrated), the
        tagger's slot spans and mood logits (the evaluation's view; ``parse`` adds the rest)."""
        intents, spans, moods = [], [], []
        for start in range(0, len(clean_texts), batch_size):
            texts = clean_texts[start : start + batch_size]
            batch = self.model.encode(texts)
            logits, tag_logits, mood_logits = self.model.run(batch)
            intents.append(logits)
            moods.append(mood_logits)
            for row, (text, offsets) in enumerate(zip(texts, batch.offsets, strict=True)):
                spans.append(decode_spans(tag_logits[row], offsets, whitespace_word_ids(text, offsets)))
        if not intents:
            return (
                np.zeros((0, len(INTENT_LABELS)), np.float32),
                [],
                np.zeros((0, len(MOOD_LABELS)), np.float32),
            )
        return np.concatenate(intents), spans, np.concatenate(moods)

    def _parse(self, raw: str) -> Parse:
        clean = clean_text(raw)
        if not clean:
            return Parse(intent=OUT_OF_SCOPE, confidence=0.0, slots={}, text=raw)
        batch = self.model.encode([clean])
        logits, tag_logits, mood_logits = self.model.run(batch)
        probs = _softmax(logits[0] / self.temperature)
        in_scope = probs[self._in_scope]
        top = int(in_scope.argmax())
        label, confidence = self._in_scope_labels[top], float(in_scope[top])
        if confidence < self.threshold:
            # No request is likely enough: the confidence is that the best guess is wrong.
            label, confidence = OUT_OF_SCOPE, 1.0 - confidence
        offsets = batch.offsets[0]
        spans = decode_spans(tag_logits[0], offsets, whitespace_word_ids(clean, offsets))
        unsure = label == OUT_OF_SCOPE or confidence < UNSURE_BELOW
        if self.spotter is not None and (unsure or label in FILM_OPINIONS):
            wanted, named = named_request(self.spotter, clean)
            # "i wanna hear <a catalog song>": the catalog is surer than an unsure classifier. On
            # a film the words decide between praise and a request: classifiers trained on other
            # machines split "i loved <film>" between the two.
            asks_more = label == "like" and ASKS_FOR_MORE.search(clean)
            if named and (unsure or asks_more or wanted in FILM_OPINIONS):
                label, confidence, spans = wanted, max(confidence, CATALOG_NAME_CONFIDENCE), named
        if self.spotter is not None:
            tied = _tied_to_catalog(label, clean)
            spans = join_fragments(self.spotter, clean, spans)
            other_tied = any(_tied_to_catalog(o, clean) for o in CATALOG_WORDS if o != label)
            spans = retype_names(
                self.spotter, clean, spans, other_catalog=not tied, intent=label, prefer_other=other_tied
            )
            spans = self.spotter.add_names(clean, label, spans)
            if label == "play_music" and "song" not in {slot for *_, slot in spans}:
                spans += single_name(self.spotter, clean, spans)
            label = _name_owner(label, confidence, spans, tied)
        spans = add_slot_words(self.slot_words, clean, label, spans)
        slots: dict[str, str] = {}
        for start, end, slot in spans:
            slots.setdefault(slot, clean[start:end])
        if self.normalizer is not None:
            slots = self.normalizer.normalize_slots(slots)
        mood = self._mood(mood_logits[0]) if label in MOOD_INTENTS else ""
        if mood:
            slots["mood"] = mood
        return Parse(intent=label, confidence=round(confidence, 6), slots=slots, text=raw)

    def _mood(self, mood_logits: np.ndarray) -> str:
        """The mood the request asks for, or "" when the head is unsure or hears none."""
        if not self.has_moods:
            return ""
        probs = _softmax(mood_logits)
        best = int(probs.argmax())
        if best == 0 or float(probs[best]) < self.mood_threshold:
            return ""
        return MOOD_LABELS[best]


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits.astype(np.float64) - logits.max())
    return shifted / shifted.sum()


def load_vocabulary() -> dict[str, list[str]] | None:
    """The catalog vocabulary the setup step writes, or None when it has not been built."""
    path = artifact_dir(VOCABULARY_ARTIFACT) / "vocabulary.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    return {str(k): [str(v) for v in vs] for k, vs in data.items() if isinstance(vs, list)}


def _exported_from_this_build() -> bool:
    """Whether the ONNX export was made from the trained weights now in the ``nlu`` artifact."""
    try:
        return read_stamp(ONNX_ARTIFACT)["nlu_hash"] == read_stamp(ARTIFACT)["hash"]
    except (OSError, ValueError, KeyError):
        return False


def load_nlu(
    vocabulary: dict[str, list[str]] | None = None, threads: int = 2, slot_words: SlotWords | None = None
) -> NluParser:
    """Load the setup-built NLU; ``vocabulary`` (and ``slot_words``) None reads the catalog
    vocabulary artifact (and the skills' slot words collected beside it) if any.

    Raises ``ArtifactMissingError`` naming the build command when the artifact is missing or
    damaged.
    """
    folder, onnx_folder = artifact_dir(ARTIFACT), artifact_dir(ONNX_ARTIFACT)
    if not (folder / "stamp.json").exists():
        raise ArtifactMissingError(
            ARTIFACT, f"no finished build in {folder}; run .venv/bin/python -m models.build --only nlu"
        )
    if not _exported_from_this_build():
        raise ArtifactMissingError(
            ONNX_ARTIFACT,
            f"no export of the trained classifier in {onnx_folder} matching it; "
            "run .venv/bin/python -m models.build --only nlu-onnx",
        )
    vocab = vocabulary if vocabulary is not None else load_vocabulary()
    keyed = keyed_vocabulary(vocab) if vocab else {}
    normalizer = SlotNormalizer(vocab, keyed=keyed) if vocab else None
    spotter = CatalogNameSpotter(vocab, keyed=keyed) if vocab else None
    try:
        words = slot_words if slot_words is not None else read_slot_words(artifact_dir(VOCABULARY_ARTIFACT))
        # No song or artist names: no spotter.
        return NluParser(folder, normalizer, spotter or None, words, threads=threads, onnx_folder=onnx_folder)
    except Exception as exc:  # any failure to read the files means a damaged artifact
        raise ArtifactMissingError(
            ARTIFACT,
            f"{type(exc).__name__}: {exc}; rebuild with .venv/bin/python -m models.build --only nlu --force",
        ) from exc
