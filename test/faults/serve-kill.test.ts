// SIGKILL of a running `earshot serve` in the middle of a call, then a restart on the same data
// directory: what was committed is intact, the call that was live is marked `interrupted`, and
// the restarted server takes new calls within seconds. Real child process, real fork websocket,
// real SQLite file (read here through a second, read-only connection).
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { WebSocket } from 'ws';
import { conversation, forkStereo } from '../../bench/load/audio.js';
import { LOAD_AUTH, LOAD_FORKS_ENV, runForkCall } from '../../bench/load/fork-client.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));

function serve(t: { teardown(fn: () => void): void }, dataDir: string): Promise<{ child: ChildProcess; url: string; readyMs: number }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [cli, 'serve'], {
    env: { ...process.env, ...LOAD_FORKS_ENV, EARSHOT_DATA_DIR: dataDir, EARSHOT_HTTP_HOST: '127.0.0.1', EARSHOT_HTTP_PORT: '0', EARSHOT_SIP_FRONT: 'off', EARSHOT_LOG_LEVEL: 'warn', EARSHOT_SPEECH_WORKERS: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // A killed child has signalCode set and exitCode null: only kill one still running, by PID.
  const kill = () => child.pid && child.exitCode === null && child.signalCode === null && process.kill(child.pid, 'SIGKILL');
  const killer = setTimeout(kill, 110_000);
  t.teardown(() => {
    clearTimeout(killer);
    kill();
  });
  let stderr = '';
  return new Promise((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /console at (http:\/\/[^\s]+?)\/?\n/.exec(stderr);
      if (m) resolve({ child, url: m[1], readyMs: Date.now() - t0 });
    });
    child.once('exit', (code) => reject(new Error(`serve exited early (${code}): ${stderr.slice(-500)}`)));
  });
}

const until = async (pred: () => boolean, what: string, ms = 30_000) => {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first`);
});

t.test('SIGKILL mid-call, restart: committed data intact, live call interrupted, new calls taken', { timeout: 170_000 }, async (t) => {
  const dir = t.testdir();
  const dataDir = join(dir, 'data');
  const short = conversation(dir, 12, 0);
  const long = conversation(dir, 40, 1);

  const first = await serve(t, dataDir);
  // One whole call, committed before the crash.
  const done = await runForkCall(first.url, forkStereo(short), { sampleRate: 16000, callSid: 'before-crash' });
  t.equal(done.closeCode, 1000, 'first call closed normally');
  const db = new Database(join(dataDir, 'earshot.db'), { readonly: true, fileMustExist: true });
  t.teardown(() => db.close());
  const q = <T>(sql: string, ...args: unknown[]) => db.prepare(sql).all(...args) as T[];
  await until(() => q<{ n: number }>("SELECT count(*) AS n FROM utterances u JOIN calls c ON c.id = u.call_id WHERE c.external_id = 'before-crash'")[0].n > 0 && q<{ state: string }>("SELECT state FROM calls WHERE external_id = 'before-crash'")[0]?.state === 'ended', 'first call committed with transcripts');
  const committed = q<{ id: string; n: number }>("SELECT c.id, (SELECT count(*) FROM utterances WHERE call_id = c.id) AS n FROM calls c WHERE external_id = 'before-crash'")[0];

  // A second call, live when the process dies.
  const ws = new WebSocket(`${first.url.replace('http', 'ws')}/ingest/audio-fork`, ['audio.drachtio.org'], { headers: LOAD_AUTH });
  ws.on('error', () => {});
  await new Promise((r, j) => (ws.once('open', r), ws.once('error', j)));
  ws.send(JSON.stringify({ callSid: 'live-at-crash', sampleRate: 16000, mixType: 'stereo' }));
  const pcm = forkStereo(long);
  const pump = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(pcm.subarray(0, 6400)), 100);
  t.teardown(() => clearInterval(pump));
  await until(() => q<{ state: string }>("SELECT state FROM calls WHERE external_id = 'live-at-crash'")[0]?.state === 'active', 'live call stored as active');
  await new Promise((r) => setTimeout(r, 3000));
  const exited = new Promise((r) => first.child.once('exit', r));
  process.kill(first.child.pid!, 'SIGKILL');
  await exited;
  clearInterval(pump);
  ws.terminate();

  const second = await serve(t, dataDir);
  t.comment(`restart to ready: ${second.readyMs} ms`);
  t.ok(second.readyMs < 30_000, `restarted and ready in ${second.readyMs} ms`);
  t.equal((await fetch(`${second.url}/readyz`)).status, 200, 'ready after the crash');
  const after = q<{ id: string; state: string; n: number }>("SELECT c.id, c.state, (SELECT count(*) FROM utterances WHERE call_id = c.id) AS n FROM calls c WHERE external_id = 'before-crash'")[0];
  t.same(after, { ...committed, state: 'ended' }, 'the committed call and its transcripts are intact');
  t.equal(q<{ state: string }>("SELECT state FROM calls WHERE external_id = 'live-at-crash'")[0]?.state, 'interrupted', 'the call live at the crash is marked interrupted');
  t.equal(db.pragma('integrity_check', { simple: true }), 'ok', 'database integrity ok');

  const t0 = Date.now();
  const again = runForkCall(second.url, forkStereo({ agent: short.agent.subarray(0, 16000 * 3), customer: short.customer.subarray(0, 16000 * 3) }), { sampleRate: 16000, callSid: 'after-restart' });
  await until(() => q("SELECT 1 FROM calls WHERE external_id = 'after-restart'").length === 1, 'new call accepted', 10_000);
  t.pass(`a new call was accepted ${Date.now() - t0} ms after asking`);
  t.equal((await again).closeCode, 1000);

  const exit = new Promise<number | null>((r) => second.child.once('exit', (c) => r(c)));
  second.child.kill('SIGTERM');
  t.equal(await exit, 0, 'clean shutdown after recovery');
});
