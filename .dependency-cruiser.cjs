/**
 * The layering of DESIGN.md, made executable: renderer -> shared;
 * main/cli -> engine -> formats -> shared. `npm run lint` fails when a change breaks it.
 */
const layer = (name) => `^src/${name}/`;
/** The page's GPU worker entry (shared/gpu-worker.ts). */
const TRAINING_WORKER = '^src/engine/browser/training-worker\\.ts$';

module.exports = {
  forbidden: [
    {
      name: 'shared-is-pure',
      comment: 'src/shared is pure TypeScript: no other layer, no node:*, no electron, no DOM libs, no tfjs.',
      severity: 'error',
      from: { path: layer('shared') },
      to: {
        pathNot: layer('shared'),
      },
    },
    {
      name: 'formats-only-shared',
      comment: 'src/formats turns bytes into typed values: it may use shared and codec packages, never node:*, engine or UI code.',
      severity: 'error',
      from: { path: layer('formats') },
      to: {
        path: [layer('engine'), layer('sample'), layer('cli'), layer('main'), layer('preload'), layer('renderer')],
      },
    },
    {
      name: 'formats-no-node-builtins',
      comment: 'formats must run in a browser worker too.',
      severity: 'error',
      from: { path: layer('formats') },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'engine-core-isomorphic',
      comment: 'src/engine outside engine/node uses the tfjs API only (it also runs in a browser worker).',
      severity: 'error',
      from: { path: layer('engine'), pathNot: '^src/engine/node/' },
      to: {
        dependencyTypes: ['core'],
      },
    },
    {
      name: 'engine-core-not-node-side',
      comment: 'the isomorphic engine must not reach into engine/node.',
      severity: 'error',
      from: { path: layer('engine'), pathNot: '^src/engine/node/' },
      to: { path: '^src/engine/node/' },
    },
    {
      name: 'engine-below-apps',
      comment: 'the engine never imports the apps that drive it.',
      severity: 'error',
      from: { path: [layer('engine'), layer('sample')] },
      to: { path: [layer('cli'), layer('main'), layer('preload'), layer('renderer')] },
    },
    {
      name: 'engine-no-electron',
      severity: 'error',
      from: { path: [layer('shared'), layer('formats'), layer('engine'), layer('sample'), layer('cli'), layer('renderer')] },
      to: { path: '^node_modules/electron/' },
    },
    {
      name: 'renderer-only-shared',
      comment:
        'the renderer talks to the engine only through the API contract in src/shared; its one reference into the engine is the URL of the GPU worker it starts (next rule).',
      severity: 'error',
      from: { path: layer('renderer') },
      to: {
        path: [layer('formats'), layer('engine'), layer('sample'), layer('cli'), layer('main'), layer('preload')],
        pathNot: TRAINING_WORKER,
      },
    },
    {
      name: 'renderer-one-worker-url',
      comment:
        "exactly one renderer file starts the engine's GPU worker, by URL (import …/training-worker.ts?worker&url, bundled by Vite); nothing else of the engine is imported.",
      severity: 'error',
      from: { path: layer('renderer'), pathNot: '^src/renderer/src/compute/gpu-worker-client\\.ts$' },
      to: { path: TRAINING_WORKER },
    },
    {
      name: 'preload-only-shared',
      severity: 'error',
      from: { path: layer('preload') },
      to: { path: [layer('formats'), layer('engine'), layer('sample'), layer('cli'), layer('main'), layer('renderer')] },
    },
    {
      name: 'main-not-cli-or-renderer',
      severity: 'error',
      from: { path: layer('main') },
      to: { path: [layer('cli'), layer('renderer')] },
    },
    {
      name: 'cli-not-electron-sides',
      severity: 'error',
      from: { path: layer('cli') },
      to: { path: [layer('main'), layer('preload')] },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '\\.test\\.ts$' },
    tsConfig: { fileName: 'tsconfig.node.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
