// The cluster bus secured as docs/cluster.md tells an operator: nats-server started from
// config/examples/nats-server.conf (only its paths and listen address rewritten to a temp dir), with a
// CA and server certificate made here by openssl, TLS required, one user per role allowed only its
// subjects. A sipp SIPREC call through ingest, speech and core processes (the built CLI) over TLS
// is stored at core with both legs recognised; a wrong CA, a wrong password and a plain client are
// refused; a publish the role's permissions deny is dropped, counted and logged once, not retried.
import t from 'tap';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { connectSite, natsOptions } from '../../src/cluster/config.js';
import { natsBus } from '../../src/cluster/bus.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { freePort as freeUdp, runSipp } from '../fixtures/sipp/harness.js';
import { supervisorCallPcap, until } from './site-helper.js';
import { freePort, natsServerMissing, startNats } from './nats-helper.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const example = fileURLToPath(new URL('../../config/examples/nats-server.conf', import.meta.url));
const skip = natsServerMissing() || (existsSync(cli) ? false : 'dist/ not built (npm run build)') || (spawnSync('openssl', ['version']).status === 0 ? false : 'openssl missing');

const openssl = (dir: string, ...args: string[]) => {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
};
/** A CA and a certificate it signs for 127.0.0.1 (server.pem/key), in `dir` under `name`. */
const makeCa = (dir: string, name: string) => {
  openssl(dir, 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '1', '-subj', `/CN=${name} test CA`);
};

t.test('NATS with TLS and a user per role: a SIPREC call across ingest, speech and core processes; refusals', { skip, timeout: 300_000 }, async (t) => {
  const dir = t.testdir();
  makeCa(dir, 'site');
  makeCa(dir, 'other');
  openssl(dir, 'req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(dir, 'x509', '-req', '-in', 'server.csr', '-CA', 'site-ca.pem', '-CAkey', 'site-ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'san.ext');

  const port = await freePort();
  const conf = readFileSync(example, 'utf8')
    .replaceAll('/etc/nats/', `${dir}/`)
    .replaceAll('/var/lib/nats/', `${dir}/`)
    .replace('listen: 0.0.0.0:4222', `listen: 127.0.0.1:${port}`);
  t.not(conf, readFileSync(example, 'utf8'), 'the example was rewritten');
  const confFile = join(dir, 'nats-server.conf');
  writeFileSync(confFile, conf);
  const pass = { ingest: 'ingest-pass-1', speech: 'speech-pass-2', core: 'core-pass-3' };
  const env = { EARSHOT_NATS_INGEST_PASSWORD: pass.ingest, EARSHOT_NATS_SPEECH_PASSWORD: pass.speech, EARSHOT_NATS_CORE_PASSWORD: pass.core };
  const check = spawnSync('nats-server', ['-t', '-c', confFile], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 30_000 });
  t.equal(check.status, 0, `nats-server -t accepts the example: ${check.stderr}${check.stdout}`);
  const srv = await startNats({ port, conf: confFile, env });
  t.teardown(() => srv.stop());
  for (const [role, p] of Object.entries(pass)) writeFileSync(join(dir, `${role}.pass`), `${p}\n`, { mode: 0o600 });
  const nats = (role: string, o: { ca?: string; passwordFile?: string } = {}) => ({
    servers: [`tls://127.0.0.1:${port}`],
    tls: { ca: join(dir, o.ca ?? 'site-ca.pem') },
    user: role,
    passwordFile: join(dir, o.passwordFile ?? `${role}.pass`),
  });
  const cfg = (role: string, n: Record<string, unknown> = nats(role)) => validateConfig({ dataDir: join(dir, `d-${role}`), log: { level: 'silent' }, cluster: { node: `${role}-1`, nats: n } });

  await t.test('refusals', async (t) => {
    await t.rejects(connectSite(natsOptions(cfg('core', nats('core', { ca: 'other-ca.pem' })), 'x')), { code: 'EARSHOT_ERR_CLUSTER_TLS' }, 'a CA that did not sign the server certificate');
    writeFileSync(join(dir, 'wrong.pass'), 'not-the-password\n');
    await t.rejects(connectSite(natsOptions(cfg('core', nats('core', { passwordFile: 'wrong.pass' })), 'x')), { code: 'EARSHOT_ERR_CLUSTER_AUTH' }, 'a wrong password');
    await t.rejects(connectSite(natsOptions(cfg('core', nats('speech', { passwordFile: 'core.pass' })), 'x')), { code: 'EARSHOT_ERR_CLUSTER_AUTH' }, "another role's password");
    // A client that talks plain NATS (no TLS handshake) gets nothing but a refusal.
    const said = await new Promise<string>((resolve) => {
      const s = tcpConnect(port, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => (s.destroy(), resolve(got)), 10_000);
      s.on('data', (d: Buffer) => {
        got += d.toString('latin1');
        if (got.includes('INFO')) s.write(`CONNECT {"verbose":false,"user":"core","pass":"${pass.core}","tls_required":false}\r\nPUB earshot.site-1.ev.call.ended 2\r\n{}\r\nPING\r\n`);
      });
      s.on('error', () => {});
      s.on('close', () => (clearTimeout(timer), resolve(got)));
    });
    t.match(said, /"tls_required":true/u, 'the server announces TLS as required');
    t.notMatch(said, /PONG/u, 'a plain client is never served');
  });

  await t.test('a publish the role may not make: dropped, counted, logged once, not retried', async (t) => {
    const nc = await connectSite(natsOptions(cfg('speech'), 'speech-x'));
    t.teardown(() => nc.close());
    const metrics = createMetrics({ defaults: false });
    const lines: { code?: string; subject?: string }[] = [];
    const plog = pino({ level: 'error' }, { write: (l: string) => void lines.push(JSON.parse(l) as { code?: string }) });
    const bus = await natsBus(nc, { site: 'site-1', node: 'speech-x', log: plog, metrics });
    // A speech node's user may publish transcripts, never call lifecycle.
    bus.publish('call.ended', { callId: 'c1', state: 'ended', endedAt: 0 } as never);
    bus.publish('call.ended', { callId: 'c2', state: 'ended', endedAt: 0 } as never);
    bus.publish('transcript', { callId: 'c1', legId: 'l1', seq: 1 } as never);
    await bus.flush(); // resolves: a denied publish is not retried for ever
    const v = (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.find((x) => x.labels.parser === 'cluster' && x.labels.reason === 'permission-denied');
    t.equal(v?.value, 2, 'both denied events counted');
    const denied = lines.filter((l) => l.code === 'EARSHOT_ERR_CLUSTER_DENIED');
    t.equal(denied.length, 1, 'logged once for the subject');
    t.equal(denied[0]?.subject, 'earshot.site-1.ev.call.ended', 'naming the subject');
    t.notOk(lines.some((l) => l.code === 'EARSHOT_ERR_CLUSTER_BUS'), 'nothing else failed');
    const info = await (await nc.jetstreamManager()).streams.info('earshot-site-1-events');
    t.equal(info.state.messages, 1, 'the allowed transcript was stored, the denied events were not');
    await bus.close();
  });

  await t.test('sipp -> ingest -> speech -> core processes over TLS, each as its own NATS user', async (t) => {
    const sipPort = await freeUdp();
    const procs: ChildProcess[] = [];
    const logs: Record<string, string> = {};
    t.teardown(() => {
      for (const c of procs) if (c.pid && c.exitCode === null && c.signalCode === null) process.kill(c.pid, 'SIGKILL');
      if (!t.passing()) for (const [n, l] of Object.entries(logs)) t.comment(`${n}: ${l.slice(-1500)}`);
    });
    const start = (role: string, extra: Record<string, unknown>) => {
      const file = join(dir, `${role}.yaml`);
      writeFileSync(file, JSON.stringify({
        dataDir: join(dir, role),
        log: { level: 'warn' },
        forks: { enabled: false },
        speech: { workers: 1 },
        http: { host: '127.0.0.1', port: 0 },
        cluster: { node: role, leaseSeconds: 1.5, nats: nats(role) },
        ...extra,
      }));
      const c = spawn(process.execPath, [cli, 'serve', '--config', file, '--role', role], { stdio: ['ignore', 'pipe', 'pipe'] });
      procs.push(c);
      logs[role] = '';
      const killer = setTimeout(() => c.pid && c.exitCode === null && process.kill(c.pid, 'SIGKILL'), 280_000);
      c.once('exit', () => clearTimeout(killer));
      return new Promise<void>((resolve, reject) => {
        const on = (d: Buffer) => {
          logs[role] = (logs[role] + d.toString()).slice(-8000);
          if (/earshot: (console at|[a-z,]+ node running)/u.test(logs[role])) resolve();
        };
        c.stdout!.on('data', on);
        c.stderr!.on('data', on);
        c.once('exit', (code) => reject(new Error(`${role} exited (${code}) before it was ready: ${logs[role].slice(-1500)}`)));
      });
    };
    await Promise.all([
      start('core', { sip: { front: 'off' } }),
      start('speech', { sip: { front: 'off' } }),
      start('ingest', { sip: { front: 'embedded', host: '127.0.0.1', port: sipPort }, rtp: { host: '127.0.0.1' } }),
    ]);
    const { pcap, durMs } = supervisorCallPcap(dir);
    // OPTIONS answers 200 only once the speech node is seen; the INVITE is taken anyway (legs wait).
    const run = await runSipp(t, dir, 'uac-siprec-two-leg-expect-200.xml', { PCAP: pcap, PAUSE: String(durMs) }, `127.0.0.1:${sipPort}`, ['-p', String(await freeUdp()), '-mp', String(await freeUdp(4))]);
    t.equal(run.code, 0, `sipp got 200 to INVITE and BYE: ${run.stderr.slice(-300)}`);
    const q = <T>(sql: string, ...args: unknown[]): T[] => {
      if (!existsSync(join(dir, 'core', 'earshot.db'))) return [];
      const db = new Database(join(dir, 'core', 'earshot.db'), { readonly: true, fileMustExist: true });
      try {
        return db.prepare(sql).all(...args) as T[];
      } finally {
        db.close();
      }
    };
    const [c] = await until('the call stored as ended at core', () => {
      const rows = q<{ id: string; state: string }>("SELECT id, state FROM calls WHERE state != 'active'");
      return rows.length > 0 && rows;
    });
    t.equal(c.state, 'ended', 'stored as ended');
    const text = await until('both legs recognised', () => {
      const rows = q<{ role: string; text: string }>('SELECT role, text FROM utterances WHERE call_id = ?', c.id);
      const by = (r: string) => rows.filter((x) => x.role === r).map((x) => x.text).join(' ');
      return /supervisor/u.test(by('customer')) && /thank/u.test(by('agent')) && { agent: by('agent'), customer: by('customer') };
    });
    t.pass(`agent "${text.agent}" | customer "${text.customer}"`);
    t.notMatch(logs.core + logs.speech + logs.ingest, /EARSHOT_ERR_CLUSTER_DENIED/u, 'no role needed a subject its user lacks');
  });
});
