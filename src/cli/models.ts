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
      bars.clear();
    },
  };
}

function report(s: ModelStatus): string {
  return `${s.name}: ${s.ok ? 'installed and valid' : s.problem ?? 'not installed'} (${s.dir})\n` +
    (s.ok ? `  use it with: speech.engine: sherpa, speech.sherpa.model: ${s.name}\n` : '');
}

export function modelsCommand(): Command {
  const cmd = new Command('models').description('speech models for the sherpa-onnx engine (pocketsphinx is built in)');
  const manifests = () => new Option('--manifests <dir>', 'folder of model manifests (default: the models/ shipped with Earshot)');
  cmd
    .command('list')
    .description('known models, whether installed, and their licence')
    .addOption(configOption())
    .addOption(manifests())
    .addOption(new Option('--json', 'machine-readable output'))
    .action((opts: { config?: string; json?: boolean; manifests?: string }) => {
      const models = listModels(configFrom(opts).dataDir, { manifestsDir: opts.manifests });
      if (opts.json) return void process.stdout.write(JSON.stringify(models, null, 2) + '\n');
      for (const m of models) {
        const state = m.ok ? 'installed' : m.installed ? `BROKEN: ${m.problem}` : 'not installed';
        process.stdout.write(`${m.name.padEnd(48)} ${m.language.padEnd(6)} ${m.type.padEnd(12)} ${state}\n    licence ${m.licence}; ${m.upstream}\n`);
      }
    });
  cmd
    .command('fetch <name>')
    .description(
      'download a model, verify its sha256, install it under dataDir/models. Resumes an interrupted download; ' +
        'uses HTTPS_PROXY / NO_PROXY; trusts extra CAs from NODE_EXTRA_CA_CERTS',
    )
    .addOption(configOption())
    .addOption(manifests())
    .option('--sha256 <hex>', "the archive's sha256 (from the release page) when the manifest pins none; recorded in the install")
    .action(async (name: string, opts: { config?: string; manifests?: string; sha256?: string }) => {
      const b = bar(name);
      try {
        const st = await fetchModel(name, configFrom(opts).dataDir, (p) => b.onProgress(p), { manifestsDir: opts.manifests, sha256: opts.sha256 });
        b.stop();
        if (st.resumedFrom) process.stdout.write(`${name}: resumed an earlier download at byte ${st.resumedFrom}\n`);
        process.stdout.write(report(st));
      } finally {
        b.stop();
      }
    });
  cmd
    .command('import <file>')
    .description('install a model archive copied in by hand (air-gapped sites); sha256 verified like fetch')
    .addOption(configOption())
    .addOption(manifests())
    .option('--name <name>', 'the manifest to install it as (default: matched by file name or sha256)')
    .option('--sha256 <hex>', 'the expected sha256 when the manifest pins none; recorded in the install')
    .action(async (file: string, opts: { config?: string; name?: string; manifests?: string; sha256?: string }) => {
      const b = bar(file);
      try {
        const st = await importModel(file, configFrom(opts).dataDir, (p) => b.onProgress(p), { name: opts.name, manifestsDir: opts.manifests, sha256: opts.sha256 });
        b.stop();
        process.stdout.write(report(st));
      } finally {
        b.stop();
      }
    });
  return cmd;
}
