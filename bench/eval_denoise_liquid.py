"""The shipped `liquid_denoise` (chapter 05c's supervised residual U-Net, training seed 0, with the 8-fold
self-ensemble and, where its metadata asks for it, the output shifted to the frame's mean) against BM3D on more test
movies than the chapter uses (24 per flux; 6 before its December 2026 revision), to narrow the interval of the PSNR
difference. Test movies `denoise.liquid_pairs(40 000, i)` — the chapter's test series (i < 24 are the chapter's own;
nothing was chosen on any of them), 2 frames of 128² px each, at every flux of the chapter; BM3D is given the noise
power spectrum the dose and the detector MTF predict (`denoise.poisson_psd`), as in the chapter. Scores: PSNR and
SSIM against the clean frame; the paired difference to BM3D per movie with a 95 % bootstrap interval over movies.

`python bench/eval_denoise_liquid.py [N_MOVIES] [--out results/bench/denoise_liquid.json]` (default 48 movies)"""
import sys, time
from pathlib import Path
import numpy as np, torch
from tqdm.auto import tqdm
from chiral_em.core import project_root, write_json, versions
from chiral_em.denoise import liquid_pairs, bm3d_denoise, poisson_psd, net_denoise, psnr, ssim, _boot_ci
from chiral_em.models import load_model, find_model
from chiral_em.sim import liquid_cell

FLUXES, N_FRAMES, SIZE, SEED = (50., 500., 1000., 1500.), 2, 128, 0

def main(n:int=48, out:str=None):
    torch.set_num_threads(2)
    net, meta = load_model(find_model("liquid_denoise"))
    mtf = liquid_cell.LIQUID_RANGES["mtf"]
    rng, res, t0 = np.random.default_rng([SEED, 98]), {}, time.time()
    for fl in FLUXES:
        ps = {k: np.zeros((n, N_FRAMES)) for k in ("noisy", "bm3d", "supervised")}
        ss = {k: np.zeros((n, N_FRAMES)) for k in ps}
        for i in tqdm(range(n), desc=f"{fl:g} e⁻/Å²/s", leave=False):
            mv = liquid_pairs(40_000 + SEED, i, flux=fl, n_frames=N_FRAMES, size=SIZE)
            for t in range(N_FRAMES):
                x, c = mv["noisy"][t], mv["clean"][t]
                for k, est in (("noisy", x), ("bm3d", bm3d_denoise(x, poisson_psd(x, mv["counts_per_px"], mtf))),
                               ("supervised", net_denoise(net, x, True, meta.get("keep_mean", False)))):
                    ps[k][i, t], ss[k][i, t] = psnr(est, c), ssim(est, c)
        d, dss = ps["supervised"].mean(1) - ps["bm3d"].mean(1), ss["supervised"].mean(1) - ss["bm3d"].mean(1)
        res[f"{fl:g}"] = dict({f"{k}_psnr_db": float(v.mean()) for k, v in ps.items()},
                              **{f"{k}_ssim": float(v.mean()) for k, v in ss.items()},
                              minus_bm3d_db=float(d.mean()), minus_bm3d_ci=_boot_ci(d, rng),
                              ssim_minus_bm3d=float(dss.mean()), ssim_minus_bm3d_ci=_boot_ci(dss, rng),
                              minus_bm3d_db_first24=float(d[:24].mean()), per_movie_minus_bm3d_db=d.round(3).tolist())
        r = res[f"{fl:g}"]
        print(f"{fl:g} e⁻/Å²/s: supervised − BM3D {r['minus_bm3d_db']:+.2f} dB [{r['minus_bm3d_ci'][0]:+.2f}, "
              f"{r['minus_bm3d_ci'][1]:+.2f}] over {n} movies (first 24: {r['minus_bm3d_db_first24']:+.2f}); "
              f"SSIM {r['ssim_minus_bm3d']:+.3f} [{r['ssim_minus_bm3d_ci'][0]:+.3f}, {r['ssim_minus_bm3d_ci'][1]:+.3f}]",
              flush=True)
    out = Path(out) if out else project_root() / "results" / "bench" / "denoise_liquid.json"
    write_json(out, dict(model="liquid_denoise", model_meta=meta,
                         n_movies=n, n_frames=N_FRAMES, size=SIZE, test_series=40_000 + SEED, per_flux=res,
                         wall_s=round(time.time() - t0, 1), versions=versions()))
    print("wrote", out)

if __name__ == "__main__":
    args = sys.argv[1:]
    o = args[args.index("--out") + 1] if "--out" in args else None
    nums = [a for a in args if a.isdigit()]
    main(int(nums[0]) if nums else 48, o)
