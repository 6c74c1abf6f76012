"""PPI++ shares, checked like code: coverage on simulated data of known truth, the authors'
implementation as reference, and the degenerate cases."""

from __future__ import annotations

import numpy as np
import pytest

from sentiment.insight.ppi import Audit, PopulationMoments, audit_only, ppi_shares, shift
from sentiment.settings import LABELS

K = len(LABELS)


def _classifier(rng: np.random.Generator, truth: np.ndarray, accuracy: float, sharpness: float = 3.0) -> np.ndarray:
    """Probability rows of a simulated classifier that is right ``accuracy`` of the time, with a
    confusion that favours one wrong label (so its raw shares are biased)."""
    n = len(truth)
    right = rng.random(n) < accuracy
    wrong = (truth + 1 + (rng.random(n) < 0.3).astype(int)) % K
    predicted = np.where(right, truth, wrong)
    logits = rng.normal(0, 1, (n, K))
    logits[np.arange(n), predicted] += sharpness
    probs = np.exp(logits)
    return probs / probs.sum(1, keepdims=True)


def _population(rng, n, mix, accuracy):
    truth = rng.choice(K, size=n, p=mix)
    return truth, _classifier(rng, truth, accuracy)


@pytest.mark.parametrize("accuracy,mix", [(0.5, [0.3, 0.25, 0.15, 0.3]), (0.85, [0.1, 0.6, 0.05, 0.25])])
def test_intervals_cover_the_truth_and_beat_labels_alone(accuracy, mix):
    rng = np.random.default_rng(7)
    draws, n_audit = 400, 100
    covered = np.zeros(K)
    err_ppi = err_labels = 0.0
    width_ppi = width_labels = 0.0
    for _ in range(draws):
        truth, probs = _population(rng, 5000, mix, accuracy)
        true_share = np.bincount(truth, minlength=K) / len(truth)
        pick = rng.choice(len(truth), size=n_audit, replace=False)
        audit = Audit(truth[pick], probs[pick])
        est = ppi_shares(PopulationMoments.from_probs(probs), audit)
        base = audit_only(audit)
        covered += (est.low <= true_share) & (true_share <= est.high)
        err_ppi += np.abs(est.share - true_share).mean()
        err_labels += np.abs(base.share - true_share).mean()
        width_ppi += (est.high - est.low).mean()
        width_labels += (base.high - base.low).mean()
    assert (covered / draws).mean() >= 0.93 and (covered / draws).min() >= 0.90
    assert err_ppi <= err_labels * 1.02
    assert width_ppi <= width_labels * 1.05
    # the model's own shares are biased here: the correction must matter
    truth, probs = _population(rng, 5000, mix, accuracy)
    if accuracy < 0.6:
        assert np.abs(probs.mean(0) - np.bincount(truth, minlength=K) / len(truth)).max() > 0.05


def test_a_good_classifier_tightens_the_interval():
    rng = np.random.default_rng(3)
    truth, probs = _population(rng, 20000, [0.25] * 4, 0.95)
    pick = rng.choice(len(truth), size=200, replace=False)
    audit = Audit(truth[pick], probs[pick])
    est, base = ppi_shares(PopulationMoments.from_probs(probs), audit), audit_only(audit)
    assert ((est.high - est.low) < 0.7 * (base.high - base.low)).all()
    assert (est.lam > 0.5).all()


def test_agrees_with_the_authors_implementation():
    import ppi_py  # the dev extra installs it
    rng = np.random.default_rng(11)
    truth, probs = _population(rng, 3000, [0.3, 0.3, 0.1, 0.3], 0.6)
    labelled = np.arange(120)
    audit = Audit(truth[labelled], probs[labelled])
    rest = probs[120:]
    est = ppi_shares(PopulationMoments.from_probs(rest), audit, audit_in_population=False)
    y = np.eye(K)[truth[labelled]]
    low, high = ppi_py.ppi_mean_ci(y, probs[labelled], rest, alpha=0.05, lam_optim_mode="element")
    point = ppi_py.ppi_mean_pointestimate(y, probs[labelled], rest, lam_optim_mode="element")
    assert np.allclose(est.share, point, atol=1e-9)
    half = (high - low) / 2  # ppi_py's normal interval; ours is Wilson's at the same variance
    assert np.allclose(est.se * 1.959963984540054, half, atol=1e-9)
    assert (est.low < point).all() and (point < est.high).all()


def test_drawn_from_the_population_counts_the_audited_exactly():
    rng = np.random.default_rng(5)
    truth, probs = _population(rng, 50, [0.4, 0.3, 0.1, 0.2], 0.5)
    est = ppi_shares(PopulationMoments.from_probs(probs), Audit(truth, probs))
    assert np.allclose(est.share, np.bincount(truth, minlength=K) / 50)
    assert np.allclose(est.low, est.high)


def test_too_few_audit_labels_are_not_a_correction():
    rng = np.random.default_rng(1)
    truth, probs = _population(rng, 500, [0.25] * 4, 0.5)
    est = ppi_shares(PopulationMoments.from_probs(probs), Audit(truth[:9], probs[:9]))
    assert est.method == "model" and not est.corrected
    assert np.allclose(est.share, probs.mean(0))
    assert "not corrected" in est.notes[0] and "9 audited" in est.notes[0]


def test_a_label_absent_from_the_audit_gets_a_wilson_interval_not_a_point():
    rng = np.random.default_rng(2)
    truth, probs = _population(rng, 2000, [0.4, 0.4, 0.0, 0.2], 0.6)
    assert not (truth == LABELS.index("support")).any()
    est = ppi_shares(PopulationMoments.from_probs(probs), Audit(truth[:40], probs[:40]))
    i = LABELS.index("support")
    assert est.share[i] == 0 and est.low[i] == 0 and est.high[i] > 0.05
    assert any(note.startswith("support: no audited document") for note in est.notes)


def test_pooled_audit_says_its_assumption_and_shift_is_after_minus_before():
    rng = np.random.default_rng(4)
    truth, probs = _population(rng, 1000, [0.25] * 4, 0.7)
    audit = Audit(truth[:100], probs[:100])
    before = ppi_shares(PopulationMoments.from_probs(probs[100:500]), audit, audit_in_population=False)
    after = ppi_shares(PopulationMoments.from_probs(probs[500:]), audit, audit_in_population=False)
    assert any("pooled" in note for note in before.notes)
    diff, low, high = shift(before, after)
    assert np.allclose(diff, after.share - before.share)
    assert (low <= diff).all() and (diff <= high).all()


def test_an_audit_larger_than_its_population_is_an_error():
    probs = np.full((5, K), 0.25)
    with pytest.raises(ValueError, match="larger than the population"):
        ppi_shares(PopulationMoments.from_probs(probs), Audit(np.zeros(12, dtype=int), np.full((12, K), 0.25)))


def test_a_large_audit_of_a_small_population_still_covers():
    """An audit of a third of the documents (real-dev's 60 of 176): the finite-population variance
    must hold coverage where the infinite-population one would be too narrow."""
    rng = np.random.default_rng(9)
    truth, probs = _population(rng, 176, [0.3, 0.25, 0.14, 0.31], 0.5)
    true_share = np.bincount(truth, minlength=K) / len(truth)
    pop = PopulationMoments.from_probs(probs)
    covered, draws = np.zeros(K), 400
    for _ in range(draws):
        pick = rng.choice(176, size=60, replace=False)
        est = ppi_shares(pop, Audit(truth[pick], probs[pick]))
        covered += (est.low <= true_share) & (true_share <= est.high)
    assert (covered / draws).mean() >= 0.93
