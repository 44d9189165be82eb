"""Does a longer MD run make the Janus clusters compact? The same Janus specs (two fcc droplets, Ag and Co, joined at
800 K, then quenched to 300 K and thermalised; `md.run_protocol`) run with chapter 06's `cpu` durations (1 ps at
800 K, 2 ps quench, 1 ps thermalisation) and with its `paper` durations (5 + 20 + 5 ps). Reported per cluster: the
elongation (square root of the largest / smallest eigenvalue of the gyration tensor; 1 for a sphere, ≈ 2 for two
touching equal spheres), the Janus order parameter S and the measured class. This is the geometry that limits the
atom count one projection can give (chapter 06, "How much can one projection tell about the size?").

`python bench/janus_shape.py [N_CLUSTERS] [--out results/bench/janus_shape.json]`"""
import sys, time
from pathlib import Path
import numpy as np
from chiral_em.core import project_root, write_json, versions
from chiral_em.sim import md

DURATIONS = dict(cpu=(1., 2., 1.), paper=(5., 20., 5.))   # (t_hot, t_quench, t_therm) [ps], as profiles.toml 06_agco

def main(n:int=12, out:str=None):
    rng = np.random.default_rng(123)
    rows = []
    for j in range(n):
        s = md.draw_cluster_spec(rng, n_atoms=(200, 600))
        s["protocol"] = "janus"
        row = dict(n_atoms=s["n_atoms"], x_ag=s["n_ag"] / s["n_atoms"])
        for name, (th, tq, tt) in DURATIONS.items():
            t0 = time.process_time()
            c = md.simulate_cluster(dict(s, t_hot=th, t_quench=tq, t_therm=tt))
            row[name] = dict(elongation=md.elongation(c["positions"]), order_S=float(c["order_S"]),
                             label=md.CLASSES[int(c["label"])] if int(c["label"]) in (0, 1) else "unclassified",
                             cpu_s=time.process_time() - t0)
        rows.append(row)
        print(f"{row['n_atoms']} atoms: elongation {row['cpu']['elongation']:.2f} (cpu) → {row['paper']['elongation']:.2f} (paper)",
              flush=True)
    summ = {k: dict(median_elongation=float(np.median([r[k]["elongation"] for r in rows])),
                    median_S=float(np.median([r[k]["order_S"] for r in rows])),
                    janus_fraction=float(np.mean([r[k]["label"] == "janus" for r in rows]))) for k in DURATIONS}
    print(summ)
    out = Path(out) if out else project_root() / "results" / "bench" / "janus_shape.json"
    write_json(out, dict(durations_ps=DURATIONS, summary=summ, clusters=rows, versions=versions()))
    print("wrote", out)

if __name__ == "__main__":
    args = sys.argv[1:]
    o = args[args.index("--out") + 1] if "--out" in args else None
    nums = [a for a in args if a.isdigit()]
    main(int(nums[0]) if nums else 12, o)
