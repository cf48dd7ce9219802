// Store write throughput: call-event rows per second through the batched writer (one transaction
// per batch) against the same inserts committed one row at a time, measured in the same run on the
// same disk, alternating over several rounds (the median is reported; the best shows the ceiling
// when other work shares the machine). Rows per CPU-second (user+sys of this process) is printed too:
// on a shared, overloaded machine it is the steadier figure. Goal: >= 100k rows/s batched.
//   npm run build && node dist/bench/store-throughput.js [rows]
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../src/store/index.js';
import { connectionOf } from '../src/store/store.js';

const ROWS = Number(process.argv[2] ?? 200_000);
const ROUNDS = 5;
const SINGLE_ROWS = Math.max(1000, Math.floor(ROWS / 10)); // row-at-a-time is slow; fewer rows, same rate
const dir = mkdtempSync(join(tmpdir(), 'earshot-bench-'));

function seed(path: string): void {
  const store = openStore({ path });
  store.upsertCall({ callId: 'c', ingest: 'import', externalId: 'bench', startedAt: Date.now() });
  store.close();
}

type Rate = { wall: number; cpu: number };

function measure(rows: number, fn: () => void): Rate {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  return { wall: rows / wall, cpu: rows / ((c.user + c.system) / 1e6) };
}

function batched(round: number): Rate {
  const path = join(dir, `batched-${round}.db`);
  seed(path);
  const store = openStore({ path });
  const rate = measure(ROWS, () => {
    for (let i = 0; i < ROWS; i++) store.addCallEvent({ callId: 'c', kind: 'speech', tMs: i * 20, data: { ms: 20 } });
    store.flush();
  });
  const n = connectionOf(store).prepare('SELECT count(*) FROM call_events').pluck().get() as number;
  store.close();
  if (n !== ROWS) throw new Error(`batched: expected ${ROWS} rows, found ${n}`);
  return rate;
}

/** Baseline: the same table, pragmas and prepared insert, but each row its own transaction. */
function rowAtATime(round: number): Rate {
  const path = join(dir, `single-${round}.db`);
  seed(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const insert = db.prepare('INSERT INTO call_events (call_id, leg_id, kind, t_ms, data) VALUES (?,?,?,?,?)');
  const rate = measure(SINGLE_ROWS, () => {
    for (let i = 0; i < SINGLE_ROWS; i++) insert.run('c', null, 'speech', i * 20, JSON.stringify({ ms: 20 }));
  });
  db.close();
  return rate;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

try {
  const singles: Rate[] = [];
  const batches: Rate[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    singles.push(rowAtATime(r));
    batches.push(batched(r));
  }
  const report = (name: string, rates: Rate[], rows: number) => {
    const wall = rates.map((r) => r.wall);
    console.log(
      `store-throughput: ${name} ${fmt(median(wall))} rows/s median of ${ROUNDS} (best ${fmt(Math.max(...wall))}), ` +
        `${fmt(median(rates.map((r) => r.cpu)))} rows per CPU-second, ${rows} rows per round`,
    );
  };
  report('batched', batches, ROWS);
  report('row-at-a-time', singles, SINGLE_ROWS);
  const batch = median(batches.map((r) => r.wall));
  const ratio = batch / median(singles.map((r) => r.wall));
  const cpuRatio = median(batches.map((r) => r.cpu)) / median(singles.map((r) => r.cpu));
  console.log(`store-throughput: ratio batched/row-at-a-time = ${ratio.toFixed(1)}x wall, ${cpuRatio.toFixed(1)}x CPU`);
  console.log(`store-throughput: goal >= 100,000 rows/s batched: ${batch >= 100_000 ? 'met' : 'NOT met'} (load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
