"""HAADF catalyst network trained on dense, bright-support scenes: does it find the particles of the genc catalyst files?
Chapter 05's HAADF network (`catalyst.train_catalyst_net` on the engine's default ranges) finds the Pt particles on the
alumina tomogram slices (report Pt F1 0.72) but few of the genc catalyst particles (report box F1 0.21): those images
are dense fields of 5–30 px particles on a support that fills the frame and is as bright as the particles. This script
trains the same network, same recipe (steps, batch, field, seed streams), on scenes drawn with the engine's
`sim.catalyst.DENSE_SUPPORT` overrides (loading 0.01–0.25, support cover 0.5–1, support / particle signal 0.3–12,
diameters 5–30 px) and scores both networks on the chapter's calibration and report halves of both real HAADF sets
(box F1 at IoU 0.5 on genc, Pt instance F1 and pixel Dice on the tomogram slices; the chapter's helpers, executed from
its HAADF cell), over the chapter's finder grid (fixed foreground threshold or × the image's Otsu, and marker depth).
The ranges were written after looking at genc images (not at any score); the finder point is chosen on calibration
halves only, under two protocols: **both** (the mean of the genc and tomogram calibration F1, as the chapter chooses)
and **genc** (the genc calibration half alone: a user who calibrates on a few of their own images of dense catalysts).
The report halves choose nothing. Networks are cached (`--cache`); the default-range network of seed 0 is the
chapter's (and the shipped `particles_haadf`). In the run below the three default-range networks were copies of
`bench/haadf_highpass.py`'s cached `plain` networks (the same recipe; seed 0 checked equal to the shipped weights), so
their `train_min` is 0; the dense ones were trained by this script (dense seed 0 equal, tensor for tensor, to an earlier
scratch probe that set the ranges by hand). Scoring them again through the shared helpers of `hrtem_col_sigma.py`
gave every number identically.

Measured in `cpu` (2 cores, 2026-12-06; 3 seeds per network, 2,000 steps, 7–8 min per training; report halves:
13 genc files, 15 tomogram slices; means over seeds, per-seed values in `results/bench/haadf_dense.json`):

| network | finder chosen on | report genc box F1 (seeds 0, 1, 2) | report tomo Pt F1 | report tomo Dice |
|---|---|---|---|---|
| default ranges (seed 0 = chapter 05's, shipped) | both sets | 0.236 (0.211, 0.275, 0.222) | 0.640 | 0.739 |
| default ranges | genc alone | 0.327 (0.326, 0.348, 0.308) | 0.350 | 0.569 |
| **dense supports** | **genc alone** | **0.448 (0.479, 0.424, 0.442)** | 0.152 | 0.299 |
| dense supports | both sets | 0.317 (0.270, 0.424, 0.257) | 0.353 | 0.590 |

Seed 0 of the default network under "both" reproduces the chapter's report numbers exactly (genc 0.211 [0.067,
0.312], tomogram Dice 0.778). The dense-support network with a finder calibrated on a user's own dense-catalyst images
doubles the chapter's genc box F1 (every seed's 95 % interval over files still reaches below 0.3, e.g. seed 0 0.479
[0.273, 0.614]) and beats recalibrating the default network's threshold alone by 0.12; it is the wrong network for
sparse particles on a smooth support (tomogram F1 0.15). So it is a second network for a second kind of image, not a
replacement; no network or finder here comes near the issue's 0.85 on genc.

`python bench/haadf_dense.py [--seeds 0 1 2] [--profile cpu] [--out FILE]`"""
import time
import numpy as np
from pathlib import Path
from chiral_em.core import project_root, write_json, versions, atomic_write
from hrtem_col_sigma import bench_parser, haadf_setup, haadf_rows


def get_net(kind:str, seed:int, cfg, cache:Path):  # "default" or "dense", training seed, cache folder
    "A trained catalyst network from the cache, else trained now (the chapter's recipe) and cached."
    import torch
    from chiral_em.nets import UNet
    from chiral_em.catalyst import train_catalyst_net
    from chiral_em.sim.catalyst import DENSE_SUPPORT
    name = f"{kind}_{seed}_{cfg.haadf_steps}.pt"
    if (cache / name).is_file():
        net = UNet(1, 2)
        net.load_state_dict(torch.load(cache / name))
        return net.eval(), 0.
    t0 = time.time()
    net = train_catalyst_net(cfg.haadf_steps, cfg.haadf_batch, cfg.haadf_field, seed, progress=False,
                             ranges=DENSE_SUPPORT if kind == "dense" else None)[0]
    cache.mkdir(parents=True, exist_ok=True)
    with atomic_write(cache / name, "wb") as fh: torch.save(net.state_dict(), fh)
    return net.eval(), time.time() - t0


def main():
    ap = bench_parser(__doc__, "haadf_dense.json")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--kinds", nargs="+", default=["default", "dense"])
    ap.add_argument("--cache", type=Path, default=project_root() / "data" / "cache" / "bench_haadf_dense")
    a = ap.parse_args()
    g, halves = haadf_setup(a.profile, a.seed)
    cfg, pooled, F1, NF, DICE_N, DICE_D = (g[k] for k in ("cfg", "pooled", "F1", "NF", "DICE_N", "DICE_D"))
    rules = list(g["GRID"])
    out = dict(profile=a.profile, seeds=a.seeds, versions=versions(), runs={},
               n={f"{n}_{p}": len(v) for p, sets in halves.items() for n, v in sets.items()})
    for kind in a.kinds:
        for seed in a.seeds:
            net, t_train = get_net(kind, a.seed + seed, cfg, a.cache)
            rows = haadf_rows(g, net, halves, rules)
            f1 = lambda part, name, r: pooled(rows[(part, name, r)], F1, NF)
            run = dict(train_min=t_train / 60)
            for proto, crit in (("both", lambda r: np.mean([f1("calib", n, r)["value"] for n in ("genc", "tomo")])),
                                ("genc", lambda r: f1("calib", "genc", r)["value"])):
                ch_ = max(rules, key=crit)
                run[proto] = dict(choice=list(ch_), calib_criterion=float(crit(ch_)),
                                  calib_genc=f1("calib", "genc", ch_)["value"], calib_tomo=f1("calib", "tomo", ch_)["value"],
                                  report_genc=f1("report", "genc", ch_), report_tomo=f1("report", "tomo", ch_),
                                  report_tomo_dice=pooled(rows[("report", "tomo", ch_)], DICE_N, DICE_D))
                print(f"{kind} seed {a.seed + seed} [{proto}] {ch_}: calib genc {run[proto]['calib_genc']:.3f} tomo "
                      f"{run[proto]['calib_tomo']:.3f}; report genc {run[proto]['report_genc']['value']:.3f} "
                      f"{np.round(run[proto]['report_genc']['ci95'], 3).tolist()} tomo "
                      f"{run[proto]['report_tomo']['value']:.3f} (train {t_train / 60:.1f} min)", flush=True)
            out["runs"][f"{kind}/{a.seed + seed}"] = run
            write_json(a.out, out)
    summ = {}
    for kind in a.kinds:
        for proto in ("both", "genc"):
            rs = [out["runs"][f"{kind}/{a.seed + s}"][proto] for s in a.seeds]
            summ[f"{kind}/{proto}"] = {k: float(np.mean([r[k]["value"] if isinstance(r[k], dict) else r[k] for r in rs]))
                                       for k in ("calib_genc", "calib_tomo", "report_genc", "report_tomo",
                                                 "report_tomo_dice")}
            print(kind, proto, {k: round(v, 3) for k, v in summ[f"{kind}/{proto}"].items()})
    out["summary_seed_mean"] = summ
    write_json(a.out, out)


if __name__ == "__main__": main()
