// Entry of the Electron app's engine host: TypeScript runs through tsx, as in the CLI.
import { register } from 'tsx/esm/api';

register();
await import('./host-process.ts');
