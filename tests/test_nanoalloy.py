"chiral-em nanoalloy: the shipped model, run through the command, gives what the chapter's prediction gives."
import json
import numpy as np
import pytest

from chiral_em import nanoalloy as na
from chiral_em.emio import write_tif
from chiral_em.models import find_model, load_model
from chiral_em.sim import agco_image, md


def test_command_matches_direct_prediction(tmp_path):
    try: net, meta = load_model(find_model("agco_net"))
    except FileNotFoundError: pytest.skip("agco_net is not shipped (run chapter 06 in the cpu profile)")
    x, t = md.initial_droplets(150, 150)
    img = agco_image.image_cluster(dict(positions=x, types=t), [5, 0], out_px=128, n_draws=1)["noisy"][0]
    den = load_model(find_model("agco_denoise"))[0] if meta.get("input") == "denoised" else None
    p, s, c = na.read_windows(img[None], net, meta, den)   # the window as it is: no resampling, no cut
    write_tif(tmp_path / "c.tif", img.astype(np.float32), meta["pixel_size_nm"])
    assert na.main([str(tmp_path / "c.tif"), "--out", str(tmp_path / "out")]) == 0
    r = json.loads((tmp_path / "out" / "nanoalloy.json").read_text())["results"][0]
    assert r["p_janus"] == pytest.approx(float(p[0]), abs=1e-5)
    assert r["size_atoms"] == pytest.approx(float(s[0]), abs=1e-3)
    assert 0 < r["x_ag"] < 1.2


def test_refuses_far_magnification(tmp_path):
    noise = np.random.default_rng(0).normal(1, 0.1, (400, 400)).astype(np.float32)
    write_tif(tmp_path / "far.tif", noise, 0.2)   # 4.6× the training pixel size
    assert na.main([str(tmp_path / "far.tif"), "--out", str(tmp_path / "o")]) == 1
    skipped = json.loads((tmp_path / "o" / "nanoalloy.json").read_text())["skipped"]
    assert "training sampling" in skipped[0]["reason"]
