"Engine `sim.catalyst` (HAADF-STEM supported catalysts) and the scale-free catalyst segmenter."
import json
import numpy as np, pytest
from chiral_em.sim.catalyst import render_catalyst, scattering_power, CATALYST_RANGES, METALS, SUPPORTS
from chiral_em.catalyst import train_catalyst_net, segment_catalyst, catalyst_batch, main
from chiral_em.emio import write_tif
from chiral_em.models import save_model


def test_same_seed_same_scene():
    a, b = (render_catalyst(np.random.default_rng([9, 1]), 80) for _ in range(2))
    assert a[0].tobytes() == b[0].tobytes() and a[1].tobytes() == b[1].tobytes() and a[2] == b[2]


def test_labels_and_ranges():
    for k in range(6):
        img, lab, info = render_catalyst(np.random.default_rng([9, k]), 96)
        assert img.shape == lab.shape == (96, 96) and 0 <= img.min() and img.max() <= 1
        assert lab.max() == info["n"] and info["metal"] in METALS and info["support"] in SUPPORTS
        lo, hi = CATALYST_RANGES["sampling"]
        assert lo <= info["sampling"] <= hi


def test_heavy_metals_outscatter_supports():
    assert min(scattering_power(m) for m in ("Pt", "Au", "W")) > 10 * max(scattering_power(s) for s in
                                                                         ("alumina", "silica", "carbon"))
    with pytest.raises(ValueError, match="unknown material"): scattering_power("Xx")
    with pytest.raises(ValueError, match="unknown ranges"): render_catalyst(np.random.default_rng(0), 32, foo=(1, 2))


def test_catalyst_batch_is_reproducible():
    x1, y1 = catalyst_batch(np.random.default_rng(3), 2, 40)
    x2, y2 = catalyst_batch(np.random.default_rng(3), 2, 40)
    assert x1.tobytes() == x2.tobytes() and y1.tobytes() == y2.tobytes() and y1.shape == (2, 2, 40, 40)


def test_cli_stem_particles_without_pixel_size(tmp_path):
    net, meta, _ = train_catalyst_net(2, 2, 32, progress=False, profile="test")
    save_model(tmp_path / "h.pt", net, meta)
    img = render_catalyst(np.random.default_rng(5), 96)[0]
    write_tif(tmp_path / "c.tif", img)                         # no calibration
    write_tif(tmp_path / "k.tif", img, pixel_size=0.2)         # 0.2 nm/px
    (tmp_path / "bad.tif").write_bytes(b"no")
    assert main([str(tmp_path / f) for f in ("c.tif", "k.tif", "bad.tif")] +
                ["--kind", "particles", "--mode", "stem", "--out", str(tmp_path / "o"), "--model",
                 str(tmp_path / "h.pt")]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert [r["pixel_size_from"] for r in s["results"]] == ["none: sizes in px", "file"]
    assert len(s["skipped"]) == 1 and "bad.tif" in s["skipped"][0]["file"]
    assert segment_catalyst(img, net, meta).shape == img.shape
