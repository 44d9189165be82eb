"""Benchmark: CPU time per MD cluster (sim.md, LAMMPS, one thread) and per AgCo HRTEM structure/draw
(sim.agco_image). Writes results/bench/md.json."""
import time
import numpy as np
from chiral_em.core import project_root, versions, write_json
from chiral_em.sim import md, agco_image

SIZES = {  # the MD protocol durations of the profiles that generate clusters [ps]
    "15_md_cpu": dict(t_quench=20., t_therm=5., t_hot=5., n_atoms=(50, 1000)),
    "06_agco_cpu": dict(t_quench=2., t_therm=1., t_hot=1., n_atoms=(50, 1000)),
}

def md_rate(kw, n, seed=123):
    specs = md.cluster_specs(seed, n, **kw)
    c, w = time.process_time(), time.perf_counter()
    out = [md.simulate_cluster(s) for s in specs]
    c, w = time.process_time() - c, time.perf_counter() - w
    steps = sum(int(o["steps"]) * int(o["n_start"]) for o in out)
    return dict(clusters=n, mean_atoms=float(np.mean([s["n_atoms"] for s in specs])), cpu_s_per_cluster=c / n,
                clusters_per_min_per_core=60 * n / c, wall_clusters_per_min=60 * n / w,
                cpu_us_per_atom_step=1e6 * c / steps)

def image_rate(n_atoms=500, out_px=128, n=3):
    c = md.simulate_cluster(dict(md.draw_cluster_spec(np.random.default_rng(5), 2., 0.5, 0.5,
                                                      n_atoms=(n_atoms, n_atoms)), protocol="core_shell"))
    agco_image.image_cluster(c, 0, out_px, 1)   # warm-up
    t = time.process_time()
    for k in range(n): agco_image.image_cluster(c, k, out_px, 1)
    one = (time.process_time() - t) / n
    t = time.process_time()
    for k in range(n): agco_image.image_cluster(c, k, out_px, 6)
    six = (time.process_time() - t) / n
    return dict(n_atoms=int(c["n_atoms"]), out_px=out_px, cpu_s_per_structure=one - (six - one) / 5,
                cpu_s_per_extra_draw=(six - one) / 5)

def main():
    out = {k: md_rate(kw, 4 if k == "15_md_cpu" else 8) for k, kw in SIZES.items()}
    out["image_128px"] = image_rate()
    out["versions"] = versions()
    p = write_json(project_root() / "results" / "bench" / "md.json", out)
    print(p, out)

if __name__ == "__main__":
    main()
