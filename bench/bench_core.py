"Benchmark of the core: dataset-cache throughput and image reading speed per format. Writes results/bench/core.json."
import tempfile
from pathlib import Path

import numpy as np

from chiral_em.core import Timer, cached_dataset, project_root, versions, write_json
from chiral_em.emio import read_image, write_tif


def images(rng, count, size=256):
    return {"img": rng.random((count, size, size), dtype=np.float32)}


def main():
    out = {}
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        with Timer() as t: ds = cached_dataset("bench", images, 2048, shard_size=256, root=d, progress=False)
        mb = ds["img"].nbytes/1e6
        out["cache_generate_and_write_MB_per_s"] = round(mb/t.s, 1)
        with Timer() as t: cached_dataset("bench", images, 2048, shard_size=256, root=d, progress=False)
        out["cache_read_MB_per_s"] = round(mb/t.s, 1)
        a = (np.random.default_rng(0).random((2048, 2048))*65535).astype(np.uint16)
        write_tif(d/"a.tif", a, pixel_size=0.1)
        try:
            from dm_writer import write_dm  # test fixture; present in a checkout
            write_dm(d/"a.dm4", a, 0.1)
        except ImportError: pass
        for f in sorted(d.glob("a.*")):
            with Timer() as t:
                for _ in range(5): read_image(f)
            out[f"read_2048px_uint16_{f.suffix[1:]}_ms"] = round(t.s/5*1000, 1)
    out["versions"] = versions()
    p = write_json(project_root()/"results"/"bench"/"core.json", out)
    print(p, out)


if __name__ == "__main__":
    import sys
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]/"tests"))   # dm_writer, the tests' DM4 writer
    main()
