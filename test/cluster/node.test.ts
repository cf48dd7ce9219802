// Two roles of one site in this process over a real nats-server: a core+ingest node (console,
// SIPREC front) and a speech node. Membership reaches the console; SIP OPTIONS answers 503 while
// the site has no speech capacity and 200 once a speech node has joined.
import t from 'tap';
import { connect } from 'nats';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { parseRoles } from '../../src/cluster/config.js';
import { startNode } from '../../src/main.js';
import { createUser } from '../../src/web/index.js';
import { http, sessionOf } from '../web/helpers/http.js';
import { request, UdpClient } from '../ingest/sip/client.js';
import { natsServerMissing, startNats } from './nats-helper.js';
import { dbOf } from '../helpers/db.js';

const until = async (what: string, f: () => boolean | Promise<boolean>, ms = 60_000) => {
  const end = Date.now() + ms; // a bound against hanging, not an assertion on speed
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

t.test('core+ingest and speech nodes: membership, /api/v1/cluster/nodes, OPTIONS 503 at capacity', { skip: natsServerMissing(), timeout: 120_000 }, async (t) => {
  const srv = await startNats();
  t.teardown(() => srv.stop());
  const dir = t.testdir();
  const base = (name: string, extra: Record<string, unknown> = {}) => validateConfig({
    dataDir: `${dir}/${name}`,
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    sip: { host: '127.0.0.1', port: 0 },
    rtp: { host: '127.0.0.1' },
    speech: { workers: 1 },
    cluster: { node: name, speechLegs: 2, nats: { servers: [srv.url] } },
    ...extra,
  });
  const log = pino({ level: 'silent' });
  const core = await startNode(base('core-1'), { roles: parseRoles('core,ingest'), log });
  t.teardown(() => core.close());
  t.ok(core.appliance && core.sip, 'core runs the console and the SIP front');
  const a = core.appliance!;
  createUser(dbOf(a.pipeline.store), { username: 'admin', role: 'admin', password: 'correct horse battery' });
  const s = sessionOf(await http(a.url, '/api/v1/auth/login', { body: { username: 'admin', password: 'correct horse battery' } }));
  const nodes = async () => (await http(a.url, '/api/v1/cluster/nodes', { headers: { cookie: s.cookie } })).json() as { self: string; nodes: { node: string; roles: string[]; capacity: number; load: number }[]; speech: { capacity: number; nodes: number } };
  t.equal((await http(a.url, '/api/v1/cluster/nodes')).status, 401, 'behind the session guard');

  const c = await UdpClient.open(t, core.sip!.udp);
  const options = async () => (await c.request(request({ method: 'OPTIONS', callId: `opt-${Math.random()}`, port: core.sip!.udp, localPort: c.localPort, contentType: '', body: '' }), '1 OPTIONS'));
  const r503 = await options();
  t.equal(r503?.status, 503, 'no speech node: the SBC is told to use another SRS');
  t.equal(r503?.headers['retry-after'], '30');
  t.equal((await nodes()).speech.nodes, 0);
  t.equal((await http(a.url, '/readyz')).status, 503, 'not ready without speech capacity');

  const speech = await startNode(base('speech-1'), { roles: parseRoles('speech'), log });
  t.teardown(() => speech.close());
  t.notOk(speech.appliance, 'a speech node runs no console');
  await until('both nodes to be seen', async () => { const x = await nodes(); return x.speech.nodes === 1 && x.nodes.length === 2; });
  const n = await nodes();
  t.equal(n.self, 'core-1');
  t.same(n.nodes.map((x) => [x.node, x.roles.sort(), x.capacity]), [['core-1', ['core', 'ingest'], 0], ['speech-1', ['speech'], 2]]);
  t.equal((await options())?.status, 200, 'capacity again: OPTIONS 200');
  const metrics = await http(a.url, '/metrics');
  t.match(metrics.body, /earshot_cluster_node_capacity\{node="speech-1"\} 2/u, 'per-node metrics on core');

  // The speech node leaves: its announcement is withdrawn, the site is full again.
  await speech.close();
  await until('the speech node to be gone', async () => (await nodes()).speech.nodes === 0);
  t.equal((await options())?.status, 503);
  // Membership is in the site's KV bucket, readable by any client with the right permissions.
  const nc = await connect({ servers: srv.url });
  const kv = await nc.jetstream().views.kv('earshot-site-1-nodes');
  t.ok(await kv.get('core-1'), 'core announces itself too');
  await nc.close();
});
