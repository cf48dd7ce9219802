// `earshot calls show` as an operator runs it (the built CLI) on a database a real SIPREC ingest
// wrote while sipp played the SRC: the SIP history, per-leg media figures and the end reason by call
// id and by SIP Call-ID; a rejected INVITE by its Call-ID; an unknown id is a clear error.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import t from 'tap';
import { PipelineBus } from '../../src/call/events.js';
import { CallRegistry } from '../../src/call/registry.js';
import { validateConfig } from '../../src/config/index.js';
import { createSiprecIngest } from '../../src/ingest/siprec/index.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { connectStore, openStore } from '../../src/store/index.js';
import { freePort, runSipp } from '../fixtures/sipp/harness.js';
import { waitFor } from '../ingest/siprec/helpers.js';
import { dbOf } from '../helpers/db.js';

const cli = fileURLToPath(new URL('../../dist/src/cli/index.js', import.meta.url));
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { env: { ...process.env, EARSHOT_LOG_LEVEL: 'warn' }, encoding: 'utf8', timeout: 30_000 });

t.before(() => {
  if (!existsSync(cli)) throw new Error(`${cli} missing: run \`npm run build\` first (scripts/test.sh does)`);
});

t.test('calls show: SIP history, legs, end reason; rejected INVITE; unknown id', async (t) => {
  const dir = t.testdir();
  const data = join(dir, 'data');
  mkdirSync(data);
  const config = join(dir, 'earshot.yaml');
  writeFileSync(config, `dataDir: ${data}\n`);
  const store = openStore({ path: join(data, 'earshot.db') });
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const cfg = validateConfig({ sip: { host: '127.0.0.1', port: 0 }, rtp: { host: '127.0.0.1', portMin: base, portMax: base + 200 } });
  const bus = new PipelineBus();
  const off = connectStore(store, bus);
  const ingest = await createSiprecIngest({ config: cfg, log: pino({ level: 'silent' }), bus, calls: new CallRegistry(bus, 5), metrics: createMetrics({ defaults: false }), store });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await ingest.close();
    off();
    store.close();
  };
  t.teardown(close);
  const sipp = async (scenario: string, subs: Record<string, string> = {}) => runSipp(t, dir, scenario, subs, `127.0.0.1:${ingest.address().udp}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  t.equal((await sipp('uac-siprec-sip-log-expect-200.xml', { PAUSE: '200' })).code, 0);
  t.equal((await sipp('uac-siprec-require-expect-420.xml', { PAUSE: '0' })).code, 0);
  t.ok(await waitFor(() => (dbOf(store).prepare('SELECT COUNT(*) FROM sip_log').pluck().get() as number) >= 9));
  await close(); // flushes the store and the SIP log, as a stopped serve would
  const check = openStore({ path: join(data, 'earshot.db') });
  const call = dbOf(check).prepare("SELECT id, external_id FROM calls WHERE ingest = 'siprec'").get() as { id: string; external_id: string };
  const rejected = dbOf(check).prepare('SELECT sip_call_id FROM sip_log WHERE status = 420').pluck().get() as string;
  check.close();

  const byId = run(['calls', 'show', call.id, '--config', config]);
  t.equal(byId.status, 0, byId.stderr);
  const out = byId.stdout;
  t.match(out, new RegExp(`^call ${call.id}  siprec from 127\\.0\\.0\\.1  ended`, 'm'));
  t.match(out, /end reason\s+bye/);
  t.match(out, /legs \(2\)/);
  t.match(out, /roles by\s+aor\n/, 'the AOR pattern split the participants (no fallback note)');
  t.match(out, /^\s+1\s+agent\s+PCMU\s+packets 0, lost 0.*source as SDP \(strict\)/m, 'leg 1: the agent, media figures and latching');
  t.match(out, /^\s+2\s+customer\s+PCMU/m);
  t.match(out, /SIP \(6\)/);
  const sipLines = out.split('\n').filter((l) => /^\s+\d\d:\d\d:\d\d\.\d{3}\s/.test(l));
  t.same(sipLines.map((l) => l.trim().split(/\s+/).slice(1, 4).join(' ')), ['in INVITE <-', 'out 100 INVITE', 'out 200 INVITE', 'in ACK <-', 'in BYE <-', 'out 200 BYE'].map((s) => s), 'the whole dialog in order');
  for (const p of ['+15550001111', '5550001111', 'Jane', 'Agent Smith', '2001@']) t.notOk(out.includes(p), `no ${p}`);

  const bySip = run(['calls', 'show', call.external_id, '--config', config]);
  t.equal(bySip.status, 0, bySip.stderr);
  t.equal(bySip.stdout, out, 'the SIP Call-ID finds the same call');

  const rej = run(['calls', 'show', rejected, '--config', config]);
  t.equal(rej.status, 0, rej.stderr);
  t.match(rej.stdout, /no call recorded for SIP Call-ID/);
  t.match(rej.stdout, /out 420 INVITE .*Bad Extension; bad-extension/);

  const json = run(['calls', 'show', call.id, '--json', '--config', config]);
  const parsed = JSON.parse(json.stdout) as { call: { endReason: string }; sip: unknown[] };
  t.equal(parsed.call.endReason, 'bye');
  t.equal(parsed.sip.length, 6);

  const none = run(['calls', 'show', 'no-such-call', '--config', config]);
  t.equal(none.status, 1);
  t.match(none.stderr, /no call and no SIP log for no-such-call \(EARSHOT_ERR_NOT_FOUND\)/);
});
