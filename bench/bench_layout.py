"""Benchmark: one training step with NCHW (PyTorch's default) and channels-last (NHWC) weights, on this machine's CPU
threads. Chapter 06's AgCoNet (width 8, batch 32 of 128² images, AdamW) and residual U-Net denoiser (base 16, 3 levels,
batch 16 of 64² crops, Adam), which train channels-last; and chapter 05's column U-Net (`nets.UNet` base 16, 3 levels,
batch 8 of 80² crops, Adam), which still trains NCHW: what switching it would save. 5 warm-up steps, then the median of
30.
Also the largest difference between the two layouts' outputs for the same weights. Writes results/bench/layout.json."""
import time
import numpy as np
import torch
from chiral_em.core import project_root, versions, write_json
from chiral_em.nanoalloy import AgCoNet, agco_loss
from chiral_em.denoise import ResUNet
from chiral_em.nets import UNet

def step_ms(net, x, loss_fn, opt_cls, n=30, warm=5)->float:   # median time of one forward+backward+update [ms]
    opt = opt_cls(net.parameters(), 1e-3)
    ts = []
    for i in range(warm + n):
        t = time.perf_counter()
        loss = loss_fn(net(x))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= warm: ts.append(1000 * (time.perf_counter() - t))
    return float(np.median(ts))

def main():
    torch.manual_seed(0)
    y = [torch.zeros(32, dtype=torch.long), torch.zeros(32), torch.zeros(32)]
    cases = {"agconet_w8_b32_128px": (lambda: AgCoNet(8), torch.randn(32, 1, 128, 128), lambda o: agco_loss(o, y),
                                      torch.optim.AdamW),
             "resunet_b16_l3_b16_64px": (lambda: ResUNet(1, 1, base=16, levels=3), torch.randn(16, 1, 64, 64),
                                         lambda o: (o ** 2).mean(), torch.optim.Adam),
             "unet_b16_l3_b8_80px": (lambda: UNet(1, 1, 16, 3), torch.randn(8, 1, 80, 80), lambda o: (o ** 2).mean(),
                                     torch.optim.Adam)}
    out = dict(threads=torch.get_num_threads())
    for name, (make, x, loss_fn, opt_cls) in cases.items():
        nets = {fmt: make().to(memory_format=fmt) for fmt in (torch.contiguous_format, torch.channels_last)}
        nets[torch.channels_last].load_state_dict(nets[torch.contiguous_format].state_dict())
        with torch.no_grad():
            diff = float((nets[torch.contiguous_format].eval()(x) - nets[torch.channels_last].eval()(x)).abs().max())
        ms = {fmt: step_ms(nets[fmt].train(), x, loss_fn, opt_cls) for fmt in nets}
        out[name] = dict(nchw_ms=round(ms[torch.contiguous_format], 1), channels_last_ms=round(ms[torch.channels_last], 1),
                         speedup=round(ms[torch.contiguous_format] / ms[torch.channels_last], 2), max_abs_output_diff=diff)
    out["versions"] = versions()
    p = write_json(project_root() / "results" / "bench" / "layout.json", out)
    print(p, out)

if __name__ == "__main__":
    main()
