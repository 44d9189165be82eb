"""Chapter 05's dose study with the paper's MSD-net depth. Paper 003 segments particles with a Mixed-Scale Dense
network of depth 100; the `cpu` profile uses depth 30 (4,247 parameters) against a U-Net of about the same size, and
the `paper` profile depth 100 (45,652) against a U-Net of base 5 with 3 levels (47,696), a profile meant for a GPU.
This script runs the chapter's own cells (data, MTF fit, the particle networks' training cell and the dose-study cell,
found by their text) with the `cpu` profile's data, steps, batch and seeds, and only the two architectures' sizes
replaced: for each (MSD-net depth, U-Net base, U-Net levels) triple given, three seeds of each network, test Dice at
each dose of the chapter (mean ± sd over seeds), the two trivial baselines (all particle; Otsu of the smoothed image,
σ chosen on validation), and the chapter's verdict per dose (a difference beyond twice its standard error). Nothing is
saved over the chapter's models.

Measured in `cpu` (2 cores, 2026-12-05, `--pairs 100:5:3`): MSD-net depth 100 (45,652 parameters) against U-Net base 5,
3 levels (47,696), 3 seeds each, 400 steps: the U-Net wins at every dose, test Dice 0.629 ± 0.021 vs 0.549 ± 0.022 at
10 e⁻/Å² (Otsu 0.555, all particle 0.534), 0.869 ± 0.006 vs 0.829 ± 0.005 at 100, 0.908 ± 0.004 vs 0.898 ± 0.002 at
1,000. Training 564 s per MSD-net replicate against 40 s per U-Net; the whole run 32 min.

`python bench/hrtem_msd_depth.py [--pairs 30:3:2 100:5:3] [--steps N] [--out results/bench/hrtem_msd_depth.json]`"""
import json, time, types
import numpy as np
from hrtem_col_sigma import bench_parser, chapter_cell, setup
from chiral_em.core import project_root, write_json, versions


def dose_study(g:dict, depth:int, base:int, levels:int,  # chapter namespace, MSD depth, U-Net base and levels
               steps:int=None)->dict:                    # training steps (None: the profile's)
    "Train the chapter's particle networks at these sizes (all seeds) and score them at every dose of the chapter."
    nb = json.loads((project_root() / "nbs" / "05_hrtem.ipynb").read_text())
    g["cfg"]["msd_depth"], g["cfg"]["unet_base"], g["cfg"]["unet_levels"] = depth, base, levels
    if steps: g["cfg"]["steps"] = steps
    g["models"] = types.SimpleNamespace(save_model=lambda *a, **k: None)   # keep the chapter's saved models
    t0 = time.perf_counter()
    exec(chapter_cell(nb, "def particle_net(name, k)"), g)
    t_train = time.perf_counter() - t0
    exec(chapter_cell(nb, "def dose_images(ds, d, key)"), g)
    exec(chapter_cell(nb, "def who_wins(j)"), g)
    doses = [f"{d:g}" for d in g["doses"]]
    row = dict(msd_depth=depth, unet_base=base, unet_levels=g["cfg"]["unet_levels"], params=dict(g["n_par"]),
               steps=g["cfg"]["steps"], batch=g["cfg"]["batch"], n_seeds=g["cfg"]["n_seeds"],
               train_s_per_net={k: float(np.mean(v)) for k, v in g["train_time"].items()}, train_s=t_train,
               wall_s=time.perf_counter() - t0, winner=dict(g["wins"]))
    for name in g["reps"]:
        row[name] = dict(zip(doses, g["dice_mean"][name].tolist()))
        row[f"{name} sd"] = dict(zip(doses, g["dice_sd"][name].tolist()))
    for name, v in g["base"].items(): row[name] = dict(zip(doses, [float(x) for x in v]))
    return row


if __name__ == "__main__":
    ap = bench_parser(__doc__, "hrtem_msd_depth.json")
    ap.add_argument("--pairs", nargs="+", default=["30:3:2", "100:5:3"],
                    help="MSD-net depth:U-Net base:U-Net levels (the cpu and paper profiles' sizes)")
    ap.add_argument("--steps", type=int, default=None, help="training steps (default: the profile's steps)")
    a = ap.parse_args()
    g = setup(a.profile, a.seed)
    rows = []
    for p in a.pairs:
        depth, base, levels = map(int, p.split(":"))
        rows.append(dose_study(g, depth, base, levels, a.steps))
        print(json.dumps(rows[-1]), flush=True)
        write_json(a.out, dict(profile=a.profile, seed=a.seed, rows=rows, versions=versions()))
