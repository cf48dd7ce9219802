// A webhook receiver that accepts the connection and never answers: the outbox gives up on that
// attempt after its timeout (5 s) and schedules a retry, while calls, recognition, analysis and
// storage carry on. Real HTTP server on 127.0.0.1 that holds every request open.
import t from 'tap';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { conversation, forkStereo } from '../../bench/load/audio.js';
import { LOAD_FORKS, runForkCall } from '../../bench/load/fork-client.js';
import { dbOf } from '../helpers/db.js';

t.test('a hanging webhook target times out; other work is unaffected', { timeout: 170_000 }, async (t) => {
  const held: ServerResponse[] = [];
  const server = createServer((_req, res) => void held.push(res)); // never answers
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.teardown(() => {
    for (const res of held) res.destroy();
    server.closeAllConnections();
    server.close();
  });
  const port = (server.address() as AddressInfo).port;

  const dir = t.testdir();
  const conv = conversation(dir, 30, 1); // variant 1: the customer asks for a supervisor (escalation alarm)
  const short = conversation(dir, 12, 0); // ends in silence, like every call here
  const config = validateConfig({ forks: LOAD_FORKS,
    dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 2 },
    webhooks: [{ url: `http://127.0.0.1:${port}/hook`, secret: 'a-webhook-secret-0123456789', minSeverity: 'info' }],
  });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const { bus, store, calls } = app.pipeline;
  const utt: number[] = []; // arrival times
  const alarms: number[] = [];
  bus.on('utterance', () => utt.push(Date.now()));
  bus.on('alarm', () => alarms.push(Date.now()));

  const pcm = forkStereo(conv);
  const first = await runForkCall(app.url, pcm, { sampleRate: 16000, callSid: 'hook-a' });
  t.equal(first.closeCode, 1000, 'call A streamed to the end');
  const wait = async (pred: () => boolean, ms: number) => {
    const end = Date.now() + ms;
    while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    return pred();
  };
  t.ok(await wait(() => alarms.length > 0, 30_000), `call A raised an alarm (${alarms.length})`);
  t.ok(await wait(() => held.length > 0, 15_000), 'the receiver got the delivery and holds it');
  const hungAt = Date.now();

  // While that delivery hangs, a second call goes through the whole pipeline.
  const before = utt.length;
  const second = await runForkCall(app.url, forkStereo(short), { sampleRate: 16000, callSid: 'hook-b' });
  t.equal(second.closeCode, 1000, 'call B streamed while the delivery hung');
  t.ok(utt.length > before && utt.slice(before).some((u) => u < hungAt + 12_000), `call B was transcribed during the hang (${utt.length - before} utterances)`);
  t.ok(await wait(() => calls.size === 0, 30_000), 'every call left the live set');
  // call.ended follows each call's recogniser drain (bounded by the registry's own 60 s timeout).
  await Promise.race([calls.idle(), new Promise((r) => setTimeout(r, 70_000).unref())]);
  store.flush();
  t.equal((dbOf(store).prepare('SELECT count(*) AS n FROM utterances').get() as { n: number }).n, utt.length, 'every utterance stored');
  const states = dbOf(store).prepare("SELECT external_id AS id, state FROM calls ORDER BY external_id").all();
  t.same(states, [{ id: 'hook-a', state: 'ended' }, { id: 'hook-b', state: 'ended' }], 'both calls stored and ended');

  // The attempt times out (5 s) and is recorded for retry; nothing was delivered.
  const rows = () => dbOf(store).prepare("SELECT attempts, last_error, delivered_at FROM outbox WHERE topic = 'webhook'").all() as { attempts: number; last_error: string | null; delivered_at: number | null }[];
  await wait(() => rows().some((r) => r.attempts > 0), 20_000);
  const out = rows();
  t.ok(out.length >= 1, `outbox rows for the alarm (${out.length})`);
  t.ok(out.some((r) => r.attempts >= 1 && /^timeout/.test(r.last_error ?? '')), 'the hung delivery is recorded as a timeout, to retry');
  t.ok(out.every((r) => r.delivered_at === null), 'nothing counted as delivered');
});
