"""Benchmark of chapter 04: simulator images/s (65,000-image set, best of 3) and end-to-end particles/min on the
real sets (segmentation + features + crops + CNN inference). Writes results/bench/superellipse.json."""
import os, time
import numpy as np
import torch

from chiral_em import datasets, models
from chiral_em.core import Timer, project_root, set_threads, versions, write_json
from chiral_em.sim.superellipse import simulate
from chiral_em.shape import ShapeCNN
from chiral_em.morphology import analyse_image


def bench_simulator(n=65000, repeats=3):
    simulate(np.random.default_rng(0), 1024)
    times, cpu = [], []
    for r in range(repeats):
        c0 = time.process_time()
        with Timer() as t:
            simulate(np.random.default_rng(1 + r), n, workers=2)
        times.append(t.s)
        cpu.append(time.process_time() - c0)
    with Timer() as t1:
        simulate(np.random.default_rng(99), n // 2, workers=1)
    return dict(n_images=n, seconds_best=round(min(times), 3), seconds_all=[round(t, 3) for t in times],
                images_per_s_1_worker=round(n // 2 / t1.s),
                images_per_s=round(n / min(times)), images_per_cpu_s=round(n / min(cpu)),
                images_per_s_2_dedicated_cores=round(2 * n / min(cpu)))


def bench_pipeline(model):
    samples = []
    if datasets.available("stach_insitu_sintering_bftem"):
        samples += datasets.load("stach_insitu_sintering_bftem", limit=40)
    if datasets.available("temseg_au_hrtem"):
        samples += sorted(datasets.load("temseg_au_hrtem"), key=lambda s: str(s.image.path))[:40]
    if not samples: return dict(skipped="no shared data")
    imgs = [s.image.data for s in samples]
    analyse_image(imgs[0], model, n_phase=0)                       # warm-up
    n, t0 = 0, time.perf_counter()
    for im in imgs:
        n += len(analyse_image(im, model, n_phase=0)[1])
    dt = time.perf_counter() - t0
    return dict(n_images=len(imgs), n_particles=n, seconds=round(dt, 2), particles_per_min=round(60 * n / dt))


def main():
    set_threads(2)
    # the CLI's default network; speed does not depend on the weights
    try:
        model = models.load_model(models.find_model("shape_mask_cnn"))[0]
    except FileNotFoundError:
        model = ShapeCNN(input_kind="mask").eval()
    out = dict(simulator=bench_simulator(), pipeline=bench_pipeline(model), threads=torch.get_num_threads(),
               load_average=os.getloadavg()[0], versions=versions())
    write_json(project_root() / "results" / "bench" / "superellipse.json", out)
    print(out)


if __name__ == "__main__":
    main()
