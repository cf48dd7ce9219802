import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Role } from '../../call/types.js';
import type { Metrics } from '../../metrics/registry.js';
import { importCapture, isCapture } from './capture.js';
import { ImportFormatError, probe } from './format.js';
import { type RunDeps, type RunOptions, runImport } from './run.js';
import { durationMs, fileReader } from './wav-reader.js';

export { createMemoryLedger, storeImportLedger, type ImportLedger, type ImportRecord, type ImportState, type ImportStore } from './ledger.js';
export { startDemoLoop, bundledDemoFile, type DemoLoop } from './demo.js';
export { ImportFormatError } from './format.js';
export type { SpeechPort } from './run.js';

export interface ImportDeps extends RunDeps {
  metrics: Metrics;
}

export interface ImportOptions extends RunOptions {
  /** Role per channel. Defaults: mono → ['mixed'], stereo → ['customer', 'agent']. */
  channels?: Role[];
  /** Headerless files only (WAV headers win). Default from the extension (.ul, .al, .l16 …). */
  codec?: 'pcmu' | 'pcma' | 'l16';
  sampleRate?: number;
  /** Override the dedup key (sha256 of the file): the demo loop replays one file as new calls. */
  externalId?: string;
}

export interface ImportResult {
  callId: string;
  duplicate: boolean;
  /** Captures (pcap/pcapng) can hold several calls: all of them, in order of their INVITEs. */
  calls?: { callId: string; duplicate: boolean }[];
}

const ROLES: ReadonlySet<string> = new Set(['customer', 'agent', 'mixed', 'unknown']);

/**
 * Imports one recorded call: WAV (any channel count; PCM 8/16/24/32, float, G.711), headerless
 * G.711/L16, or a pcap/pcapng capture of SIP + RTP (each SIP dialog becomes a call).
 * Idempotent by file hash; a crashed or failed import is redone from the start (see runImport).
 */
export async function importFile(deps: ImportDeps, file: string, opts: ImportOptions = {}): Promise<ImportResult> {
  const fh = await open(file, 'r');
  try {
    const key = async () => opts.externalId ?? (await sha256(file));
    if (await isCapture(fh)) return await importCapture(deps, fh, basename(file), await key(), opts);
    const fmt = await probe(fh, basename(file), { codec: opts.codec, sampleRate: opts.sampleRate, channels: opts.channels?.length });
    const roles = rolesFor(fmt.channels, opts.channels);
    const spec = {
      key: await key(),
      fileName: basename(file),
      legs: roles.map((role, i) => ({ role, label: String(i), codec: fmt.codec })),
      sampleRate: fmt.sampleRate,
      totalMs: durationMs(fmt),
    };
    return await runImport(deps, spec, () => fileReader(fh, fmt), opts);
  } catch (err) {
    if (err instanceof ImportFormatError) deps.metrics.badInput('import', err.reason);
    throw err;
  } finally {
    await fh.close();
  }
}

function rolesFor(n: number, given?: Role[]): Role[] {
  if (given) {
    if (given.length !== n) throw new ImportFormatError('bad-options', `${given.length} channel roles given for a ${n}-channel recording`);
    const bad = given.find((r) => !ROLES.has(r));
    if (bad !== undefined) throw new ImportFormatError('bad-options', `unknown role "${bad}" (customer, agent, mixed, unknown)`);
    return given;
  }
  if (n === 1) return ['mixed'];
  return Array.from({ length: n }, (_, i): Role => (i === 0 ? 'customer' : i === 1 ? 'agent' : 'unknown'));
}

async function sha256(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}
