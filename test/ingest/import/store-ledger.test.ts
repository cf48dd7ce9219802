import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import { importFile } from '../../../src/ingest/import/index.js';
import { storeImportLedger } from '../../../src/ingest/import/ledger.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { connectStore, openStore } from '../../../src/store/index.js';
import { pcm, wav } from './rig.js';
import { dbOf } from '../../helpers/db.js';

// The import ledger over the real store (SQLite file in a temp dir): dedup across runs and the
// crash-redo path through `imports` and the calls table. The speech port is a fake.

function setup(dir: string) {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const log = pino({ level: 'silent' });
  const store = openStore({ path: join(dir, 'earshot.db'), log, metrics });
  connectStore(store, bus);
  const calls = new CallRegistry(bus, 10);
  const speech = { pendingSeconds: () => 0, legDone: async () => {} };
  return { store, deps: { log, bus, calls, metrics, speech, imports: storeImportLedger(store) } };
}

t.test('same file twice → one stored call; a crashed import is redone over the store', async (t) => {
  const dir = t.testdir();
  const file = join(dir, 'call.wav');
  writeFileSync(file, wav({ channels: 2, rate: 8000, data: pcm(2, 16000, (c, i) => (c ? i % 50 : -(i % 50))) }));
  const a = setup(dir);
  const first = await importFile(a.deps, file);
  const again = await importFile(a.deps, file);
  t.same(again, { callId: first.callId, duplicate: true });
  a.store.flush();
  const count = () => (dbOf(a.store).prepare("SELECT COUNT(*) AS n FROM calls WHERE ingest = 'import'").get() as { n: number }).n;
  t.equal(count(), 1);
  const row = dbOf(a.store).prepare('SELECT * FROM imports').get() as { state: string; call_id: string; progress_ms: number };
  t.match(row, { state: 'done', call_id: first.callId, progress_ms: 2000 });
  t.equal(a.store.getCall(first.callId)?.legs.length, 2);

  // A process that died mid-import leaves the row running and a partial call behind.
  dbOf(a.store).prepare("UPDATE imports SET state = 'running'").run();
  const redo = await importFile(a.deps, file);
  t.equal(redo.duplicate, false);
  a.store.flush();
  t.equal(count(), 1, 'the partial call was replaced, not duplicated');
  t.equal(a.store.getCall(first.callId), undefined);
  t.equal(a.store.getCall(redo.callId)?.state, 'ended');
  a.store.close();
});
