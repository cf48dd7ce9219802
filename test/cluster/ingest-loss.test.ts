// The calls of an ingest node that dies. A real ingest process (the built CLI, `serve --role
// ingest`) takes a sipp SIPREC call and is SIGKILLed mid-call: core (in this process, a real
// nats-server between them) sees the node leave the site and ends its call `interrupted`, reason
// `ingest-lost`, with the gap recorded and counted. A second ingest node stopped gracefully
// (SIGTERM) ends its own call (`shutdown`): core does not call that one lost.
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { parseRoles } from '../../src/cluster/config.js';
import { startNode } from '../../src/main.js';
import { freePort, runSipp } from '../fixtures/sipp/harness.js';
import { supervisorCallPcap, until as untilIn } from './site-helper.js';
import { natsServerMissing, startNats } from './nats-helper.js';
import { dbOf } from '../helpers/db.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const skip = natsServerMissing() || (existsSync(cli) ? false : 'dist/ not built (npm run build)');

const until = <T>(what: string, f: () => T | undefined | false | Promise<T | undefined | false>, ms = 60_000) => untilIn(what, f, ms);

t.test('an ingest node SIGKILLed mid-call: core ends its call interrupted (ingest-lost), the gap recorded', { skip, timeout: 180_000 }, async (t) => {
  const srv = await startNats();
  t.teardown(() => srv.stop());
  const dir = t.testdir();
  const core = await startNode(validateConfig({
    dataDir: join(dir, 'core'),
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'off' },
    cluster: { node: 'core', nats: { servers: [srv.url] } },
  }), { roles: parseRoles('core'), log: pino({ level: 'silent' }) });
  t.teardown(() => core.close());
  const store = core.appliance!.pipeline.store;
  const q = <T>(sql: string, ...args: unknown[]): T[] => {
    store.flush();
    return dbOf(store).prepare(sql).all(...args) as T[];
  };

  const procs: ChildProcess[] = [];
  t.teardown(() => {
    for (const c of procs) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
  });
  const ingest = async (name: string) => {
    const sipPort = await freePort();
    const file = join(dir, `${name}.yaml`);
    writeFileSync(file, JSON.stringify({
      dataDir: join(dir, name),
      log: { level: 'warn' },
      forks: { enabled: false },
      sip: { front: 'embedded', host: '127.0.0.1', port: sipPort },
      rtp: { host: '127.0.0.1' },
      cluster: { node: name, nats: { servers: [srv.url] } },
    }));
    const c = spawn(process.execPath, [cli, 'serve', '--config', file, '--role', 'ingest'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(c);
    const killer = setTimeout(() => c.pid && c.exitCode === null && process.kill(c.pid, 'SIGKILL'), 170_000);
    let out = '';
    const exited = new Promise<void>((r) => c.once('exit', () => (clearTimeout(killer), r())));
    await new Promise<void>((resolve, reject) => {
      const on = (d: Buffer) => {
        out = (out + d.toString()).slice(-8000);
        if (/earshot: [a-z,]+ node running/u.test(out)) resolve();
      };
      c.stdout!.on('data', on);
      c.stderr!.on('data', on);
      c.once('exit', (code) => reject(new Error(`${name} exited (${code}) before it was ready: ${out.slice(-1500)}`)));
    });
    return { c, sipPort, exited };
  };

  const { pcap } = supervisorCallPcap(dir);
  // A long call: it is still up when its ingest node goes (sipp is killed by PID at teardown).
  const call = async (port: number) => void runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcap, PAUSE: '30000' }, `127.0.0.1:${port}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  const active = (known: Set<string>) => until('a new active call at core', () => q<{ id: string }>("SELECT id FROM calls WHERE state = 'active'").find((c) => !known.has(c.id))?.id);
  const lostTotal = async () => (await core.appliance!.pipeline.metrics.registry.getSingleMetric('earshot_cluster_calls_ingest_lost_total')!.get()).values[0]?.value ?? 0;

  // 1. SIGKILL: nothing on the ingest node ends the call; core must.
  const a = await ingest('ingest-a');
  await call(a.sipPort);
  const c1 = await active(new Set());
  await until('the call to have legs at core', () => q<{ n: number }>('SELECT count(*) AS n FROM legs WHERE call_id = ?', c1)[0].n === 2);
  t.equal(await lostTotal(), 0, 'nothing lost while the node lives');
  process.kill(a.c.pid!, 'SIGKILL');
  await a.exited;
  const row = await until('the call to end at core', () => q<{ state: string; end_reason: string | null }>("SELECT state, end_reason FROM calls WHERE id = ? AND state != 'active'", c1)[0]);
  t.same(row, { state: 'interrupted', end_reason: 'ingest-lost' }, 'ended interrupted, reason ingest-lost');
  const ev = q<{ data: string }>("SELECT data FROM call_events WHERE call_id = ? AND kind = 'ingest-lost'", c1);
  t.equal(ev.length, 1, 'the loss recorded on the call');
  const gap = JSON.parse(ev[0]?.data ?? '{}') as { node?: string; gapFromMs?: number; gapToMs?: number; gapMs?: number };
  t.equal(gap.node, 'ingest-a', 'naming the node');
  t.ok(typeof gap.gapFromMs === 'number' && typeof gap.gapToMs === 'number' && gap.gapToMs > gap.gapFromMs, `the gap, call time ${gap.gapFromMs}-${gap.gapToMs} ms`);
  t.ok((gap.gapMs ?? 0) > 0, 'and its length');
  t.equal(await lostTotal(), 1, 'earshot_cluster_calls_ingest_lost_total counts it');

  // 2. SIGTERM: the node ends its own call before it leaves; core does not call it lost.
  const b = await ingest('ingest-b');
  await call(b.sipPort);
  const c2 = await active(new Set([c1]));
  await until('the second call to have legs at core', () => q<{ n: number }>('SELECT count(*) AS n FROM legs WHERE call_id = ?', c2)[0].n === 2);
  process.kill(b.c.pid!, 'SIGTERM');
  await b.exited;
  const row2 = await until('the second call to end at core', () => q<{ state: string; end_reason: string | null }>("SELECT state, end_reason FROM calls WHERE id = ? AND state != 'active'", c2)[0]);
  t.same(row2, { state: 'interrupted', end_reason: 'shutdown' }, 'ended by its own node (shutdown)');
  // Its call.ended was consumed, so core's watch has dropped the call: had it judged the node lost
  // first (membership withdrawn before the events were read), the event and the count would show it.
  t.equal(await lostTotal(), 1, 'a graceful stop is not a lost node');
  t.equal(q("SELECT 1 FROM call_events WHERE call_id = ? AND kind = 'ingest-lost'", c2).length, 0, 'no ingest-lost event on it');
});
