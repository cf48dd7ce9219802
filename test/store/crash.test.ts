import t from 'tap';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { openStore } from '../../src/store/index.js';
import { dbOf } from '../helpers/db.js';

const log = pino({ level: 'silent' });
const child = fileURLToPath(new URL('./fixtures/writer-child.ts', import.meta.url));

// How the child runs TypeScript: with the same loader flags tap used to start this test file
// (process.execArgv), so it imports src/store/*.ts directly. No build step, no risk of testing a
// stale dist/, and it keeps working if tap changes loaders. Coverage tracking (processinfo) is left
// out: a SIGKILLed child could not write its coverage record anyway.
const execArgv = process.execArgv.filter((a) => !a.includes('processinfo'));
const { NODE_OPTIONS: _drop, ...env } = process.env;

t.test('SIGKILL mid-write: every row reported committed survives and the file is intact', async (t) => {
  const path = join(t.testdir(), 'crash.db');
  const proc = spawn(process.execPath, [...execArgv, child, path], { cwd: process.cwd(), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const bound = setTimeout(() => proc.kill('SIGKILL'), 45_000); // never outlive the test
  t.teardown(() => {
    clearTimeout(bound);
    if (proc.exitCode === null && proc.signalCode === null) process.kill(proc.pid!, 'SIGKILL');
  });
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => proc.on('exit', (code, sig) => resolve(sig ?? code)));

  let committed = { utterance: 0, event: 0, reports: 0 };
  let buf = '';
  await new Promise<void>((resolve, reject) => {
    proc.stdout.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const m = /^committed (\d+) (\d+)$/.exec(line);
        if (m) committed = { utterance: Number(m[1]), event: Number(m[2]), reports: committed.reports + 1 };
        // Enough rounds for the database and WAL to be busy, then kill while it writes.
        if (committed.reports === 15) {
          process.kill(proc.pid!, 'SIGKILL');
          resolve();
        }
      }
    });
    void exited.then(() => reject(new Error(`child exited early: ${stderr.slice(-2000)}`)));
  });
  t.equal(await exited, 'SIGKILL');
  t.ok(committed.utterance >= 15_000, 'the child committed rows before it was killed');

  const store = openStore({ path, log });
  t.teardown(() => store.close());
  t.equal(dbOf(store).pragma('integrity_check', { simple: true }), 'ok');
  t.same(dbOf(store).pragma('foreign_key_check'), []);
  const have = (table: string, upTo: number) => dbOf(store).prepare(`SELECT count(*) FROM ${table} WHERE id <= ?`).pluck().get(upTo);
  t.equal(have('utterances', committed.utterance), committed.utterance, 'every reported utterance is there');
  t.equal(have('call_events', committed.event), committed.event, 'every reported event is there');
  const max = dbOf(store).prepare('SELECT max(id) FROM utterances').pluck().get() as number;
  t.equal(dbOf(store).prepare('SELECT count(*) FROM utterances').pluck().get(), max, 'no gaps: batches are all or nothing');
  t.equal(store.getCall('call-1')?.state, 'interrupted', 'the call the crash left active is marked interrupted');
});
