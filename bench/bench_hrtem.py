"""Benchmark chapter 05 (HRTEM): (1) abTEM images/s at 256² for the 711-atom Au truncated octahedron on carbon,
naive loop vs exit-wave reuse across imaging conditions, and structures/s through core.cached_dataset; (2)
Hamming-windowed MSD-net inference on a 4096² field: wall time and peak memory of a fresh process (goal ≤ 60 s, ≤ 2 GB);
(3) the lattice-fringe map of `chiral-em segment --crystalline` (`fourier.fringe_map`, 38.4 Å windows at 0.2 Å/px) on
1024², 2048² and 4096² fields, each in a fresh process.

`python bench/bench_hrtem.py` runs both and writes results/bench/hrtem.json;
`python bench/bench_hrtem.py windowed IMAGE.npy MODEL.pt [WINDOW HALO OVERLAP]` times one windowed inference in this
(fresh) process and prints its JSON (chapter 05 calls it that way); `python bench/bench_hrtem.py fringe SIZE` times one
fringe map."""
import json, os, shutil, subprocess, sys, tempfile, time
from pathlib import Path
import numpy as np
from chiral_em.core import cached_dataset, project_root, write_json, versions


def peak_rss_gb()->float:
    "Peak resident memory of this process [GB]: VmHWM (reset by exec, unlike ru_maxrss, which keeps a forking parent's "
    "peak)."
    import resource
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"): return int(line.split()[1]) / 1e6
    except OSError: pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6


def bench_windowed(image_path, model_path, window:int=512, halo:int=64, overlap:float=0.5)->dict:
    "Time [s] and peak memory [GB] of windowed particle inference on a saved .npy image (run it in a fresh process)."
    from chiral_em.core import set_threads
    from chiral_em.models import load_model
    from chiral_em.segment import network_map
    threads = set_threads()   # $CHIRAL_EM_THREADS or all cores
    img = np.load(image_path)
    model, meta = load_model(model_path)
    rss0 = peak_rss_gb()
    t0 = time.perf_counter()
    p = network_map(img, model, meta, 0, window, halo, overlap)
    t = time.perf_counter() - t0
    peak = peak_rss_gb()
    np.save(str(image_path).replace(".npy", "_prob.npy"), p.astype(np.float16))
    return dict(size=list(img.shape), window=window, halo=halo, overlap=overlap, seconds=t, peak_rss_gb=peak,
                rss_before_gb=rss0, threads=threads)


def windowed_in_fresh_process(image_path, model_path, window:int=512, halo:int=64, overlap:float=0.5)->dict:
    "`bench_windowed` in a new Python process (so its peak memory is its own); returns its result."
    cmd = [sys.executable, str(Path(__file__).resolve()), "windowed", str(image_path), str(model_path),
           str(window), str(halo), str(overlap)]
    r = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def bench_fringe(size:int, window:float=38.4, sampling:float=0.2)->dict:
    "Time [s] and peak memory [GB] of one fringe map of a random size² image (run it in a fresh process)."
    from chiral_em.fourier import fringe_map
    img = np.random.default_rng(0).normal(size=(size, size)).astype(np.float32)
    rss0 = peak_rss_gb()
    t0 = time.perf_counter()
    fringe_map(img, sampling, window)
    return dict(size=[size, size], window_A=window, sampling=sampling, seconds=time.perf_counter() - t0,
                peak_rss_gb=peak_rss_gb(), rss_before_gb=rss0)


def fringe_bench(sizes=(1024, 2048, 4096)):
    "`bench_fringe` for each size, each in a new Python process."
    run = lambda n: subprocess.run([sys.executable, str(Path(__file__).resolve()), "fringe", str(n)],
                                   capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return [json.loads(run(n)) for n in sizes]


def sim_bench(n_images=16, n_structures=16):
    from chiral_em.sim.hrtem import benchmark_reuse, generate_structures
    out = benchmark_reuse(n_images, 711, 256, 0.2, seed=0)
    tmp = tempfile.mkdtemp()
    try:
        t = time.perf_counter()
        cached_dataset("hrtem_bench", generate_structures, n_structures, 0,
                       dict(out_px=128, sampling=0.2, diameter=[8., 16.]), root=tmp, shard_size=8, progress=False)
        out["cached_structures_per_s_128px"] = n_structures / (time.perf_counter() - t)
    finally: shutil.rmtree(tmp)
    return out


def window_bench(size=4096, depth=30, window=768, halo=64, overlap=0.25):
    "Random-weight MSD-net (speed does not depend on the weights) on a random 4096² image, in a fresh process."
    import torch
    from chiral_em.nets import MSDNet
    from chiral_em.models import save_model
    tmp = tempfile.mkdtemp()
    try:
        torch.manual_seed(0)
        meta = dict(input_kind="hrtem", sampling=0.2, profile="bench", data_version=None, seed=0,
                    example_input=[1, 1, window, window], losses=["bce"])
        save_model(os.path.join(tmp, "m.pt"), MSDNet(depth), meta)
        np.save(os.path.join(tmp, "img.npy"), np.random.default_rng(0).normal(size=(size, size)).astype(np.float32))
        r = windowed_in_fresh_process(os.path.join(tmp, "img.npy"), os.path.join(tmp, "m.pt"), window, halo, overlap)
        return dict(r, msd_depth=depth, goal_s=60, goal_gb=2)
    finally: shutil.rmtree(tmp)


def main():
    out = dict(simulation=sim_bench(), windowed_inference_4096=window_bench(), fringe_map=fringe_bench(), versions=versions(),
               threads_env=os.environ.get("CHIRAL_EM_THREADS"))
    path = write_json(project_root() / "results" / "bench" / "hrtem.json", out)
    print(json.dumps({k: v for k, v in out.items() if k != "versions"}, indent=1, default=str), "->", path)
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "windowed":
        a = sys.argv[2:]
        if len(a) not in (2, 5): sys.exit("usage: bench_hrtem.py windowed IMAGE.npy MODEL.pt [WINDOW HALO OVERLAP]")
        kw = dict(window=int(a[2]), halo=int(a[3]), overlap=float(a[4])) if len(a) == 5 else {}
        print(json.dumps(bench_windowed(a[0], a[1], **kw)))
    elif len(sys.argv) == 3 and sys.argv[1] == "fringe": print(json.dumps(bench_fringe(int(sys.argv[2]))))
    else: main()
