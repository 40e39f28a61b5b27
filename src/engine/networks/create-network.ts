import type { BackboneName, DenseNetwork } from './dense-network.ts';
import { ResNet50Fcn } from './resnet50-fcn.ts';
import { UNet } from './unet.ts';

/** Builds the backbone named, with one 1-channel head per name; the same seed gives the same weights on every backend. */
export function createNetwork(backbone: BackboneName, width: number, headNames: string[], seed: number): DenseNetwork {
  switch (backbone) {
    case 'unet':
      return new UNet({ width, heads: headNames.length }, seed, headNames);
    case 'resnet50-fcn':
      return new ResNet50Fcn({ width, heads: headNames.length }, seed, headNames);
    default:
      throw new Error(`unknown backbone '${String(backbone)}' (unet or resnet50-fcn)`);
  }
}

/** Throws, saying why, when slices of this size cannot pass through the backbone. */
export function checkNetworkSize(backbone: BackboneName, size: number): void {
  if (backbone === 'resnet50-fcn') ResNet50Fcn.checkSize(size);
  else UNet.checkSize(size);
}
