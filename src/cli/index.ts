#!/usr/bin/env node
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/index.js';
import { serveCommand } from './serve.js';
import { importCommand } from './import.js';
import { modelsCommand } from './models.js';
import { dbCommand } from './db.js';
import { demoCommand } from './demo.js';
import { configCommand } from './config.js';
import { userCommand } from './user.js';
import { recordingsCommand } from './recordings.js';
import { callsCommand } from './calls.js';
import { ingestCommand } from './ingest.js';
import { syncCommand, collectorCommand } from './sync.js';

const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8').toString()) as { version: string };


const program = new Command('earshot')
  .description('On-prem call analytics: SIPREC and audio-fork tap, local ASR, emotion, compliance, KPIs and alarms')
  .version(pkg.version)
  .showHelpAfterError();

program.addCommand(serveCommand());
program.addCommand(importCommand());
program.addCommand(modelsCommand());
program.addCommand(dbCommand());
program.addCommand(demoCommand());
program.addCommand(configCommand());
program.addCommand(userCommand());
program.addCommand(recordingsCommand());
program.addCommand(callsCommand());
program.addCommand(ingestCommand());
program.addCommand(syncCommand());
program.addCommand(collectorCommand());

program.parseAsync(process.argv).catch((err: unknown) => {
  // Expected problems get one clear message and a non-zero exit; anything else keeps its stack.
  const code = (err as { code?: string }).code;
  if (err instanceof ConfigError || code?.startsWith('EARSHOT_ERR_')) {
    // The code too, for scripts and for looking it up in docs/errors.md.
    process.stderr.write(`earshot: ${(err as Error).message}${code?.startsWith('EARSHOT_ERR_') ? ` (${code})` : ''}\n`);
  } else {
    process.stderr.write(`earshot: ${(err as Error)?.stack ?? String(err)}\n`);
  }
  process.exit(1);
});
