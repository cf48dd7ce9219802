// Event-loop delay while heavy reads run (issue 16): a month report over a large generated store,
// run in the loop versus through the store's read pool, while a 6-call live load (12 RTP streams
// at 50 packets/s over loopback UDP, sent from a worker thread so the sender keeps real time)
// arrives on the main loop. Prints event-loop delay p99/max and RTP receive lateness p99 per phase;
// the ratio is to the idle phase measured in the same run. Goal: p99 <= 20 ms during the reads.
// Then the KPI rollups of R recent calls' ends (nine bucket aggregates each), on the loop as
// `rollupCall` ran them, and through the rollup queue (the read in the pool, the write here), each
// call end awaited before the next so both phases do the same work. Then the dry runs an operator
// starts from the console: a category pack (complaint) and the shipped alarm rules over the last 7
// days' stored calls (5,000, the dry runs' limit), in the loop and through the pool.
//   npm run build && node dist/bench/event-loop.js [--calls N] [--reports R] [--rollups R] [--dryruns D]
import { createSocket } from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { alarmDryRun, validateAlarmFile } from '../src/alarms/index.js';
import { ALARM_READS, poolAlarmDryRun } from '../src/alarms/reads.js';
import { dryRun, validateWith } from '../src/analysis/rules/packs.js';
import { poolDryRun, RULE_READS } from '../src/analysis/rules/reads.js';
import { poolReport, REPORT_READS } from '../src/web/reports/reads.js';
import { createRollupQueue, rollupCall } from '../src/kpi/index.js';
import { createMetrics } from '../src/metrics/registry.js';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { createReadPool } from '../src/store/read-pool.js';
import { openStore } from '../src/store/index.js';
import { buildReport } from '../src/web/reports/build.js';
import { dataSet } from './dashboard-data.js';

const { values: args } = parseArgs({ options: { calls: { type: 'string', default: '200000' }, reports: { type: 'string', default: '20' }, rollups: { type: 'string', default: '200' }, dryruns: { type: 'string', default: '3' } } });
const log = (s: string) => console.log(`event-loop: ${s}`);
const ds = dataSet({ calls: Number(args.calls), days: 90, fullDays: 14, fresh: false, log });
const store = openStore({ path: ds.path, recover: false });
const pool = createReadPool({ path: ds.path, workers: 1, timeoutMs: 120_000, stageTasks: [RULE_READS, ALARM_READS, REPORT_READS] });
// The rollup queue reads through the store's own pool, as the KPI stage does in `serve`.
const rollupOpts = { siteId: 'site-1', repeatWindowDays: 7 };
const rollupQueue = createRollupQueue({ store: { repos: store.repos, reads: pool }, metrics: createMetrics({ defaults: false }), log: pino({ level: 'silent' }), rollup: rollupOpts });
// Ended calls of the last days with an agent and a queue: nine rows each.
const pick = new Database(ds.path, { readonly: true });
const ended = pick
  .prepare("SELECT call_id FROM call_facts WHERE started_at >= ? AND state != 'active' AND agent_id IS NOT NULL AND queue IS NOT NULL ORDER BY started_at LIMIT ?")
  .pluck()
  .all(ds.now - 7 * 86_400_000, Number(args.rollups)) as string[];
pick.close();
const at = ds.now;
// Warm both paths (worker start-up, page cache) so the phases measure the reads, not the boot.
buildReport(store.repos.reports, 'month', at);
await poolReport(pool, { period: 'month', at });

// Receiver on the main loop: lateness = arrival on this loop - the sender's timestamp in the packet.
const rx = createSocket('udp4');
await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
let late: number[] = [];
rx.on('message', (m) => late.push(performance.timeOrigin + performance.now() - m.readDoubleBE(12)));
const sender = new Worker(
  `const { createSocket } = require('node:dgram'); const { workerData } = require('node:worker_threads');
   const s = createSocket('udp4'); const pkt = Buffer.alloc(12 + 8 + 160);
   setInterval(() => { for (let i = 0; i < 12; i++) { pkt.writeDoubleBE(performance.timeOrigin + performance.now(), 12); s.send(pkt, workerData.port, '127.0.0.1'); } }, 20);`,
  { eval: true, workerData: { port: rx.address().port } },
);

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : 0;
};

async function phase(name: string, work: () => Promise<void>) {
  // Let packets queued during the previous phase drain first, or they count against this one.
  await new Promise((r) => setTimeout(r, 1000));
  const h = monitorEventLoopDelay({ resolution: 5 });
  late = [];
  h.enable();
  const t0 = performance.now();
  await work();
  const ms = performance.now() - t0;
  h.disable();
  return { name, ms, p99: h.percentile(99) / 1e6, max: h.max / 1e6, rtpP99: pct(late, 99), packets: late.length };
}

const reports = Number(args.reports);
const idle = () => new Promise<void>((r) => setTimeout(r, 3000));
const rows = [
  await phase('idle (live load only)', idle),
  await phase(`month report x${reports}, in the loop`, async () => {
    for (let i = 0; i < reports; i++) {
      buildReport(store.repos.reports, 'month', at);
      await new Promise((r) => setImmediate(r));
    }
  }),
  await phase(`month report x${reports}, read pool`, async () => {
    for (let i = 0; i < reports; i++) await poolReport(pool, { period: 'month', at });
  }),
];
const rollups = ended.length;
rows.push(
  await phase(`rollup x${rollups} call ends, in the loop`, async () => {
    for (const id of ended) {
      rollupCall(store.repos.kpiRollups, id, rollupOpts);
      await new Promise((r) => setImmediate(r));
    }
  }),
  await phase(`rollup x${rollups} call ends, read pool`, async () => {
    for (const id of ended) {
      rollupQueue.add(id);
      await rollupQueue.settled();
    }
  }),
);
// The dry runs (src/web/routes/rules.ts runs them in the pool when the store has one).
const rulesDir = fileURLToPath(new URL('../../config/rules/', import.meta.url));
const alarmsDir = fileURLToPath(new URL('../../config/alarms/', import.meta.url));
const packText = readFileSync(`${rulesDir}complaint.yaml`, 'utf8');
const alarmText = readFileSync(`${alarmsDir}default.yaml`, 'utf8');
const since = at - 7 * 86_400_000;
const pack = validateWith(rulesDir, store.repos.rulePacks, 'complaint', packText);
const alarmSet = validateAlarmFile(alarmsDir, store.repos.alarmRules, 'default', alarmText);
if (!pack.ok || !alarmSet.ok) throw new Error('the shipped rules do not validate');
const report = alarmSet.fileRules.filter((r) => r.enabled).map((r) => r.id);
const dryruns = Number(args.dryruns);
let dryCalls = 0;
rows.push(
  await phase(`category dry run x${dryruns}, in the loop`, async () => {
    for (let i = 0; i < dryruns; i++) {
      dryCalls = dryRun(store.repos.rulePacks, pack.set, pack.packRules, since).calls;
      await new Promise((r) => setImmediate(r));
    }
  }),
  await phase(`category dry run x${dryruns}, read pool`, async () => {
    for (let i = 0; i < dryruns; i++) await poolDryRun(pool, { dir: rulesDir, id: 'complaint', text: packText, since });
  }),
  await phase(`alarm dry run x${dryruns}, in the loop`, async () => {
    for (let i = 0; i < dryruns; i++) {
      alarmDryRun(store.repos.alarmReplay, alarmSet.rules, report, since);
      await new Promise((r) => setImmediate(r));
    }
  }),
  await phase(`alarm dry run x${dryruns}, read pool`, async () => {
    for (let i = 0; i < dryruns; i++) await poolAlarmDryRun(pool, { rules: alarmSet.rules, report, since });
  }),
);
log(`dry runs over ${dryCalls} stored calls each`);
const base = rows[0]!;
for (const r of rows) {
  log(`${r.name.padEnd(38)} ${(r.ms / 1000).toFixed(1).padStart(5)} s  loop delay p99 ${r.p99.toFixed(1).padStart(7)} ms (x${(r.p99 / base.p99).toFixed(1)})  max ${r.max.toFixed(0).padStart(5)} ms  RTP lateness p99 ${r.rtpP99.toFixed(1).padStart(7)} ms over ${r.packets} packets`);
}
const pooled = rows[2]!;
const met = (r: (typeof rows)[number]) => (r.p99 <= 20 ? 'met' : 'NOT met');
log(`goal p99 <= 20 ms through the pool: reports ${met(pooled)}; rollups ${met(rows[4]!)}; category dry runs ${met(rows[6]!)}; alarm dry runs ${met(rows[8]!)}`);
rollupQueue.close();
await sender.terminate();
rx.close();
await pool.close();
store.close();
