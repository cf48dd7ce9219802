// /readyz of the whole appliance reports the semantic layer (ok / starting / degraded / off)
// without ever failing readiness for it: rules carry on. The embeddings server is rig.ts, a real
// local HTTP server we can make fail.
import path from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { validateConfig } from '../../../src/config/index.js';
import { startAppliance } from '../../../src/main.js';
import { startRig } from './rig.js';

interface Ready {
  ready: boolean;
  checks: Record<string, { ok: boolean; state?: string; detail: string }>;
}

t.test('readyz: semantic ok, then degraded when its server fails, and the appliance stays ready', { timeout: 120_000 }, async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const dir = t.testdir();
  const config = validateConfig({
    dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 1 },
    analysis: { semantic: { url: rig.url, model: 'test-model', timeoutMs: 200, budgetMs: 50 } },
  });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const get = async () => {
    const r = await fetch(`${app.url}/readyz`);
    return { status: r.status, body: (await r.json()) as Ready };
  };
  t.ok(await app.pipeline.analysis.semanticPrimed(10_000), 'examples embedded by the rig');
  let r = await get();
  t.equal(r.body.checks.semantic.state, 'ok');
  t.equal(r.body.checks.semantic.ok, true);

  rig.mode = 'error';
  const { bus } = app.pipeline;
  const got: string[][] = [];
  bus.on('utterance', (u) => got.push(u.categories));
  bus.emit('transcript', { callId: 'r1', legId: 'r1-c', role: 'customer', seq: 0, text: 'i want to speak to your supervisor right now', startMs: 0, endMs: 2000, final: true });
  await app.pipeline.analysis.idle();
  t.ok(got[0]?.includes('escalation-request'), 'the utterance is analysed with rules while the server fails');
  r = await get();
  t.equal(r.status, 200, 'still ready: rules carry on');
  t.equal(r.body.ready, true);
  t.equal(r.body.checks.semantic.state, 'degraded');
  t.match(r.body.checks.semantic.detail, /http/u);
  t.notMatch(r.body.checks.semantic.detail, /supervisor/u, 'no transcript text in readiness');
});

t.test('readyz: semantic off when disabled', { timeout: 120_000 }, async (t) => {
  const dir = t.testdir();
  const config = validateConfig({ dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 1 }, analysis: { semantic: { enabled: false } } });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const body = (await (await fetch(`${app.url}/readyz`)).json()) as Ready;
  t.equal(body.checks.semantic.state, 'off');
  t.equal(body.checks.semantic.ok, true);
});
