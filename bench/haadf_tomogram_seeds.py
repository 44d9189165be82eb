"""How much of the tomogram route's score is its training seed? `20b_instances` fine-tunes the tomogram network
(`catalyst.finetune_tomogram`) once, with the chapter's seed, and ships it as `particles_haadf_tomogram`; its finder
(`catalyst.TOMOGRAM_FINDER`) is chosen on simulated slices. Here the same recipe (the `cpu` profile's 1,024 simulated
slices of 128², the chapter's stream `[0, 99_000, i]`, 600 steps, half of each batch fresh projection scenes) is run
with fine-tuning seeds 1 and 2, and all three networks (seed 0: the shipped weights) are scored as the command reads
the real Pt/γ-alumina slices (data bands and scale bars left out, `--pipeline haadf_tomogram`), at the shipped finder
and at the finder without an extent used until 2026-12-08 (fixed 0.7, depth 0.2): pooled instance F1 at IoU 0.5 with a
95 % bootstrap over slices, on the 40 train slices (not held out: they set the engine's second version and the recipe)
and the 15 val slices (never read to choose anything). No real image chooses anything here.

Measured on 2 cores (2026-12-08, 19 min: 8 min to simulate the slices, 4 min per fine-tuning;
results/bench/haadf_tomogram_seeds.json):

| fine-tuning seed | train slices, shipped finder (extent 0.5) | val slices, shipped finder | train, without extent (0.7, 0.2) | val, without extent |
|---|---|---|---|---|
| 0 (shipped) | 0.828 | **0.853** | 0.783 | 0.803 |
| 1 | 0.815 | 0.832 | 0.733 | 0.748 |
| 2 | 0.835 | 0.842 | 0.723 | 0.738 |
| mean ± sd | 0.826 ± 0.010 | **0.842 ± 0.010** | 0.746 ± 0.032 | 0.763 ± 0.035 |

The extent adds 0.08 of F1 on average over the seeds and shrinks their spread threefold; the recipe's expected score
on the val slices is 0.842, the shipped seed's 0.853 the best of three: issue 13's 0.85 is reached by the shipped
network, not by the recipe in expectation.

`python bench/haadf_tomogram_seeds.py [--seeds 1 2] [--out FILE]`"""
import argparse, sys, time
from functools import partial
from pathlib import Path
import numpy as np
sys.path.insert(0, str(Path(__file__).parent))
from haadf_tomogram_tta import boot_ci, setup
from chiral_em.core import project_root, write_json, versions, check_image
from chiral_em.measure import eval_instances, pooled_f1

OLD_FINDER = ("fixed", 0.7, 0.2)


def _slice(i:int)->tuple:
    from chiral_em.sim.catalyst import render_tomogram_slice, TOMOGRAM_UNSATURATED
    return render_tomogram_slice(np.random.default_rng([0, 99_000, i]), 128, **TOMOGRAM_UNSATURATED)[:2]


def scores(net, meta:dict, finder:tuple, real:dict, gts:dict)->dict:
    "Pooled F1 [95 % CI], precision and recall per split, the network read as `segment_haadf` reads it."
    from chiral_em.catalyst import segment_catalyst, finder_kwargs
    from chiral_em.segment import _with_bar
    out = {}
    for sp, samples in real.items():
        c = []
        for s, g in zip(samples, gts[sp]):
            lab = _with_bar(lambda x: segment_catalyst(x, net, meta, **finder_kwargs(finder)), check_image(s.image.data), True)
            e = eval_instances(g, lab)
            c.append([e["tp"], e["n_pred"], e["n_gt"]])
        c = np.array(c)
        out[sp] = dict(f1=pooled_f1(c), ci95=boot_ci(c), precision=float(c[:, 0].sum() / max(c[:, 1].sum(), 1)),
                       recall=float(c[:, 0].sum() / max(c[:, 2].sum(), 1)), n_slices=len(c))
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2], help="fine-tuning seeds besides the shipped 0")
    p.add_argument("--out", default=str(project_root() / "results" / "bench" / "haadf_tomogram_seeds.json"))
    a = p.parse_args()
    from multiprocessing import Pool
    from chiral_em.catalyst import finetune_tomogram, TOMOGRAM_FINDER
    from chiral_em.morphology import _instance_net
    t0 = time.time()
    _, _, *shipped, real, gts = setup(0)   # no simulated slices: the shipped network, the real slices and labels
    out = dict(finder=list(TOMOGRAM_FINDER), old_finder=list(OLD_FINDER), seeds={}, versions=versions())
    nets = {0: tuple(shipped)}
    with Pool(2) as pool: slices = pool.map(_slice, range(1024))
    out["sim_s"] = time.time() - t0
    base = _instance_net("particles_haadf")
    for s in a.seeds:
        t1 = time.time()
        net, meta, _ = finetune_tomogram(*base, slices, 600, field=128, seed=s, profile="cpu", progress=False)
        nets[s] = (net, meta)
        out.setdefault("finetune_s", {})[str(s)] = time.time() - t1
    for s, (net, meta) in nets.items():
        out["seeds"][str(s)] = {"shipped finder": scores(net, meta, TOMOGRAM_FINDER, real, gts),
                                "finder without extent": scores(net, meta, OLD_FINDER, real, gts)}
        print(s, {k: {sp: round(v[sp]["f1"], 3) for sp in v} for k, v in out["seeds"][str(s)].items()}, flush=True)
    for k in ("shipped finder", "finder without extent"):
        for sp in real:
            f = [out["seeds"][s][k][sp]["f1"] for s in out["seeds"]]
            out.setdefault("mean", {}).setdefault(k, {})[sp] = dict(mean=float(np.mean(f)), sd=float(np.std(f, ddof=1)))
    out["wall_s"] = time.time() - t0
    write_json(a.out, out)
    print(out["mean"], "; wrote", a.out)


if __name__ == "__main__":
    main()
