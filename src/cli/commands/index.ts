import type { Command } from '../command.ts';
import { scanCommand } from './scan.ts';
import { importCommand } from './import.ts';
import { infoCommand } from './info.ts';
import { pretrainCommand } from './pretrain.ts';
import { benchCommand } from './bench.ts';
import { sampleCommand } from './sample.ts';
import { serveCommand } from './serve.ts';
import { annotationsImportCommand } from './annotations-import.ts';
import { finetuneCommand } from './finetune.ts';
import { predictCommand } from './predict.ts';
import { evaluateCommand } from './evaluate.ts';
import { demoCommand } from './demo.ts';

/** Every `ssmtl` command, in the order `ssmtl help` lists them. */
export const commands: Command[] = [scanCommand, importCommand, infoCommand, pretrainCommand, benchCommand, sampleCommand, serveCommand, annotationsImportCommand, finetuneCommand, predictCommand, evaluateCommand, demoCommand];
