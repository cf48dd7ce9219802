import type Database from 'better-sqlite3';
import type { Repos } from '../store/repos/index.js';
import { EarshotError } from '../errors.js';
import { buildBatch, type SyncConfig } from './aggregate.js';
import { syncOutbox } from './outbox.js';
import type { SyncBatch } from './payload.js';
import { IDEMPOTENCY_HEADER, SIGNATURE_HEADER, batchIdFor, canonicalJson, signBody } from './sign.js';

export interface SyncPreview {
  url: string;
  headers: Record<string, string>;
  /** The exact request body. */
  body: string;
  batch: SyncBatch;
  /** 'queued': the stored batch, byte for byte what is or was sent; 'built': freshly built (noise drawn anew). */
  source: 'queued' | 'built';
}

/**
 * What sync sends (or sent) for one period: the queued batch when the period is already in the
 * outbox, otherwise the batch as it would be built now. `earshot sync preview` prints it.
 */
export function syncPreview(
  src: Pick<Repos, 'syncBatch' | 'syncOutbox'> | Database.Database,
  config: SyncConfig,
  period: { from: number; to: number },
): SyncPreview {
  const [outbox, batches] = 'syncOutbox' in src ? [src.syncOutbox, src.syncBatch] : [src, src];
  const stored = syncOutbox(outbox).stored(batchIdFor(config.site.id, period.from, period.to));
  const body = stored ?? canonicalJson(buildBatch(batches, config, period.from, period.to));
  const batch = JSON.parse(body) as SyncBatch;
  return {
    url: config.sync.url,
    headers: {
      'content-type': 'application/json',
      [SIGNATURE_HEADER]: config.sync.secret ? signBody(body, config.sync.secret) : '(no sync.secret set)',
      [IDEMPOTENCY_HEADER]: batch.batchId,
    },
    body,
    batch,
    source: stored ? 'queued' : 'built',
  };
}

/**
 * The sync period containing `at` (an ISO date-time or epoch ms), aligned to sync.intervalSeconds
 * like the periods sync builds. For the CLI's `--period`.
 */
export function periodAt(at: string | number, intervalSeconds: number): { from: number; to: number } {
  const ms = typeof at === 'number' ? at : /^\d+$/.test(at) ? Number(at) : Date.parse(at);
  if (!Number.isFinite(ms)) throw new EarshotError('EARSHOT_ERR_BAD_INPUT', `period ${JSON.stringify(at)} is not an ISO date-time or epoch milliseconds`);
  const len = intervalSeconds * 1000;
  const from = Math.floor(ms / len) * len;
  return { from, to: from + len };
}
