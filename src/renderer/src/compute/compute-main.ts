import { studioApi } from '../api/studio-api.ts';
import { offerGpu } from './gpu-worker-client.ts';

// The hidden window of the Electron app (src/main/gpu-window.ts): it exists only to lend
// Chromium's WebGPU to pre-training when no native TensorFlow is installed.
void offerGpu(studioApi()).then((offer) => {
  document.title = offer ? `SSMTL Studio GPU worker: ${offer.adapter.label}` : 'SSMTL Studio GPU worker: no WebGPU adapter';
});
