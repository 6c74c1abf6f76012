import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from sentiment.insight.stats import newcombe_diff, share_shift, two_proportion_p


@pytest.mark.parametrize("ka, na, kb, nb, low, high", [
    # Newcombe (1998), Table II, method 10 (hybrid score)
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (6, 7, 2, 7, 0.0582, 0.8062),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
])
def test_newcombe_interval_matches_published_values(ka, na, kb, nb, low, high):
    d, lo, hi = newcombe_diff(ka, na, kb, nb)
    assert d == pytest.approx(ka / na - kb / nb)
    assert (lo, hi) == pytest.approx((low, high), abs=5e-4)


def test_newcombe_of_an_empty_window_is_undefined():
    assert all(math.isnan(x) for x in newcombe_diff(0, 0, 3, 10))


def test_z_test_equals_the_two_by_two_chi_square():
    for ka, na, kb, nb in [(56, 70, 48, 80), (30, 40, 10, 40), (3, 25, 4, 31)]:
        expected = chi2_contingency([[ka, na - ka], [kb, nb - kb]], correction=False)[1]
        assert two_proportion_p(ka, na, kb, nb) == pytest.approx(expected, rel=1e-9)


def test_share_shift_flags_small_windows():
    assert share_shift("concern", 2, 5, 4, 6, min_n=20).too_small
    assert not share_shift("concern", 20, 50, 40, 60, min_n=20).too_small


def test_newcombe_interval_covers_a_known_shift_about_95_percent_of_the_time():
    """Generated data with a true shift of +0.15: the 95% interval covers it in ~95% of samples."""
    rng = np.random.default_rng(3)
    p_before, p_after, n_before, n_after = 0.25, 0.40, 120, 150
    runs = 2000
    covered = 0
    for _ in range(runs):
        kb, ka = rng.binomial(n_before, p_before), rng.binomial(n_after, p_after)
        _, low, high = newcombe_diff(int(ka), n_after, int(kb), n_before)
        covered += low <= p_after - p_before <= high
    assert 0.93 <= covered / runs <= 0.975
