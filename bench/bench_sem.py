"Benchmark: SEM scenes/s at 1024x1024 through core.cached_dataset (1 process) and with 2 worker processes."
import multiprocessing as mp, os, shutil, tempfile, time
import numpy as np
from chiral_em.core import cached_dataset, project_root, write_json, versions
from chiral_em.sim.sem import scene_batch, sample_scene, render_scene

PARAMS = dict(shape=[1024, 1024], pixel_size_nm=20.0, n_particles=6, n_debris=10)
KINDS = ("bowtie", "bundle", "kayak", "pancake")

def _render(seed):
    rng = np.random.default_rng(seed)
    return render_scene(sample_scene(rng, (1024, 1024), 20.0, 6, KINDS, n_debris=10), rng).image.mean()

def cpu_per_scene(n=16):
    "Single-process CPU time per scene [s] (time.process_time: unaffected by other jobs' share of the cores)."
    _render(10_000)
    t = time.process_time()
    for s in range(n): _render(s)
    return (time.process_time() - t)/n

def main(n=64):
    cpu = cpu_per_scene()
    tmp = tempfile.mkdtemp()
    try:
        t = time.perf_counter()
        cached_dataset("sem_bench", scene_batch, n=n, seed=0, params=PARAMS, root=tmp, shard_size=16, progress=False)
        cached = n/(time.perf_counter() - t)
        t = time.perf_counter()
        cached_dataset("sem_bench", scene_batch, n=n, seed=0, params=PARAMS, root=tmp, shard_size=16, progress=False)
        reload = n/(time.perf_counter() - t)
    finally: shutil.rmtree(tmp)
    load0 = os.getloadavg()
    with mp.get_context("fork").Pool(2) as pool:
        pool.map(_render, range(4))
        t = time.perf_counter()
        pool.map(_render, range(n))
        two = n/(time.perf_counter() - t)
    load1 = os.getloadavg()
    out = dict(scenes=n, field_px=1024, particles=6, debris=10, generate_and_cache_1proc_scenes_per_s=round(cached, 2),
               reload_from_cache_scenes_per_s=round(reload, 1), render_2proc_scenes_per_s=round(two, 2),
               cpu_s_per_scene=round(cpu, 4), extrapolated_2core_scenes_per_s=round(2/cpu, 2), target_scenes_per_s=5, load_avg_1min_before_after=[round(load0[0], 2), round(load1[0], 2)],
               cpus=os.cpu_count(), versions=versions())
    path = write_json(project_root()/"results"/"bench"/"sem.json", out)
    print(out, "->", path)
    return out

if __name__ == "__main__": main()
