import { studioApi } from '../api/studio-api.ts';
import { offerGpu } from './gpu-worker-client.ts';

// The hidden window of the Electron app (src/main/gpu-window.ts): it exists only to lend
// Chromium's WebGPU to pre-training when no native TensorFlow is installed.
// Its title says which adapter it lends, or why none (Electron's main logs it).
void offerGpu(studioApi()).then((offered) => {
  document.title =
    'reason' in offered ? `SSMTL Studio GPU worker: no GPU: ${offered.reason}` : `SSMTL Studio GPU worker: ${offered.adapter.label}`;
});
