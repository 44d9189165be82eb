"Nothing opens a network connection: importing chiral_em, every module, every command's help, ultralytics, timm, plots."
import subprocess, sys, textwrap
from pathlib import Path

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
    for m in pkgutil.iter_modules(chiral_em.__path__):
        if not m.name.startswith("_"): importlib.import_module(f"chiral_em.{m.name}")
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
