"""Nothing opens a network connection: importing chiral_em, every module, every command's help, ultralytics, timm, plots.
Importing chiral_em and every module has no side effect: no environment variable set, no file written."""
import os, subprocess, sys, textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PROBE = textwrap.dedent(r'''
    import socket, sys
    attempts = []
    def hook(event, args):
        if event == "socket.connect":
            sock, addr = args
            if sock.family in (socket.AF_INET, socket.AF_INET6): attempts.append(addr); raise OSError(f"network blocked by test: {addr}")
        elif event == "socket.getaddrinfo":
            attempts.append(args[0]); raise OSError(f"DNS blocked by test: {args[0]}")
    sys.addaudithook(hook)

    import contextlib, importlib, io, pkgutil
    import chiral_em
    from chiral_em.cli import available_commands, main
    from chiral_em.core import import_ultralytics
    for m in pkgutil.walk_packages(chiral_em.__path__, "chiral_em."):
        if not m.name.rsplit(".", 1)[-1].startswith("_"): importlib.import_module(m.name)
    for cmd in available_commands():
        with contextlib.redirect_stdout(io.StringIO()):
            try: main([cmd, "--help"])
            except SystemExit: pass
    ul = import_ultralytics()
    import numpy as np, torch
    model = ul.YOLO("yolov8n.yaml")
    model.predict(np.zeros((64, 64, 3), np.uint8), imgsz=64, verbose=False, device="cpu")
    import os
    assert torch.get_num_threads() == os.cpu_count(), f"ultralytics left torch at {torch.get_num_threads()} threads"
    from ultralytics.utils.plotting import Annotator
    Annotator(np.zeros((64, 64, 3), np.uint8)).box_label([2, 2, 30, 30], "L-bowtie")
    import timm
    timm.create_model("efficientnet_b0", pretrained=False, num_classes=0).eval()(torch.zeros(1, 3, 32, 32))
    import matplotlib; matplotlib.use("Agg"); import matplotlib.pyplot as plt
    fig, ax = plt.subplots(); ax.set_title("Å µm e⁻/Å²"); fig.savefig(io.BytesIO(), format="png")
    print("ATTEMPTS", attempts)
''')


def test_no_socket_is_opened(tmp_path):
    r = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    assert "ATTEMPTS []" in r.stdout, r.stdout[-2000:] + r.stderr[-2000:]


SIDE_EFFECTS = textwrap.dedent(r'''
    import ast, contextlib, importlib, os, pkgutil, sys
    from pathlib import Path
    pkg = Path(sys.argv[1])
    # third-party libraries imported at module level may set variables themselves (OpenCV sets QT_*, ...):
    # import them first, so that what changes afterwards is chiral_em's doing
    libs = {a.name.split(".")[0] if isinstance(n, ast.Import) else n.module.split(".")[0]
            for f in pkg.rglob("*.py") for n in ast.parse(f.read_text()).body if isinstance(n, (ast.Import, ast.ImportFrom))
            for a in (n.names if isinstance(n, ast.Import) else [n]) if isinstance(n, ast.Import) or not n.level}
    for lib in sorted(libs - {"chiral_em", "__future__"}):
        with contextlib.suppress(ImportError): importlib.import_module(lib)
    before = dict(os.environ)
    import chiral_em
    names = [m.name for m in pkgutil.walk_packages(chiral_em.__path__, "chiral_em.") if not m.name.endswith("__main__")]
    for n in names: importlib.import_module(n)
    changed = {k: os.environ.get(k) for k in set(before) | set(os.environ) if before.get(k) != os.environ.get(k)}
    print("IMPORTED", len(names), "CHANGED", changed)
''')


def test_import_has_no_side_effects(tmp_path):
    "Importing chiral_em and all its modules sets no environment variable and writes no file (home, cwd, data)."
    home, cwd, mpl = tmp_path/"home", tmp_path/"cwd", tmp_path/"mpl"
    for d in (home, cwd, mpl): d.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHIRAL_EM_", "YOLO_"))}
    env.update(HOME=str(home), MPLCONFIGDIR=str(mpl), XDG_CONFIG_HOME=str(home/".config"),
               XDG_CACHE_HOME=str(home/".cache"))
    r = subprocess.run([sys.executable, "-c", SIDE_EFFECTS, str(ROOT/"chiral_em")], capture_output=True, text=True, cwd=cwd, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-4000:]
    assert "CHANGED {}" in r.stdout, r.stdout[-2000:]
    written = sorted(str(p.relative_to(tmp_path)) for d in (home, cwd) for p in d.rglob("*"))
    assert written == [], written
