// Worker-thread entry: TypeScript through tsx, as the CLI runs it.
import { register } from 'tsx/esm/api';

register();
await import('./fuzz-worker.ts');
