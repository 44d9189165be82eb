"Tests of chiral_em.denoise: pairs, masking, metrics, baselines, trainers, CLI (seconds on one core)."
import numpy as np
import pytest
import torch

from chiral_em import denoise as dn
from chiral_em.sim import liquid_cell


def test_liquid_pairs_reproducible_and_engine_unchanged():
    a = dn.liquid_pairs(3, 1, n_frames=2, size=48, flux=800.)
    b = dn.liquid_pairs(3, 1, n_frames=2, size=48, flux=800.)
    assert a["noisy"].tobytes() == b["noisy"].tobytes() and a["clean"].tobytes() == b["clean"].tobytes()
    mv = liquid_cell.simulate_movie(3, 1, n_frames=2, size=48, labels=False, flux=800.)
    np.testing.assert_array_equal(a["noisy"], mv["frames"] / a["counts_per_px"])
    assert liquid_cell.detect.__name__ == "detect"
    w = dn.liquid_pairs(3, 1, n_frames=2, size=48, flux=800., white=True)
    np.testing.assert_array_equal(w["clean"], a["clean"])
    assert np.std(w["noisy"] - w["clean"]) > np.std(a["noisy"] - a["clean"])   # the MTF damps the noise


def test_blind_spot_mask_only_changes_masked():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 32, 32)).astype(np.float32)
    xin, m = dn.blind_spot_mask(x, rng, grid=8)
    assert m.sum() == 3 * 16 and np.all(xin[m == 0] == x[m == 0])
    xin, m = dn.blind_spot_mask(x, rng, grid=16, radius=1)
    assert m.sum() == 3 * 4 and np.all(xin[m > 0] != x[m > 0])
    with pytest.raises(ValueError, match="multiple of grid"): dn.blind_spot_mask(x[:, :30], rng)


def test_metrics_and_upsnr():
    rng = np.random.default_rng(1)
    clean = np.sin(np.mgrid[:128, :128][1] / 40) + 2
    noisy = clean + 0.1 * rng.standard_normal(clean.shape)
    assert dn.psnr(noisy, clean) == pytest.approx(20 * np.log10(np.ptp(clean) / 0.1), abs=0.3)
    assert dn.ssim(clean, clean) == pytest.approx(1.0)
    M = float(np.subtract(*np.percentile(noisy, [99.9, 0.1])))
    assert dn.upsnr(noisy, lambda b: b) == pytest.approx(10 * np.log10(M ** 2 / 0.01), abs=0.5)
    with pytest.raises(ValueError, match="differ in shape"): dn.psnr(noisy[:5], clean)
    with pytest.raises(ValueError): dn.psnr(np.full((8, 8), np.nan), np.ones((8, 8)))


def test_baselines_improve_and_restore_numpy():
    p = dn.liquid_pairs(0, 0, n_frames=1, size=64, flux=200.)
    x, c = p["noisy"][0], p["clean"][0]
    had = hasattr(np, "trapz")
    y = dn.bm3d_denoise(x, dn.poisson_psd(x, p["counts_per_px"]))
    assert hasattr(np, "trapz") == had
    assert dn.psnr(y, c) > dn.psnr(x, c) and dn.psnr(dn.gaussian(x, 1.0), c) > dn.psnr(x, c)
    assert dn.choose_sigma([x], [c], sigmas=(0.5, 1.0)) in (0.5, 1.0)
    with pytest.raises(ValueError, match="PSD shape"): dn.bm3d_denoise(x, np.ones((3, 3)))


def test_trainers_shapes_and_seed():
    torch.set_num_threads(1)
    p = dn.liquid_pairs(1, 0, n_frames=2, size=64, flux=500.)
    n1, h1 = dn.train_n2v(list(p["noisy"]), steps=2, batch=2, crop=32, seed=4)
    n2, h2 = dn.train_n2v(list(p["noisy"]), steps=2, batch=2, crop=32, seed=4)
    assert h1 == h2
    s, _ = dn.train_supervised(list(zip(p["noisy"], p["clean"])), steps=2, batch=2, crop=32, residual=True)
    assert isinstance(s, dn.ResUNet) and dn.net_denoise(s, p["noisy"][0][:50, :40]).shape == (50, 40)
    with pytest.raises(ValueError): dn.train_n2v([], steps=1)


def test_cli_bad_file_skipped(tmp_path, capsys):
    from PIL import Image
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (48, 48), dtype=np.uint8)).save(tmp_path / "a.png")
    (tmp_path / "bad.png").write_text("no image")
    assert dn.main([str(tmp_path / "a.png"), str(tmp_path / "bad.png"), "--method", "gaussian",
                    "--out", str(tmp_path / "o")]) == 1   # one file skipped
    assert (tmp_path / "o" / "a_gaussian.tif").exists()
    assert "skipped" in capsys.readouterr().out


def test_benchmark_kwargs():
    kw = dn.benchmark_kwargs(dict(den_steps=5, den_n_seeds=2, den_real_limit=0, other=1), "den_")
    assert kw == dict(steps=5, seeds=(0, 1), real_limit=None)
