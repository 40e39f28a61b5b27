#!/usr/bin/env python3
"""PyTorch reference of the SSMTL pre-training step, the same network and loss as
src/engine/networks/unet.ts and src/engine/losses.ts: a standard U-Net (4 poolings,
3x3 convs + ReLU with 'same' padding, 2x2 max-pool, 2x2 stride-2 transposed convs,
skip concatenation) whose last conv is replaced by 2*|T| 1x1 heads; loss = sum over
heads of the MSE (paper Eq. 1); Adam, lr 1e-3. Times steps on random data after one
warm-up step and prints one JSON line like `ssmtl bench --json`.

Usage: python3 bench/unet_reference.py [--size 128] [--width 16] [--batch 4] [--steps 5] [--threads N]
(Debian: apt-get install python3-torch; run with /usr/bin/python3.)
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class DoubleConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))))


class UNet(nn.Module):
    def __init__(self, width, heads, depth=4):
        super().__init__()
        self.depth = depth
        chans = [width * 2 ** k for k in range(depth + 1)]
        self.down = nn.ModuleList([DoubleConv(1 if k == 0 else chans[k - 1], chans[k]) for k in range(depth + 1)])
        self.upconv = nn.ModuleList([nn.ConvTranspose2d(2 * chans[k], chans[k], 2, stride=2) for k in range(depth)])
        self.up = nn.ModuleList([DoubleConv(2 * chans[k], chans[k]) for k in range(depth)])
        self.heads = nn.Conv2d(width, heads, 1)

    def forward(self, x):
        skips = []
        for k in range(self.depth + 1):
            x = self.down[k](x)
            if k < self.depth:
                skips.append(x)
                x = F.max_pool2d(x, 2)
        for k in reversed(range(self.depth)):
            x = torch.cat([skips[k], self.upconv[k](x)], dim=1)
            x = self.up[k](x)
        return self.heads(x)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--size', type=int, default=128)
    p.add_argument('--width', type=int, default=16)
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--heads', type=int, default=2)
    p.add_argument('--threads', type=int, default=0, help='0: PyTorch default')
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = UNet(a.width, a.heads)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x = torch.randn(a.batch, 1, a.size, a.size)
    y = torch.randn(a.batch, a.heads, a.size, a.size)

    def step():
        opt.zero_grad(set_to_none=True)
        per_head = ((net(x) - y) ** 2).mean(dim=(0, 2, 3))
        loss = per_head.sum()
        loss.backward()
        opt.step()
        return loss.item()

    step()
    t0 = time.perf_counter()
    c0 = time.process_time()
    for _ in range(a.steps):
        step()
    ms = (time.perf_counter() - t0) * 1000 / a.steps
    cpu_ms = (time.process_time() - c0) * 1000 / a.steps
    print(json.dumps({
        'backend': 'pytorch-cpu', 'torch': torch.__version__, 'threads': torch.get_num_threads(),
        'method': 'ssmtl', 'size': a.size, 'width': a.width, 'batch': a.batch,
        'msPerStep': round(ms, 1), 'cpuMsPerStep': round(cpu_ms, 1), 'imagesPerSecond': round(a.batch * 1000 / ms, 3),
        'peakRssMb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        'parameters': sum(p.numel() for p in net.parameters()),
    }))


if __name__ == '__main__':
    main()
