"""Benchmark chapter 05 (HRTEM): (1) abTEM images/s at 256² for the 711-atom Au truncated octahedron on carbon, naive loop vs
exit-wave reuse across imaging conditions, and structures/s through core.cached_dataset; (2) Hamming-windowed MSD-net
inference on a 4096² field: wall time and peak memory of a fresh process (goal ≤ 60 s, ≤ 2 GB)."""
import json, os, shutil, subprocess, sys, tempfile, time
import numpy as np
from chiral_em.core import cached_dataset, project_root, write_json, versions

def sim_bench(n_images=16, n_structures=16):
    from chiral_em.hrtem_sim import benchmark_reuse, generate_structures
    out = benchmark_reuse(n_images, 711, 256, 0.2, seed=0)
    tmp = tempfile.mkdtemp()
    try:
        t = time.perf_counter()
        cached_dataset("hrtem_bench", generate_structures, n_structures, 0, dict(out_px=128, sampling=0.2, diameter=[8., 16.]),
                       root=tmp, shard_size=8, progress=False)
        out["cached_structures_per_s_128px"] = n_structures / (time.perf_counter() - t)
    finally: shutil.rmtree(tmp)
    return out

def window_bench(size=4096, depth=30, window=768, halo=64, overlap=0.25):
    "Random-weight MSD-net (speed does not depend on the weights) on a random 4096² image, in a fresh process."
    import torch
    from chiral_em.nets import MSDNet, save_model
    tmp = tempfile.mkdtemp()
    try:
        torch.manual_seed(0); save_model(os.path.join(tmp, "m.pt"), MSDNet(depth), sampling=0.2, losses=("bce",))
        np.save(os.path.join(tmp, "img.npy"), np.random.default_rng(0).normal(size=(size, size)).astype(np.float32))
        code = (f"import json; from chiral_em.hrtem import bench_windowed; "
                f"print(json.dumps(bench_windowed({os.path.join(tmp, 'img.npy')!r}, {os.path.join(tmp, 'm.pt')!r}, {window}, {halo}, {overlap})))")
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        return dict(json.loads(r.stdout.strip().splitlines()[-1]), msd_depth=depth, goal_s=60, goal_gb=2)
    finally: shutil.rmtree(tmp)

def main():
    out = dict(simulation=sim_bench(), windowed_inference_4096=window_bench(), versions=versions(),
               threads_env=os.environ.get("CHIRAL_EM_THREADS"))
    path = write_json(project_root() / "results" / "bench" / "hrtem.json", out)
    print(json.dumps({k: v for k, v in out.items() if k != "versions"}, indent=1, default=str), "->", path)
    return out

if __name__ == "__main__": main()
