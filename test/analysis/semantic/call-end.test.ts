// A call's end waits for its last utterances' semantic analysis (bounded by budgetMs), so the
// stored summary — KPIs, QA, how the call ended — sees them. The server is rig.ts (a real local
// HTTP server) answering slower than nothing but within the budget.
import path from 'node:path';
import t from 'tap';
import { pino } from 'pino';
import { validateConfig } from '../../../src/config/index.js';
import { startAppliance } from '../../../src/main.js';
import { startRig } from './rig.js';

t.test('call.ended comes after the utterance that waited for its embedding', { timeout: 120_000 }, async (t) => {
  const rig = await startRig();
  t.teardown(() => rig.close());
  const dir = t.testdir();
  const config = validateConfig({
    dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 1 },
    analysis: { semantic: { url: rig.url, model: 'test-model', timeoutMs: 5000, budgetMs: 3000 } },
  });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  t.ok(await app.pipeline.analysis.semanticPrimed(10_000));
  const { bus, calls, store } = app.pipeline;
  const order: string[] = [];
  bus.on('utterance', (u) => order.push(`utterance:${u.seq}`));
  bus.on('call.ended', () => order.push('ended'));
  const call = calls.open({ ingest: 'import', externalId: 'semantic-end-1' });
  const leg = calls.addLeg(call.info.callId, { role: 'customer', label: 'customer' });
  rig.delayMs = 300;
  bus.emit('transcript', { callId: call.info.callId, legId: leg.legId, role: 'customer', seq: 0, text: 'i want to speak to your supervisor', startMs: 0, endMs: 2000, final: true });
  const ended = new Promise<void>((r) => bus.on('call.ended', () => r()));
  calls.close(call.info.callId);
  await ended;
  await calls.idle();
  t.same(order, ['utterance:0', 'ended'], 'the end waited for the embedding (300 ms, budget 3000)');
  store.flush();
  const row = store.getCall(call.info.callId);
  t.equal(row?.state, 'ended');
  t.ok(Array.isArray((row?.summary as { qa?: unknown[] } | undefined)?.qa), 'the stored summary has the QA result computed at the end');
});
