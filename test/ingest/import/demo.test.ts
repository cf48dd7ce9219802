import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { bundledDemoFile, startDemoLoop } from '../../../src/ingest/import/demo.js';
import { until } from '../fork/rig.js';
import { pcm, rig, wav } from './rig.js';

// The demo loop replays a recording at real time as fresh calls. The speech port is a fake.

t.test('the bundled demo recording is found', async (t) => {
  t.match(bundledDemoFile(), /assets\/demo\/demo-call\.wav$/);
});

t.test('replays the file as a new call each time, at real time; stop aborts a replay', async (t) => {
  const file = join(t.testdir(), 'short.wav');
  writeFileSync(file, wav({ channels: 2, rate: 8000, data: pcm(2, 2400, () => 0) })); // 0.3 s
  const r = rig();
  const loop = startDemoLoop(r.deps, { enabled: true, file, intervalSeconds: 10 });
  await until(() => r.order.includes('ended:ended'), 'first replay to end');
  t.same(r.order.slice(0, 2), ['started', 'legDone:customer']);
  t.equal(r.imports.rows.size, 0, 'replays do not touch the injected ledger');
  await loop.stop();

  const long = join(t.testdir(), 'long.wav');
  writeFileSync(long, wav({ channels: 1, rate: 8000, data: pcm(1, 8000 * 20, () => 0) })); // 20 s
  const r2 = rig();
  const loop2 = startDemoLoop(r2.deps, { enabled: true, file: long, intervalSeconds: 10 });
  await until(() => r2.audio.size === 1, 'replay started');
  await loop2.stop();
  t.same(r2.order, ['started', 'ended:interrupted']);
  const frames = [...r2.audio.values()][0].length;
  t.ok(frames < 100, `paced at real time: ${frames} frames emitted before stop, not 1000`);
});

t.test('a small contact centre: several calls at once, each with its own agent and queue', async (t) => {
  const long = join(t.testdir(), 'long.wav');
  writeFileSync(long, wav({ channels: 2, rate: 8000, data: pcm(2, 8000 * 20, () => 0) })); // 20 s
  const r = rig();
  const started: { agentId?: string; queue?: string; customerHash?: string }[] = [];
  r.bus.on('call.started', (c) => started.push(c));
  const loop = startDemoLoop(r.deps, { enabled: true, file: long, intervalSeconds: 10, concurrentCalls: 2 });
  await until(() => r.calls.list().length === 2, 'two demo calls live at once');
  await loop.stop();
  t.equal(started.length, 2);
  t.not(started[0].agentId, started[1].agentId, 'different agents');
  t.not(started[0].queue, started[1].queue, 'different queues');
  t.ok(started.every((c) => c.agentId?.startsWith('agent-') && c.queue));
});
