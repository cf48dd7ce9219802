import { Command, Option } from 'commander';
import { configFrom, progressBar } from './common.js';
import { configOption } from './options.js';
import { fetchModel, importModel, listModels, type ModelProgress, type ModelStatus } from '../speech/models/index.js';

function bar(label: string) {
  const bars = new Map<string, ReturnType<typeof progressBar>>();
  return {
    onProgress(p: ModelProgress) {
      if (p.total === undefined || p.bytes === undefined) return;
      let b = bars.get(p.phase);
      if (!b) bars.set(p.phase, (b = progressBar(`${label} ${p.phase}`, 'bytes')));
      b.update(p.bytes, p.total);
    },
    stop() {
      for (const b of bars.values()) b.stop();
    },
  };
}

function report(s: ModelStatus): string {
  return `${s.name}: ${s.ok ? 'installed and valid' : s.problem ?? 'not installed'} (${s.dir})\n` +
    (s.ok ? `  use it with: speech.engine: sherpa, speech.sherpa.model: ${s.name}\n` : '');
}

export function modelsCommand(): Command {
  const cmd = new Command('models').description('speech models for the sherpa-onnx engine (pocketsphinx is built in)');
  cmd
    .command('list')
    .description('known models, whether installed, and their licence')
    .addOption(configOption())
    .addOption(new Option('--json', 'machine-readable output'))
    .action((opts: { config?: string; json?: boolean }) => {
      const models = listModels(configFrom(opts).dataDir);
      if (opts.json) return void process.stdout.write(JSON.stringify(models, null, 2) + '\n');
      for (const m of models) {
        const state = m.ok ? 'installed' : m.installed ? `BROKEN: ${m.problem}` : 'not installed';
        process.stdout.write(`${m.name.padEnd(48)} ${m.language.padEnd(6)} ${m.type.padEnd(12)} ${state}\n    licence ${m.licence}; ${m.upstream}\n`);
      }
    });
  cmd
    .command('fetch <name>')
    .description('download a model (networked host), verify its sha256, install it under dataDir/models')
    .addOption(configOption())
    .action(async (name: string, opts: { config?: string }) => {
      const b = bar(name);
      try {
        process.stdout.write(report(await fetchModel(name, configFrom(opts).dataDir, (p) => b.onProgress(p))));
      } finally {
        b.stop();
      }
    });
  cmd
    .command('import <file>')
    .description('install a model archive copied in by hand (air-gapped sites); checksum verified')
    .addOption(configOption())
    .option('--name <name>', 'the manifest to install it as (default: matched by sha256 or file name)')
    .action(async (file: string, opts: { config?: string; name?: string }) => {
      const b = bar(file);
      try {
        process.stdout.write(report(await importModel(file, configFrom(opts).dataDir, (p) => b.onProgress(p), { name: opts.name })));
      } finally {
        b.stop();
      }
    });
  return cmd;
}
