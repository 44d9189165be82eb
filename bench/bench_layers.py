"""The cpu-scale two-layer benchmark (`chiral_em.layers.layer_benchmark` with the "layers" profile).

`python bench/bench_layers.py [PROFILE]` writes results/<PROFILE>/29d_layers.json (metrics as chapter 05c stores them
under metrics["layers"]) and figures/<PROFILE>/29d_layers/fig1b_two_layers.png. Single-threaded torch."""
import sys, time
import torch
from chiral_em.core import get_profile, save_results, save_png, figures_dir
from chiral_em.layers import layer_benchmark, layer_figure


def main(profile:str="cpu", seed:int=0)->dict:
    torch.set_num_threads(1)
    cfg, t0 = get_profile("layers", profile), time.time()
    res = layer_benchmark(seed=seed, n_seeds=cfg["n_seeds"], fluxes=cfg["fluxes"], n_movies=cfg["n_movies"],
                          n_frames=cfg["n_frames"], size=cfg["size"], steps=cfg["layer_steps"], batch=cfg["batch"],
                          crop=cfg["crop"], train_size=cfg["train_size"], base=cfg["base"], levels=cfg["levels"],
                          fit_movies=cfg["fit_movies"], upper_weight=cfg.get("upper_weight", 1.),
                          min_px=cfg.get("min_px", 1))
    save_png(layer_figure(res), figures_dir(profile, "29d_layers")/"fig1b_two_layers.png", close=True)
    save_results("29d_layers", profile, res["metrics"], seed=seed, wall_s=round(time.time() - t0, 1),
                 notes=dict(profile_keys=dict(cfg)))
    return res["metrics"]


if __name__ == "__main__": main(*sys.argv[1:2])
