import { Command, Option } from 'commander';
import { basename } from 'node:path';
import { configFrom, progressBar } from './common.js';
import { configOption } from './options.js';
import { createPipeline } from '../main.js';
import { importFile } from '../ingest/import/index.js';
import { storeImportLedger } from '../ingest/import/ledger.js';
import type { Role } from '../call/types.js';

export function importCommand(): Command {
  return new Command('import')
    .description('analyse recorded calls (stereo/mono WAV, raw G.711, pcap of SIP+RTP) through the live pipeline')
    .argument('<files...>')
    .addOption(configOption())
    .addOption(new Option('--channels <roles>', 'channel roles in order (default: stereo customer,agent; mono mixed)'))
    .addOption(new Option('--codec <codec>', 'for raw files').choices(['pcmu', 'pcma', 'l16']))
    .action(async (files: string[], opts: { config?: string; channels?: string; codec?: 'pcmu' | 'pcma' | 'l16' }) => {
      const config = configFrom(opts, { sip: { front: 'off' } });
      const channels = opts.channels?.split(',').map((r) => r.trim()) as Role[] | undefined;
      const p = await createPipeline(config);
      let failed = 0;
      try {
        for (const file of files) {
          const bar = progressBar(basename(file), 'ms');
          try {
            const res = await importFile(
              { log: p.log, bus: p.bus, calls: p.calls, metrics: p.metrics, speech: p.speech, imports: storeImportLedger(p.store) },
              file,
              { channels, codec: opts.codec, onProgress: (done, total) => bar.update(done, total) },
            );
            bar.stop();
            process.stdout.write(`${file}: ${res.duplicate ? 'already imported as' : 'imported as'} call ${res.callId}\n`);
          } catch (err) {
            bar.stop();
            failed++;
            process.stderr.write(`${file}: ${(err as Error).message}\n`);
          }
        }
      } finally {
        await p.close();
      }
      if (failed) process.exitCode = 1;
    });
}
