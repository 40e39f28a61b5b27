#!/usr/bin/env python3
"""PyTorch's loss and parameter gradients of the SSMTL objective (paper Eq. 1: the sum
over heads of the per-head MSE) for the engine's U-Net or ResNet50-FCN, on weights and a
batch written by src/engine/networks/network-gradients.test.ts. The networks are the
benchmarks' references (unet_reference.py, resnet_fcn_reference.py), computed in float64
so that they are the accurate side of the comparison.

Usage: /usr/bin/python3 bench/network_gradients_reference.py DIR
DIR holds manifest.json ({"network", "width", "heads", "size", "batch",
"params": [{"name", "shape"}, ...]} in the engine's names and NHWC layouts), params.bin,
x.bin and y.bin (float32, little endian, NHWC). Writes DIR/result.json ({"loss",
"perHead"}) and DIR/grads.bin (float64, the params' order and shapes).
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resnet_fcn_reference import ResNet50Fcn  # noqa: E402
from unet_reference import UNet  # noqa: E402


def conv_weight(a):
    """[kh, kw, cin, cout] (tfjs conv2d) or [kh, kw, out, in] (tfjs conv2dTranspose) -> torch's [cout|in, cin|out, kh, kw]."""
    return np.ascontiguousarray(np.transpose(a, (3, 2, 0, 1)))


def unet_targets(net, heads):
    """Engine name -> (torch tensor, slice along dim 0 for a head, is a conv weight)."""
    out = {}
    for k in range(net.depth + 1):
        for c in ('conv1', 'conv2'):
            conv = getattr(net.down[k], c)
            out[f'down{k}.{c}.w'] = (conv.weight, None, True)
            out[f'down{k}.{c}.b'] = (conv.bias, None, False)
    for k in range(net.depth):
        out[f'up{k}.upconv.w'] = (net.upconv[k].weight, None, True)
        out[f'up{k}.upconv.b'] = (net.upconv[k].bias, None, False)
        for c in ('conv1', 'conv2'):
            conv = getattr(net.up[k], c)
            out[f'up{k}.{c}.w'] = (conv.weight, None, True)
            out[f'up{k}.{c}.b'] = (conv.bias, None, False)
    for i, name in enumerate(heads):
        out[f'head.{name}.w'] = (net.heads.weight, i, True)
        out[f'head.{name}.b'] = (net.heads.bias, i, False)
    return out


def resnet_fcn_targets(net, heads):
    out = {}

    def conv_bn(prefix, conv, bn):
        out[f'{prefix}.w'] = (conv.weight, None, True)
        out[f'{prefix}.bn.gamma'] = (bn.weight, None, False)
        out[f'{prefix}.bn.beta'] = (bn.bias, None, False)

    enc = net.encoder
    conv_bn('encoder.stem.conv', enc.stem[0], enc.stem[1])
    for level, layer in enumerate(enc.layers):
        for b, block in enumerate(layer):
            name = f'encoder.layer{level + 1}.{b}'
            conv_bn(f'{name}.conv1', block.conv1, block.bn1)
            conv_bn(f'{name}.conv2', block.conv2, block.bn2)
            conv_bn(f'{name}.conv3', block.conv3, block.bn3)
            if block.down is not None:
                conv_bn(f'{name}.downsample', block.down[0], block.down[1])
    for lateral, conv in (('lateral5', net.l5), ('lateral4', net.l4), ('lateral3', net.l3)):
        out[f'decoder.{lateral}.w'] = (conv.weight, None, True)
        out[f'decoder.{lateral}.b'] = (conv.bias, None, False)
    conv_bn('decoder.fuse', net.fuse[0], net.fuse[1])
    for i, name in enumerate(heads):
        out[f'head.{name}.w'] = (net.heads.weight, i, True)
        out[f'head.{name}.b'] = (net.heads.bias, i, False)
    return out


def main():
    folder = sys.argv[1]
    with open(os.path.join(folder, 'manifest.json')) as f:
        m = json.load(f)
    torch.set_default_dtype(torch.float64)
    heads = m['headNames']
    if m['network'] == 'unet':
        net = UNet(m['width'], len(heads))
        targets = unet_targets(net, heads)
    else:
        net = ResNet50Fcn(m['width'], len(heads))
        targets = resnet_fcn_targets(net, heads)
    net.train()
    values = np.fromfile(os.path.join(folder, 'params.bin'), dtype='<f4').astype(np.float64)
    names = [p['name'] for p in m['params']]
    if sorted(names) != sorted(targets):
        missing = sorted(set(targets) - set(names))
        extra = sorted(set(names) - set(targets))
        raise SystemExit(f'parameter names differ: missing {missing[:5]}, unknown {extra[:5]}')
    offset = 0
    with torch.no_grad():
        for p in m['params']:
            n = int(np.prod(p['shape']))
            a = values[offset:offset + n].reshape(p['shape'])
            offset += n
            tensor, head, conv = targets[p['name']]
            a = conv_weight(a) if conv else a
            if head is None:
                tensor.copy_(torch.from_numpy(a.reshape(tensor.shape)))
            else:
                tensor[head:head + 1].copy_(torch.from_numpy(a.reshape(tensor[head:head + 1].shape)))
    n, s = m['batch'], m['size']
    x = torch.from_numpy(np.fromfile(os.path.join(folder, 'x.bin'), dtype='<f4').astype(np.float64).reshape(n, s, s, 1)).permute(0, 3, 1, 2)
    y = torch.from_numpy(np.fromfile(os.path.join(folder, 'y.bin'), dtype='<f4').astype(np.float64).reshape(n, s, s, len(heads))).permute(0, 3, 1, 2)
    out = net(x)
    if isinstance(out, tuple):
        out = out[0]
    per_head = ((out - y) ** 2).mean(dim=(0, 2, 3))
    loss = per_head.sum()
    loss.backward()
    grads = []
    for p in m['params']:
        tensor, head, conv = targets[p['name']]
        g = tensor.grad.detach().numpy()
        if head is not None:
            g = g[head:head + 1]
        if conv:
            # torch [o, i, kh, kw] -> engine [kh, kw, i, o]
            g = np.transpose(g, (2, 3, 1, 0))
        grads.append(np.ascontiguousarray(g).reshape(-1))
    np.concatenate(grads).astype('<f8').tofile(os.path.join(folder, 'grads.bin'))
    with open(os.path.join(folder, 'result.json'), 'w') as f:
        json.dump({'loss': loss.item(), 'perHead': per_head.tolist(), 'torch': torch.__version__}, f)


if __name__ == '__main__':
    main()
