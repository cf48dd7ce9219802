// Scaled-down soak on real parts: the whole appliance in-process (embedded SIP, fork websockets,
// 2 pocketsphinx workers, SQLite in a temp dir), 10 concurrent calls for ~60 s — 5 SIPREC calls
// from sipp replaying two-leg PCMU pcaps of flite speech (two of them hold and resume with
// re-INVITEs) and 5 mod_audio_fork websocket calls of L16 stereo, plus 2 SIPREC INVITEs the SRC
// CANCELs (one at once: 487 and no row; one after our answer: an ordinary short call). Nothing may
// be lost: every call started is stored, ended, with both legs; every final utterance the pipeline
// emitted is a row; no row exists for a call that was not started.
// The long version is `node dist/bench/soak.js` (bench/soak.ts).
import t from 'tap';
import path from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { freePort } from '../fixtures/sipp/harness.js';
import { conversation, forkStereo, toUlaw8k } from '../../bench/load/audio.js';
import { killAll, runSiprecCall, writeTwoLegPcap } from '../../bench/load/sipp.js';
import { runCancelCall } from '../../bench/load/sipp-cancel.js';
import { LOAD_FORKS, runForkCall } from '../../bench/load/fork-client.js';
import { dbOf } from '../helpers/db.js';

const CALL_S = 55;
const SIPREC_CALLS = 5;
const FORK_CALLS = 5;

const gauge = async (reg: import('prom-client').Registry, name: string) => (await reg.getSingleMetric(name)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;

t.test('10 concurrent calls for a minute: nothing lost', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir();
  const convs = [0, 1].map((v) => conversation(dir, CALL_S, v));
  const pcaps = convs.map((c, i) => {
    const f = path.join(dir, `conv${i}.pcap`);
    writeTwoLegPcap(f, toUlaw8k(c.agent), toUlaw8k(c.customer));
    return f;
  });
  const forkPcm = convs.map((c) => forkStereo(c));

  const sipPort = await freePort();
  const rtpBase = 30000 + 2 * Math.floor(Math.random() * 10000);
  const config = validateConfig({ forks: LOAD_FORKS, analysis: { semantic: { enabled: false } }, // the soak measures ingest and speech; the semantic layer has its own tests and competes for the 2 cores
   
    dataDir: path.join(dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    sip: { host: '127.0.0.1', port: sipPort },
    rtp: { host: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 400 },
    speech: { workers: 2 },
  });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(async () => {
    killAll();
    await app.close();
  });
  const { bus, store, metrics, calls, speech } = app.pipeline;

  const started = new Map<string, string>(); // callId → ingest
  let utterances = 0;
  let behindEvents = 0;
  let listenerErrors = 0;
  bus.on('call.started', (c) => started.set(c.callId, c.ingest));
  bus.on('utterance', () => utterances++);
  bus.on('call.event', (e) => e.kind === 'behind-realtime' && behindEvents++);
  const onErr = bus.onListenerError;
  bus.onListenerError = (ev, err) => {
    listenerErrors++;
    onErr(ev, err);
  };
  // The gauge goes up and down: sample it so a short episode is not missed.
  let behindSeen = 0;
  const sampler = setInterval(() => void gauge(metrics.registry, 'earshot_legs_behind_realtime').then((v) => (behindSeen = Math.max(behindSeen, v))), 500);
  t.teardown(() => clearInterval(sampler));

  const target = `127.0.0.1:${app.sip!.udp}`;
  const sipp = Array.from({ length: SIPREC_CALLS }, async (_, i) => {
    await new Promise((r) => setTimeout(r, i * 400));
    return runSiprecCall(dir, `call${i}`, target, { sip: await freePort(), media: await freePort(4) }, { pcap: pcaps[i % 2], durationMs: CALL_S * 1000 + 1500, holdResume: i < 2 });
  });
  const forks = Array.from({ length: FORK_CALLS }, async (_, i) => {
    await new Promise((r) => setTimeout(r, 200 + i * 400));
    return runForkCall(app.url, forkPcm[(i + 1) % 2], { sampleRate: 16000, callSid: `soak-fork-${i}` });
  });
  const cancels = [{ cancelAfterMs: 0, opus: true }, { cancelAfterMs: 1500 }].map(async (plan, i) => {
    await new Promise((r) => setTimeout(r, 3000 + i * 5000));
    return runCancelCall(dir, `cancel${i}`, target, { sip: await freePort(), media: await freePort(4) }, { ...plan, holdMs: 2000 });
  });
  const sippResults = await Promise.all(sipp);
  const forkResults = await Promise.all(forks);
  const cancelResults = await Promise.all(cancels);
  cancelResults.forEach((r, i) => t.equal(r.code, 0, `sipp CANCEL call ${i} passed (${r.outcome})`, { stderr: r.stderr.slice(-400) }));
  t.equal(cancelResults[1].outcome, 'answered-200', 'a CANCEL crossing our answer leaves an answered call');
  const answeredCancels = cancelResults.filter((r) => r.outcome === 'answered-200').length;
  sippResults.forEach((r, i) => t.equal(r.code, 0, `sipp call ${i} got every expected response`, { stderr: r.stderr.slice(-400) }));
  forkResults.forEach((r, i) => t.ok(r.sentMs >= CALL_S * 1000, `fork call ${i} streamed ${r.sentMs} ms`));

  // Drain: calls end on BYE / socket close, then the recogniser finishes each leg's backlog.
  const deadline = Date.now() + 60_000;
  while (calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.equal(calls.size, 0, 'every call left the live set');
  // call.ended follows each call's recogniser drain: wait for all of them (bounded).
  // unref: a pending bound must not keep the process alive once the calls are idle (it did, for
  // the rest of the deadline, which looked like a slow shutdown).
  await Promise.race([calls.idle(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
  while (speech.pendingSeconds() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  store.flush();

  t.equal(started.size, SIPREC_CALLS + FORK_CALLS + answeredCancels, 'ten calls started, plus the answered CANCEL');
  t.same([...started.values()].sort(), [...Array(FORK_CALLS).fill('audio-fork'), ...Array(SIPREC_CALLS + answeredCancels).fill('siprec')], 'five of each ingest');
  const rowCount = (dbOf(store).prepare('SELECT count(*) AS n FROM calls').get() as { n: number }).n;
  t.equal(rowCount, started.size, 'a call CANCELled before the answer left no row');
  for (const [callId, ingest] of started) {
    const row = store.getCall(callId);
    t.equal(row?.state, 'ended', `${ingest} call stored and ended`);
    t.same(row?.legs.map((l) => l.role).sort(), ['agent', 'customer'], `${ingest} call stored with both legs`);
  }
  const stored = (dbOf(store).prepare('SELECT count(*) AS n FROM utterances').get() as { n: number }).n;
  const planned = convs.reduce((a, c) => a + c.turns.agent + c.turns.customer, 0) * 5; // 2 conversations × 5 calls
  t.ok(utterances >= planned / 2, `utterances emitted: ${utterances} (≈${planned} sentences spoken)`);
  t.equal(stored, utterances, 'every utterance emitted is stored');
  const perCall = dbOf(store).prepare('SELECT call_id, count(*) AS n FROM utterances GROUP BY call_id').all() as { n: number }[];
  t.equal(perCall.length, 10, 'every call with speech has transcripts');

  const behindRows = (dbOf(store).prepare("SELECT count(*) AS n FROM call_events WHERE kind = 'behind-realtime'").get() as { n: number }).n;
  if (behindSeen > 0) t.ok(behindEvents > 0 && behindRows > 0, `legs fell behind (gauge ${behindSeen}): ${behindEvents} events, ${behindRows} stored`);
  else t.equal(behindEvents, 0, 'no leg behind real time, and no event claims one');
  const shed = await gauge(metrics.registry, 'earshot_speech_shed_seconds_total');
  const shedRows = (dbOf(store).prepare("SELECT count(*) AS n FROM call_events WHERE kind = 'shed'").get() as { n: number }).n;
  t.ok(shed === 0 || shedRows > 0, `shed audio (${shed.toFixed(1)} s) is reported by call events (${shedRows})`);
  t.equal(listenerErrors, 0, 'no pipeline listener threw');
  t.comment(`soak: ${utterances} utterances, behind gauge max ${behindSeen}, shed ${shed.toFixed(1)} s, rss ${Math.round(process.memoryUsage().rss / 2 ** 20)} MB`);
});
