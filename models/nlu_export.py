"""Export the trained NLU network to ONNX, the form the assistant runs it in.

``python -m models.build --only nlu-onnx`` runs ``build``, after the ``nlu`` step. It reads the
trained weights of ``artifact_dir("nlu")``, exports the network with torch's exporter and
checks on the held-out split's texts that onnxruntime gives the same intents, tags and moods
as torch (largest logit difference under ``MAX_LOGIT_DIFFERENCE``) before anything is written.
The runtime (``assistant/nlu/exported.py``) then needs neither torch nor transformers.

The artifact records which ``nlu`` build it was exported from; the parser refuses a model.onnx
from another build, and this step exports again whenever the ``nlu`` stamp changes. A few
seconds on two cores: retraining is never needed to refresh it.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import onnx
import torch
from safetensors.torch import load_file

from assistant.nlu.data import clean_text, load_split
from assistant.nlu.exported import INPUT_NAMES, ONNX_FILE, OUTPUT_NAMES, ExportedJointModel
from assistant.nlu.labels import INTENT_LABELS
from assistant.nlu.model import JointIntentSlotModel, encode, load_tokenizer
from assistant.nlu.parser import ARTIFACT as NLU_ARTIFACT
from assistant.nlu.parser import ONNX_ARTIFACT
from models.artifacts import (
    ONNX_OPSET,
    TOKEN_AXES,
    artifact_dir,
    content_hash,
    export_onnx,
    is_current,
    read_stamp,
    write_stamp,
)

NAME = ONNX_ARTIFACT
# float32 on both sides: the logits differed by at most 1.1e-4 on 64 held-out texts in one padded
# batch (5e-6 for a text alone, 2026-12-07); near this bound means another network, not rounding.
MAX_LOGIT_DIFFERENCE = 1e-3
CHECK_TEXTS = 64
CODE = [
    Path(__file__),
    *(Path(__file__).parents[1] / "assistant" / f for f in ("nlu/exported.py", "artifacts.py")),
]


def source_hash(nlu_hash: str) -> str:
    versions = f"torch={torch.__version__}|onnx={onnx.__version__}|opset={ONNX_OPSET}"
    return content_hash(CODE, extra=f"nlu-onnx-v1|{nlu_hash}|{versions}")


def trained_model(folder: Path) -> JointIntentSlotModel:
    """The trained network of the ``nlu`` artifact, in eval mode."""
    model = JointIntentSlotModel.from_config(folder, len(INTENT_LABELS))
    model.load_state_dict(load_file(str(folder / "model.safetensors")))
    return model.eval()


def largest_difference(
    model: JointIntentSlotModel, reference: dict, nlu_folder: Path, onnx_folder: Path, texts: list[str]
) -> float:
    """The largest absolute difference between torch's and onnxruntime's logits on ``texts``,
    tokenised the training's way (``reference``, ``model.encode``'s batch) and the runtime's way
    (they must give the same tokens)."""
    exported = ExportedJointModel(onnx_folder, nlu_folder)
    batch = exported.encode(texts)
    if not np.array_equal(batch.input_ids, reference["input_ids"].numpy()):
        raise RuntimeError("the runtime's tokenizer cuts the texts differently from the training's")
    with torch.inference_mode():
        expected = model(reference["input_ids"], reference["attention_mask"])
    got = exported.run(batch)
    return max(float(np.abs(e.numpy() - g).max()) for e, g in zip(expected, got, strict=True))


def build(force: bool = False) -> str:
    nlu_folder = artifact_dir(NLU_ARTIFACT)
    nlu_hash = read_stamp(NLU_ARTIFACT)["hash"]  # the nlu step ran first; no stamp: it failed
    want = source_hash(nlu_hash)
    out = artifact_dir(NAME)
    if not force and is_current(NAME, want) and (out / ONNX_FILE).is_file():
        return f"up to date ({out})"
    started = time.perf_counter()
    torch.set_num_threads(int(os.environ.get("NLU_TRAIN_THREADS", 2)))
    model = trained_model(nlu_folder)
    _, held_out = load_split(training_only=True)
    texts = [clean_text(ex.text) for ex in held_out[:CHECK_TEXTS]]
    out.mkdir(parents=True, exist_ok=True)
    (out / "stamp.json").unlink(missing_ok=True)  # stale until the checked file is in place
    reference = encode(load_tokenizer(nlu_folder), texts)
    sample = {name: reference[name][:2] for name in INPUT_NAMES}
    outputs = {OUTPUT_NAMES[0]: {0: "batch"}, OUTPUT_NAMES[1]: TOKEN_AXES, OUTPUT_NAMES[2]: {0: "batch"}}
    export_onnx(model, sample, outputs, out / ONNX_FILE)
    difference = largest_difference(model, reference, nlu_folder, out, texts)
    if difference > MAX_LOGIT_DIFFERENCE:
        (out / ONNX_FILE).unlink()
        raise RuntimeError(f"the exported network differs from the trained one (logits by {difference:.2g})")
    write_stamp(NAME, want, nlu_hash=nlu_hash, largest_logit_difference=difference)
    seconds = time.perf_counter() - started
    return f"exported in {seconds:.0f}s; logits within {difference:.1g} of torch's on {len(texts)} held-out texts"


if __name__ == "__main__":
    import sys

    print(build(force="--force" in sys.argv))
