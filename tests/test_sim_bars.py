"Engine sim.bars: seeded renders of data bands and scale bars with exact ground truth."
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from chiral_em.sim.bars import (BAR_RANGES, HELD_OUT_FONTS, STYLES, annotate, format_length, render_annotation,
                                sample_annotation, series_125)

BASE = np.random.default_rng(0).uniform(0.3, 0.7, (200, 260)).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), style=st.sampled_from(STYLES))
def test_ground_truth_is_exact(seed, style):
    a = annotate(BASE, np.random.default_rng(seed), style=style)
    x0, y0, x1, y1 = a.bar_box
    n = a.length_nm / a.pixel_size_nm
    side = a.edge in ("left", "right")
    assert abs((y1 - y0 if side else x1 - x0) - n) <= 1.5           # the bar is as long as its label says
    assert a.image.shape == BASE.shape and a.mask.any()
    g = (BASE - BASE.min()) / np.ptp(BASE)                          # the micrograph as the engine scales it
    assert np.abs(a.image - g)[~a.mask].max() <= 0.5 / 255 + 1e-6   # untouched outside the mask (8-bit rounding)
    assert a.font not in HELD_OUT_FONTS


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_same_seed_same_bytes(seed):
    a, b = (annotate(BASE, np.random.default_rng(seed)) for _ in range(2))
    assert a.image.tobytes() == b.image.tobytes() and a.label == b.label and a.bar_box == b.bar_box


def test_labels_and_series():
    assert list(series_125(1, 100)) == [1, 2, 5, 10, 20, 50, 100]
    rng = np.random.default_rng(0)
    labels = {format_length(1000, rng) for _ in range(300)}
    assert {"1 µm", "1 μm", "1 um", "1µm"} <= labels                 # both micro code points and ASCII u
    assert format_length(500, rng, "hitachi") == "500nm"
    assert {m for m, _ in BAR_RANGES["micro"]} == {"µ", "μ", "u"}


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="64 × 64"):
        render_annotation(np.zeros((20, 20)), sample_annotation(np.random.default_rng(0), (20, 20)))
    with pytest.raises(ValueError, match="lo <= hi"): series_125(5, 1)
