#!/usr/bin/env python3
"""PyTorch reference of the ResNet50-FCN pre-training steps, the same networks and losses
as src/engine/networks/resnet50.ts, resnet50-fcn.ts and src/engine/train/methods/:

- ResNet50 without its FC layer (torchvision's v1.5 layout: stride on the 3x3 conv of a
  down-sampling bottleneck; 1 input channel; BN after every conv), width w (64 standard);
- FCN-8s decoder: 1x1 laterals of c5, c4, c3 to 8w, bilinear x2 (align_corners=True)
  and sum, 3x3 conv + BN + ReLU to 4w, 1x1 heads, bilinear x8 to full size;
- ssmtl: summed per-head MSE (paper Eq. 1);
- ssmtl+: plus -cos(stopgrad(q(x_k)), h(q(x_j))) with h 32w -> 8w -> 32w (Eq. 2-3);
- mocov2: query/key encoders with MLP head 32w -> 32w -> 2w, queue K=1024, T=0.2,
  m=0.999, InfoNCE (flip/blur augmentation is data preparation, not timed here; both
  engines time the network step).
Adam lr 1e-3. Times steps on random data after one warm-up step and prints one JSON line
like `ssmtl bench --json`.

Usage: /usr/bin/python3 bench/resnet_fcn_reference.py [--method ssmtl+] [--size 128] [--width 16] [--batch 4] [--steps 5] [--threads N]
"""
import argparse
import json
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Bottleneck(nn.Module):
    def __init__(self, cin, mid, stride):
        super().__init__()
        out = 4 * mid
        self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(mid)
        self.conv2 = nn.Conv2d(mid, mid, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(mid)
        self.conv3 = nn.Conv2d(mid, out, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(out)
        self.down = None
        if stride != 1 or cin != out:
            self.down = nn.Sequential(nn.Conv2d(cin, out, 1, stride=stride, bias=False), nn.BatchNorm2d(out))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = F.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        return F.relu(y + (self.down(x) if self.down is not None else x))


class ResNet50(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, w, 7, stride=2, padding=3, bias=False), nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                                  nn.MaxPool2d(3, stride=2, padding=1))
        layers, cin = [], w
        for level, blocks in enumerate([3, 4, 6, 3]):
            mid = w * 2 ** level
            mods = []
            for b in range(blocks):
                mods.append(Bottleneck(cin, mid, 2 if b == 0 and level > 0 else 1))
                cin = 4 * mid
            layers.append(nn.Sequential(*mods))
        self.layers = nn.ModuleList(layers)
        self.out_channels = cin

    def forward(self, x):
        h = self.stem(x)
        outs = []
        for layer in self.layers:
            h = layer(h)
            outs.append(h)
        return outs[1], outs[2], outs[3]


class ResNet50Fcn(nn.Module):
    def __init__(self, w, heads):
        super().__init__()
        self.encoder = ResNet50(w)
        self.l5 = nn.Conv2d(32 * w, 8 * w, 1)
        self.l4 = nn.Conv2d(16 * w, 8 * w, 1)
        self.l3 = nn.Conv2d(8 * w, 8 * w, 1)
        self.fuse = nn.Sequential(nn.Conv2d(8 * w, 4 * w, 3, padding=1, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(inplace=True))
        self.heads = nn.Conv2d(4 * w, heads, 1)

    def forward(self, x):
        c3, c4, c5 = self.encoder(x)
        up = lambda t, like: F.interpolate(t, size=like.shape[-2:], mode='bilinear', align_corners=True)
        f4 = up(self.l5(c5), c4) + self.l4(c4)
        f3 = up(f4, c3) + self.l3(c3)
        out = self.heads(self.fuse(f3))
        return F.interpolate(out, size=x.shape[-2:], mode='bilinear', align_corners=True), c5


def mlp(sizes):
    mods = []
    for i in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            mods.append(nn.ReLU(inplace=True))
    return nn.Sequential(*mods)


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--method', default='ssmtl+', choices=['ssmtl', 'ssmtl+', 'mocov2'])
    p.add_argument('--size', type=int, default=128)
    p.add_argument('--width', type=int, default=16)
    p.add_argument('--batch', type=int, default=4)
    p.add_argument('--steps', type=int, default=5)
    p.add_argument('--threads', type=int, default=0, help='0: PyTorch default')
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    w = a.width
    x = torch.randn(a.batch, 1, a.size, a.size)
    xk = torch.randn(a.batch, 1, a.size, a.size)
    y = torch.randn(a.batch, 2, a.size, a.size)
    if a.method == 'mocov2':
        enc_q, head_q = ResNet50(w), mlp([32 * w, 32 * w, 2 * w])
        enc_k, head_k = ResNet50(w), mlp([32 * w, 32 * w, 2 * w])
        enc_k.load_state_dict(enc_q.state_dict())
        head_k.load_state_dict(head_q.state_dict())
        for param in list(enc_k.parameters()) + list(head_k.parameters()):
            param.requires_grad = False
        params = list(enc_q.parameters()) + list(head_q.parameters())
        queue = F.normalize(torch.randn(1024, 2 * w), dim=1)
        ptr = [0]

        def loss_fn():
            with torch.no_grad():
                for pk, pq in zip(list(enc_k.parameters()) + list(head_k.parameters()), params):
                    pk.data.mul_(0.999).add_(pq.data, alpha=0.001)
                k = F.normalize(head_k(enc_k(xk)[2].mean(dim=(2, 3))), dim=1)
            q = F.normalize(head_q(enc_q(x)[2].mean(dim=(2, 3))), dim=1)
            logits = torch.cat([(q * k).sum(1, keepdim=True), q @ queue.clone().t()], dim=1) / 0.2
            loss = F.cross_entropy(logits, torch.zeros(a.batch, dtype=torch.long))
            n = k.shape[0]
            idx = (torch.arange(n) + ptr[0]) % queue.shape[0]
            queue[idx] = k
            ptr[0] = (ptr[0] + n) % queue.shape[0]
            return loss
        count = sum(q.numel() for q in params)
    else:
        net = ResNet50Fcn(w, 2)
        params = list(net.parameters())
        pred = mlp([32 * w, 8 * w, 32 * w]) if a.method == 'ssmtl+' else None
        if pred is not None:
            params += list(pred.parameters())

        def loss_fn():
            out, c5 = net(x)
            loss = ((out - y) ** 2).mean(dim=(0, 2, 3)).sum()
            if pred is not None:
                with torch.no_grad():
                    z = net.encoder(xk)[2].mean(dim=(2, 3))
                p_ = pred(c5.mean(dim=(2, 3)))
                loss = loss - F.cosine_similarity(p_, z, dim=1).mean()
            return loss
        count = sum(q.numel() for q in params)
    opt = torch.optim.Adam(params, lr=1e-3)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
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
        'method': a.method, 'backbone': 'resnet50-fcn', 'size': a.size, 'width': a.width, 'batch': a.batch,
        'msPerStep': round(ms, 1), 'cpuMsPerStep': round(cpu_ms, 1), 'imagesPerSecond': round(a.batch * 1000 / ms, 3),
        'peakRssMb': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        'parameters': count,
    }))


if __name__ == '__main__':
    main()
