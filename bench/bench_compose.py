"Benchmark: time per composed 640x640 SEM image (sim.compose.synth_dataset, sync). Writes results/bench/compose.json."
import tempfile, time
from dataclasses import replace
import numpy as np
from chiral_em.core import project_root, versions, write_json
from chiral_em.sim import sem
from chiral_em.sim.compose import synth_dataset

def source(seed, size=640, px=25.0):
    "A rendered bowtie scene as a `synth_dataset` source (charging off)."
    sc = sem.sample_scene(np.random.default_rng(seed), (size, size), px, 6, max_overlap=0.0)
    r = sem.render_scene(replace(sc, imaging=replace(sc.imaging, charging=0.0, glow=0.0)),
                         np.random.default_rng([seed, 1]))
    return r.image, r.instances, {o["id"]: (o["cls"], o["hand"]) for o in r.objects}, px, f"scene{seed}"

def main(n=40):
    srcs = [source(s) for s in range(4)]
    out = {}
    with tempfile.TemporaryDirectory() as d:
        t = time.perf_counter()
        m = synth_dataset(d, srcs, 1, size=640, progress=False)
        out["database_s"] = round(time.perf_counter() - t, 2)
        out["database_cutouts"] = m["database"]["cutouts"]
        t, c = time.perf_counter(), time.process_time()
        synth_dataset(d, srcs, n + 1, size=640, progress=False)
        out["ms_per_image_640"] = round(1000*(time.perf_counter() - t)/n, 1)
        out["cpu_ms_per_image_640"] = round(1000*(time.process_time() - c)/n, 1)
    out["versions"] = versions()
    p = write_json(project_root()/"results"/"bench"/"compose.json", out)
    print(p, out)

if __name__ == "__main__":
    main()
