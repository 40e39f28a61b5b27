// Worker-thread entry: TypeScript runs through tsx here as in the CLI (no build step).
import { register } from 'tsx/esm/api';

register();
await import('./gradient-worker.ts');
