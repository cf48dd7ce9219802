// The probe set of issue 15 runs against a real appliance (startAppliance: web, forks, SIPREC,
// speech, store) with the DEFAULT configuration: only what a test machine needs is set (loopback
// addresses, free ports, a temporary data dir, one recognition worker), plus, per probe, the knob
// it measures, shortened (an inactivity timeout of 2 s instead of 60 s). What reached the store is
// read back from the SQLite file itself, through a second, read-only connection.
import path from 'node:path';
import Database from 'better-sqlite3';
import { pino, type Logger } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import type { Config } from '../../src/config/schema.js';
import { startAppliance, type Appliance } from '../../src/main.js';
import { freePort } from '../fixtures/sipp/harness.js';

interface Tap {
  teardown(fn: () => unknown): void;
  testdir(): string;
}

export interface Probe {
  appliance: Appliance;
  config: Config;
  dir: string;
  /** Rows of the calls table, read from the database file. */
  storedCalls(): { id: string; ingest: string; state: string; source: string | null; end_reason: string | null; agent_id: string | null; queue: string | null }[];
  /** earshot_bad_input_total for one parser and reason. */
  bad(parser: string, reason: string): Promise<number>;
  httpUrl: string;
  wsUrl: string;
}

export async function startProbe(t: Tap, patch: (c: Record<string, any>) => void = () => {}, log: Logger = pino({ level: 'silent' })): Promise<Probe> {
  const dir = t.testdir();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 10000);
  const raw: Record<string, any> = {
    dataDir: path.join(dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    sip: { host: '127.0.0.1', port: 0 },
    rtp: { host: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 400 },
    speech: { workers: 1 },
  };
  patch(raw);
  const config = validateConfig(raw);
  const appliance = await startAppliance(config, { log });
  t.teardown(() => appliance.close());
  const file = path.join(config.dataDir, 'earshot.db');
  const storedCalls = () => {
    appliance.pipeline.store.flush();
    const db = new Database(file, { readonly: true, fileMustExist: true });
    try {
      return db.prepare('SELECT id, ingest, state, source, end_reason, agent_id, queue FROM calls ORDER BY started_at').all() as ReturnType<Probe['storedCalls']>;
    } finally {
      db.close();
    }
  };
  const bad = async (parser: string, reason: string) =>
    (await appliance.pipeline.metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.find((v) => v.labels.parser === parser && v.labels.reason === reason)?.value ?? 0;
  const httpUrl = appliance.url;
  return { appliance, config, dir, storedCalls, bad, httpUrl, wsUrl: httpUrl.replace(/^http/, 'ws') };
}

/** Polls an async condition (bounded): tests wait for state, not for time. */
export async function eventually(cond: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sippPorts = async () => ['-p', String(await freePort()), '-mp', String(await freePort(4))];
