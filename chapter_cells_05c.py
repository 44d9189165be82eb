# Cells for nbs/05c_liquid.ipynb (issue 16, denoising), jupytext percent format. Paste them as a new section before
# "## 6. Results", then add `denoising=denoising` to the `metrics = dict(...)` of the results cell (the results JSON
# then carries metrics["denoising"]). Needs the "den_*" keys in the "05c_liquid" profile sections (see the report).

# %% [markdown]
# ## 5b. Denoising low-dose frames
#
# **What the paper did.** Beam-sensitive systems imaged at low dose are denoised by machine learning before their
# structure can be seen (paper 002's denoising figure); the paper notes that simulated training data are hard to make
# for such systems, which is the case for self-supervised methods.
#
# **Methods.** All frames are normalised intensity (counts divided by the counts per vacuum pixel). The tool
# `chiral_em.denoise` (notebook `29c_denoise`) renders each engine movie twice: the noisy frames of
# `simulate_movie` unchanged, and the clean frame, its exact expected value (the engine's noise-free intensity through
# the detector MTF). Test movies use seeds `(40 000 + seed, i)` (not the tracking test movies), validation movies
# `(30 000 + seed, i)` and training movies
# `(20 000 + s, i)` for each training seed s, each training movie at one flux of the list in turn. Five denoisers:
# (1) a Gaussian filter whose σ is chosen per flux on the validation movies; (2) BM3D (`bm3d` package, profile `np`)
# given the noise power spectrum predicted from the frame's mean intensity, the dose and the detector MTF (nothing
# tuned); (3) Noise2Void (Krull *et al.* 2019): a residual U-Net (`nets.UNet` + input skip) trained on noisy frames
# only, with one pixel in every 8 × 8 cell replaced by a random neighbour and the loss on those pixels; (4) the same
# with a 3 × 3 blind patch around each masked pixel (after Broaddus *et al.* 2020), one per 16 × 16 cell; (5) the
# same U-Net trained on (noisy, clean) simulated pairs with the MSE. The detector MTF correlates the noise between
# neighbouring pixels, which breaks Noise2Void's assumption of independent pixels; to show it, the same clean frames
# are also given *white* Poisson noise (counts drawn on the MTF-blurred intensity, no MTF on the noise) and a
# Noise2Void network is trained and tested on those. PSNR and SSIM (scikit-image, data range of the clean frame) on
# the test frames; networks trained with several seeds (mean, and the seeds' standard deviation); for each method the
# paired PSNR difference to BM3D with a 95 % bootstrap interval over test movies ("beats BM3D" when it lies above
# zero). For the real `stach_insitu_sintering_bftem` frames, which have no clean version, the unsupervised PSNR of
# Marcos Morales *et al.* (ICML 2023) by 2 × 2 spatial subsampling; there the Gaussian σ is chosen by uPSNR on the
# training split and a Noise2Void network is trained on the training split's noisy images. The goal:
# PSNR/SSIM per dose above BM3D.

# %%
from chiral_em.denoise import denoise_benchmark, benchmark_kwargs, plot_denoise, LABELS
with Timer() as t_den:
    den = denoise_benchmark(**benchmark_kwargs(cfg, "den_"), fluxes=FLUXES, seed=seed)
fig = plot_denoise(den)
ch.savefig(fig, "fig_denoising")
dm = den["metrics"]
name = lambda k: LABELS[k] if k in LABELS else LABELS[k.removesuffix("_white")] + " (white noise)"
rows = [dict(flux=fl, method=name(k), psnr_db=v["psnr_db"], ssim=v["ssim"], seed_std_db=v["psnr_seed_std"],
             minus_bm3d_db=v.get("minus_bm3d_db"), beats_bm3d=v.get("beats_bm3d"))
        for fl, per in dm["per_flux"].items() for k, v in per.items() if k != "mtf_effect"]
den_table = pd.DataFrame(rows)
display(den_table.round(3))
display(pd.DataFrame({fl: per["mtf_effect"] for fl, per in dm["per_flux"].items()}).round(2))
if "real" in dm: display(dm["real"])

# %%
goal_rows = [(fl, k, q, dm["per_flux"][fl][k]["beats_bm3d" if q == "PSNR" else "beats_bm3d_ssim"])
             for fl in dm["per_flux"] for k in ("n2v", "n2v_patch", "supervised") for q in ("PSNR", "SSIM")]
denoising = dm | dict(goal_above_bm3d={f"{k} {q} at {fl} e⁻/Å²/s": b for fl, k, q, b in goal_rows},
                      train_s=round(t_den.s, 1))
fmt = lambda rows: ", ".join(f"{LABELS[k]} {q} at {fl}" for fl, k, q, b in rows) or "none"
Markdown("**Goal 'PSNR/SSIM per dose above BM3D'** (paired 95 % bootstrap interval over test movies above zero): met "
         f"for {fmt([r for r in goal_rows if r[3]])}; not met for {fmt([r for r in goal_rows if not r[3]])}.")

# %% [markdown]
# **What the numbers say** (`cpu` profile; filled in from `results/cpu/05c_liquid.json` after the cpu run; the
# values of the tool's own cpu benchmark, same sizes, are in the helper's report).
