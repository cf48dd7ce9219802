// Alarm latency: from emitting an `utterance` on the bus to receiving the `alarm` it raises, with
// the stages wired as main.ts does (store persisting from the bus, KPIs, alarms) on a real SQLite
// file. Baseline in the same run: a bare bus emit to one listener. Also shown: an utterance that
// raises nothing (the per-utterance cost of the rules).
//   npm run build && node dist/bench/alarm-latency.js [alarms]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createAlarms, parseAlarmRules } from '../src/alarms/index.js';
import { PipelineBus } from '../src/call/events.js';
import type { Utterance } from '../src/call/types.js';
import { validateConfig } from '../src/config/index.js';
import { createKpi } from '../src/kpi/index.js';
import { createMetrics } from '../src/metrics/registry.js';
import { connectStore, openStore } from '../src/store/index.js';

const N = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-'));

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

async function main(): Promise<void> {
  const bus = new PipelineBus();
  const log = pino({ level: 'silent' });
  const metrics = createMetrics({ defaults: false });
  const config = validateConfig({});
  const store = openStore({ path: join(dir, 'bench.db'), log, metrics });
  connectStore(store, bus);
  const kpi = createKpi({ config, log, bus, store, metrics });
  // Every second negative customer utterance raises (no cooldown), so each measured emit fires once.
  const rules = parseAlarmRules('version: 1\nrules:\n  - { id: neg, kind: negative-streak, count: 2, cooldownSeconds: 0 }\n', 'bench');
  const alarms = await createAlarms({ config, log, bus, store, metrics, rules, tickMs: 0, deliveryMs: 0 });

  let got = 0;
  bus.on('alarm', () => {
    got = performance.now();
  });
  const callId = 'bench-call';
  bus.emit('call.started', { callId, ingest: 'siprec', externalId: 'bench', startedAt: Date.now() });
  bus.emit('leg.added', { callId, legId: 'cust', role: 'customer', label: '0' });
  let seq = 0;
  const utt = (sentiment: number): Utterance => {
    seq++;
    return { callId, legId: 'cust', role: 'customer', seq, text: '[redacted]', lang: 'en', startMs: seq * 2000, endMs: seq * 2000 + 1500, sentiment, emotion: 'angry', emotionConfidence: 0.9, categories: [], redactions: 0 };
  };

  const fire: number[] = [];
  const quiet: number[] = [];
  for (let i = 0; i < N + 200; i++) {
    let t0 = performance.now();
    bus.emit('utterance', utt(0.5)); // resets the run: raises nothing
    const q = performance.now() - t0;
    bus.emit('utterance', utt(-0.8));
    got = 0;
    t0 = performance.now();
    bus.emit('utterance', utt(-0.8)); // second in a row: raises
    if (!got) throw new Error('no alarm raised');
    if (i >= 200) {
      fire.push(got - t0); // the first 200 warm up the JIT and the page cache
      quiet.push(q);
    }
  }

  // Baseline: the bus alone, one listener taking the time.
  const bare = new PipelineBus();
  let seen = 0;
  bare.on('utterance', () => {
    seen = performance.now();
  });
  const base: number[] = [];
  for (let i = 0; i < N + 200; i++) {
    const u = utt(-0.8);
    const t0 = performance.now();
    bare.emit('utterance', u);
    if (i >= 200) base.push(seen - t0);
  }
  await alarms.close();
  kpi.close();
  store.close();

  const p50 = pct(fire, 50);
  const p95 = pct(fire, 95);
  console.log(`alarm-latency: utterance → alarm p50 ${us(p50)}, p95 ${us(p95)} (${N} alarms, each written to SQLite)`);
  console.log(`alarm-latency: utterance that raises nothing p50 ${us(pct(quiet, 50))}, p95 ${us(pct(quiet, 95))}`);
  console.log(`alarm-latency: baseline bare bus emit p50 ${us(pct(base, 50))}, p95 ${us(pct(base, 95))}`);
  console.log(`alarm-latency: ratio to baseline p50 ${(p50 / pct(base, 50)).toFixed(0)}x, p95 ${(p95 / pct(base, 95)).toFixed(0)}x`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
