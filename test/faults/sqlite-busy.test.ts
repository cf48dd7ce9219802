// SQLite busy: another connection (an operator's CLI, a backup tool) holds the write lock for
// seconds in the middle of a call. Ingest and analysis must keep going (utterances still flow on
// the bus), the hot-path writes wait in the queue and are retried, and once the lock is gone
// everything queued is committed: no call, leg or utterance lost.
import t from 'tap';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { conversation, forkStereo } from '../../bench/load/audio.js';
import { LOAD_FORKS, runForkCall } from '../../bench/load/fork-client.js';
import { dbOf } from '../helpers/db.js';

// Held until this many utterances came through under the lock and a write batch failed busy and
// was queued for retry: awaited events, not a wall-clock guess that is too short on a loaded box.
const UTTERANCES_UNDER_LOCK = 3;

t.test('a write lock held for seconds: analysis goes on, writes resume, nothing lost', { timeout: 120_000 }, async (t) => {
  const dir = t.testdir();
  const conv = conversation(dir, 30, 1);
  const config = validateConfig({ forks: LOAD_FORKS, dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 2 } });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const { bus, store, calls, metrics } = app.pipeline;
  let utterances = 0;
  const alarms: string[] = [];
  let listenerErrors = 0;
  let onUtterance = () => {};
  bus.on('utterance', () => {
    utterances++;
    onUtterance();
  });
  /** Resolves at the first utterance for which `pred` holds (checked as each one arrives). */
  const untilUtterance = (pred: () => Promise<boolean> | boolean) =>
    new Promise<void>((resolve) => {
      onUtterance = () => void Promise.resolve(pred()).then((ok) => ok && ((onUtterance = () => {}), resolve()));
    });
  const writeErrors = async () => (await metrics.registry.getSingleMetric('earshot_store_write_errors_total')!.get()).values.reduce((a, v) => a + v.value, 0);
  bus.on('alarm', (a) => alarms.push(a.rule));
  const onErr = bus.onListenerError;
  bus.onListenerError = (ev, err) => {
    listenerErrors++;
    onErr(ev, err);
  };

  const call = runForkCall(app.url, forkStereo(conv), { sampleRate: 16000, callSid: 'busy-1' });
  // The call is under way: recognised speech is flowing (and being stored) before the lock is taken.
  await untilUtterance(() => utterances >= 1);

  const other = new Database(store.path);
  t.teardown(() => other.open && other.close());
  other.exec('BEGIN IMMEDIATE'); // the write lock, held
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const atLock = utterances;
  await untilUtterance(async () => utterances - atLock >= UTTERANCES_UNDER_LOCK && (await writeErrors()) > 0);
  const duringLock = utterances - atLock;
  const pendingAtRelease = store.pendingRows;
  other.exec('COMMIT');
  other.close();
  loop.disable();
  t.ok(duringLock > 0, `analysis went on under the lock: ${duringLock} utterances`);
  t.ok(pendingAtRelease > 0, `writes waited in the queue (${pendingAtRelease} rows)`);
  t.comment(`event loop under the lock: max ${(loop.max / 1e6).toFixed(0)} ms, p99 ${(loop.percentile(99) / 1e6).toFixed(0)} ms (busy_timeout waits are synchronous)`);

  t.equal((await call).closeCode, 1000, 'the call streamed to its end');
  const end = Date.now() + 60_000;
  while (calls.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  await Promise.race([calls.idle(), new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())).unref())]);
  store.flush();

  const row = dbOf(store).prepare("SELECT id, state FROM calls WHERE external_id = 'busy-1'").get() as { id: string; state: string };
  t.equal(row.state, 'ended', 'call stored and ended');
  t.equal((dbOf(store).prepare('SELECT count(*) AS n FROM legs WHERE call_id = ?').get(row.id) as { n: number }).n, 2, 'both legs stored');
  t.equal((dbOf(store).prepare('SELECT count(*) AS n FROM utterances').get() as { n: number }).n, utterances, `all ${utterances} utterances stored`);
  const retries = await writeErrors();
  t.ok(retries > 0, `busy batches were retried (${retries})`);
  const storedAlarms = (dbOf(store).prepare('SELECT rule FROM alarms').all() as { rule: string }[]).map((a) => a.rule);
  t.same(storedAlarms.sort(), [...alarms].sort(), `every alarm raised is stored (${alarms.length})`);
  t.equal(listenerErrors, 0, 'no pipeline listener threw');
});
