"cpu-profile run of the denoising benchmark (tool 29c_denoise): `PYTHONPATH=. python bench/bench_denoise.py cpu` writes results/cpu/29c_denoise.json and figures/cpu/29c_denoise/fig_denoising.png."
import time, sys, numpy as np, torch
torch.set_num_threads(1)
from chiral_em.core import get_profile, write_json, save_png, results_path, figures_dir, versions
from chiral_em.denoise import denoise_benchmark, benchmark_kwargs, plot_denoise
profile = sys.argv[1] if len(sys.argv) > 1 else "cpu"
t = time.time()
r = denoise_benchmark(**benchmark_kwargs(get_profile("29c_denoise", profile)), seed=0)
m = r["metrics"] | dict(wall_s=round(time.time() - t, 1), profile=profile)
write_json(results_path(profile, "29c_denoise"), dict(chapter="29c_denoise", profile=profile, metrics=m,
                                                      versions=versions()))
save_png(plot_denoise(r), figures_dir(profile, "29c_denoise") / "fig_denoising.png")
print("wall", m["wall_s"])
for f, v in m["per_flux"].items():
    print(f, {k: (round(x["psnr_db"], 2), round(x["ssim"], 3), x.get("beats_bm3d")) for k, x in v.items() if k != "mtf_effect"})
    print("  ", {k: round(x, 2) for k, x in v["mtf_effect"].items()})
print(m.get("real"), m["final_loss"])
