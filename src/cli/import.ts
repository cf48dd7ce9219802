import { Command, Option } from 'commander';
import { open, readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { configFrom, progressBar } from './common.js';
import { configOption } from './options.js';
import { createPipeline } from '../main.js';
import { importFile } from '../ingest/import/index.js';
import { storeImportLedger } from '../ingest/import/ledger.js';
import type { Role } from '../call/types.js';

export function importCommand(): Command {
  return new Command('import')
    .description('analyse recorded calls (stereo/mono WAV, raw G.711, pcap of SIP+RTP) or conversations (interchange JSONL, Amazon Connect / Genesys Cloud transcript JSON, CSV) through the live pipeline')
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
          if (await isConversationFile(file)) {
            try {
              const res = await importConversationFile(p, file);
              process.stdout.write(`${file}: ${res}\n`);
            } catch (err) {
              failed++;
              process.stderr.write(`${file}: ${(err as Error).message}\n`);
            }
            continue;
          }
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

const TEXT_EXT = new Set(['.jsonl', '.ndjson', '.json', '.csv']);

/** By extension, else by content: recordings are binary (RIFF, pcap magic, G.711), conversations start with `{` or a CSV header. */
async function isConversationFile(file: string): Promise<boolean> {
  if (TEXT_EXT.has(extname(file).toLowerCase())) return true;
  const fh = await open(file, 'r');
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(64), 0, 64, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8').replace(/^\ufeff/u, '').trimStart();
    return head.startsWith('{') || /^conversation\s*,/iu.test(head);
  } catch {
    return false;
  } finally {
    await fh.close();
  }
}

async function importConversationFile(p: Awaited<ReturnType<typeof createPipeline>>, file: string): Promise<string> {
  const max = p.config.conversations.maxImportBytes;
  const fh = await open(file, 'r');
  const size = (await fh.stat()).size;
  await fh.close();
  if (size > max) throw new Error(`larger than conversations.maxImportBytes (${max} bytes); split it`);
  const bar = progressBar(basename(file), 'records');
  const r = await p.conversations.importText(await readFile(file, 'utf8'), { fileName: basename(file), onProgress: (done, total) => bar.update(done, total) });
  bar.stop();
  // Rejected lines are listed with their line number and reason, never their content.
  for (const x of r.rejected) process.stderr.write(`${file}:${x.line}: rejected (${x.reason}): ${x.detail}\n`);
  if (r.duplicate) return `already imported (${r.format})`;
  return `${r.format}: ${r.messages} messages in ${r.conversations} conversations, ${r.duplicates} already stored, ${r.rejectedTotal} lines rejected`;
}
