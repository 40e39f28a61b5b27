import type { Command } from '../command.ts';

/**
 * Every `ssmtl` command, in the order `ssmtl help` lists them. Each is loaded only when
 * it runs: importing all of them would load TensorFlow.js, the codecs and the web
 * server before a simple `scan` could start.
 */
export const commandLoaders: { name: string; load: () => Promise<Command> }[] = [
  { name: 'scan', load: async () => (await import('./scan.ts')).scanCommand },
  { name: 'import', load: async () => (await import('./import.ts')).importCommand },
  { name: 'info', load: async () => (await import('./info.ts')).infoCommand },
  { name: 'pretrain', load: async () => (await import('./pretrain.ts')).pretrainCommand },
  { name: 'bench', load: async () => (await import('./bench.ts')).benchCommand },
  { name: 'sample', load: async () => (await import('./sample.ts')).sampleCommand },
  { name: 'serve', load: async () => (await import('./serve.ts')).serveCommand },
  { name: 'annotations import', load: async () => (await import('./annotations-import.ts')).annotationsImportCommand },
  { name: 'finetune', load: async () => (await import('./finetune.ts')).finetuneCommand },
  { name: 'predict', load: async () => (await import('./predict.ts')).predictCommand },
  { name: 'evaluate', load: async () => (await import('./evaluate.ts')).evaluateCommand },
  { name: 'pacs echo', load: async () => (await import('./pacs.ts')).pacsEchoCommand },
  { name: 'pacs find', load: async () => (await import('./pacs.ts')).pacsFindCommand },
  { name: 'pacs get', load: async () => (await import('./pacs.ts')).pacsGetCommand },
  { name: 'pacs store', load: async () => (await import('./pacs.ts')).pacsStoreCommand },
  { name: 'pacs add', load: async () => (await import('./pacs-config.ts')).pacsAddCommand },
  { name: 'pacs list', load: async () => (await import('./pacs-config.ts')).pacsListCommand },
  { name: 'pacs remove', load: async () => (await import('./pacs-config.ts')).pacsRemoveCommand },
  { name: 'demo', load: async () => (await import('./demo.ts')).demoCommand },
  { name: 'experiment', load: async () => (await import('./experiment/experiment.ts')).experimentCommand },
];
