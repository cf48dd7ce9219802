// Soak / load run of the whole appliance in this process: N concurrent SIPREC calls from sipp
// (two PCMU legs of recorded flite speech and silence, random 30–90 s durations, ~30% with a
// hold/resume re-INVITE pair, ~10% CANCELled before the answer) plus F concurrent mod_audio_fork
// websocket calls, for M minutes.
// Reports calls and utterances in vs stored, RSS/heap slope, event-loop delay p99 and legs
// behind real time.
//   node dist/bench/soak.js --calls 4 --forks 2 --minutes 3 [--workers 2] [--cancels 0.1]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { validateConfig } from '../src/config/index.js';
import { startAppliance } from '../src/main.js';
import { freePort } from '../test/fixtures/sipp/harness.js';
import { conversation, forkStereo, toUlaw8k } from './load/audio.js';
import { LOAD_FORKS, runForkCall } from './load/fork-client.js';
import { killAll, runSiprecCall, writeTwoLegPcap } from './load/sipp.js';
import { runCancelCall } from './load/sipp-cancel.js';
import { startSampler } from './load/stats.js';
import { connectionOf } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '4' },
    forks: { type: 'string', default: '' },
    minutes: { type: 'string', default: '2' },
    workers: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    /** Share of SIPREC calls the SRC CANCELs before the answer. */
    cancels: { type: 'string', default: '0.1' },
  },
});
const N = Number(values.calls);
const F = values.forks === '' ? Math.floor(N / 2) : Number(values.forks);
const MINUTES = Number(values.minutes);
const CANCEL_SHARE = Number(values.cancels);
if (!(N >= 0 && F >= 0 && N + F > 0 && MINUTES > 0 && N + F <= 200)) throw new Error('--calls/--forks must be 0..200 (not both 0) and --minutes > 0');
if (!(CANCEL_SHARE >= 0 && CANCEL_SHARE <= 1)) throw new Error('--cancels must be a share between 0 and 1');

let seed = Number(values.seed) >>> 0;
const rand = () => ((seed = (seed * 1664525 + 1013904223) >>> 0) / 2 ** 32);
const DURATIONS = [30, 45, 60, 90];

const dir = mkdtempSync(path.join(tmpdir(), 'earshot-soak-'));
const metric = async (reg: Registry, name: string) => (await reg.getSingleMetric(name)?.get())?.values.reduce((a, v) => a + v.value, 0) ?? 0;

async function main(): Promise<void> {
  // Audio: 2 conversation variants × 4 durations, as pcaps (SIPREC) and L16 stereo (forks).
  const media = DURATIONS.flatMap((s) =>
    [0, 1].map((v) => {
      const c = conversation(dir, s, v);
      const pcap = path.join(dir, `conv-${s}-${v}.pcap`);
      writeTwoLegPcap(pcap, toUlaw8k(c.agent), toUlaw8k(c.customer));
      return { seconds: s, pcap, pcm: forkStereo(c), sentences: c.turns.agent + c.turns.customer };
    }),
  );
  const rtpBase = 30000 + 2 * Math.floor(rand() * 5000);
  const config = validateConfig({ forks: LOAD_FORKS,
    dataDir: path.join(dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    sip: { host: '127.0.0.1', port: await freePort() },
    rtp: { host: '127.0.0.1', portMin: rtpBase, portMax: rtpBase + 8 * (N + 10) },
    speech: { workers: Number(values.workers) },
    limits: { maxCalls: N + F + 10 },
  });
  // 'error': behind-real-time warnings are counted below instead of printed one per leg.
  const app = await startAppliance(config, { log: pino({ level: 'error' }) });
  const { bus, store, metrics, calls, speech } = app.pipeline;
  const started = new Map<string, string>();
  let utterances = 0;
  let behindEvents = 0;
  let behindMax = 0;
  bus.on('call.started', (c) => started.set(c.callId, c.ingest));
  bus.on('utterance', () => utterances++);
  bus.on('call.event', (e) => e.kind === 'behind-realtime' && (e.data as { state?: string } | undefined)?.state === 'start' && behindEvents++);
  const behindTimer = setInterval(() => void metric(metrics.registry, 'earshot_legs_behind_realtime').then((v) => (behindMax = Math.max(behindMax, v))), 500);
  const sampler = startSampler();

  const end = Date.now() + MINUTES * 60_000;
  let sentences = 0;
  let reinviteCalls = 0;
  const cancels = { calls: 0, rejected487: 0, answered200: 0 };
  const failures: string[] = [];
  const pick = (maxS: number) => {
    const fit = media.filter((m) => m.seconds <= maxS);
    return fit.length ? fit[Math.floor(rand() * fit.length)] : undefined;
  };
  // Each slot keeps one call up at a time, back to back, until the time is spent.
  const siprecSlot = async (slot: number) => {
    await new Promise((r) => setTimeout(r, slot * 500));
    for (let k = 0; ; k++) {
      const m = pick((end - Date.now()) / 1000 - 2);
      if (!m) return;
      if (rand() < CANCEL_SHARE) {
        // A CANCELled recording: at once on an Opus offer (487 expected), a few ms after the 100
        // (a real race), or after our answer (the CANCEL crosses the 200; the SRC ACKs and BYEs).
        const plan = [{ cancelAfterMs: 0, opus: true }, { cancelAfterMs: 0, opus: true }, { cancelAfterMs: 0 }, { cancelAfterMs: 2 }, { cancelAfterMs: 5, opus: true }, { cancelAfterMs: 400 }][Math.floor(rand() * 6)];
        cancels.calls++;
        const c = await runCancelCall(dir, `c${slot}-${k}`, `127.0.0.1:${app.sip!.udp}`, { sip: await freePort(), media: await freePort(4) }, { ...plan, holdMs: 1000 });
        if (c.outcome === 'rejected-487') cancels.rejected487++;
        if (c.outcome === 'answered-200') cancels.answered200++;
        if (c.code !== 0 || !c.outcome) failures.push(`sipp CANCEL exit ${c.code}: ${c.stderr.slice(-200).replace(/\s+/g, ' ')}`);
        continue;
      }
      const hold = rand() < 0.3;
      reinviteCalls += hold ? 1 : 0;
      sentences += m.sentences;
      const r = await runSiprecCall(dir, `s${slot}-${k}`, `127.0.0.1:${app.sip!.udp}`, { sip: await freePort(), media: await freePort(4) }, { pcap: m.pcap, durationMs: m.seconds * 1000 + 1000, holdResume: hold });
      if (r.code !== 0) failures.push(`sipp exit ${r.code}: ${r.stderr.slice(-200).replace(/\s+/g, ' ')}`);
    }
  };
  const forkSlot = async (slot: number) => {
    await new Promise((r) => setTimeout(r, 250 + slot * 500));
    for (let k = 0; ; k++) {
      const m = pick((end - Date.now()) / 1000 - 2);
      if (!m) return;
      sentences += m.sentences;
      const r = await runForkCall(app.url, m.pcm, { sampleRate: 16000, callSid: `soak-${slot}-${k}` }).catch((err: Error) => ({ sentMs: 0, closeCode: -2, err }));
      if (r.sentMs < m.seconds * 1000) failures.push(`fork call cut at ${r.sentMs} ms (close ${r.closeCode})`);
    }
  };
  const t0 = performance.now();
  await Promise.all([...Array.from({ length: N }, (_, i) => siprecSlot(i)), ...Array.from({ length: F }, (_, i) => forkSlot(i))]);
  const drive = (performance.now() - t0) / 1000;

  // Drain: calls end, then recognition of what is queued.
  const deadline = Date.now() + 10 * 60_000;
  while (calls.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  // unref: a pending bound must not keep the process alive once the calls are idle (it did, for
  // the rest of the deadline, which looked like a slow shutdown).
  await Promise.race([calls.idle(), new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now())).unref())]);
  const d0 = performance.now();
  while (speech.pendingSeconds() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  const drainS = (performance.now() - d0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  store.flush();
  clearInterval(behindTimer);
  const mem = sampler.stop();

  const q = (sql: string) => (connectionOf(store).prepare(sql).get() as { n: number }).n;
  const storedCalls = q("SELECT count(*) AS n FROM calls WHERE state = 'ended' AND (SELECT count(*) FROM legs WHERE legs.call_id = calls.id) = 2");
  const storedUtt = q('SELECT count(*) AS n FROM utterances');
  // A CANCEL answered 487 leaves no row; one whose CANCEL crossed our 200 is an ordinary ended call.
  const callRows = q('SELECT count(*) AS n FROM calls');
  const notEnded = q("SELECT count(*) AS n FROM calls WHERE state <> 'ended'");
  const shed = await metric(metrics.registry, 'earshot_speech_shed_seconds_total');
  const report = {
    siprecCalls: N, forkCalls: F, minutes: MINUTES, workers: Number(values.workers), driveSeconds: Math.round(drive),
    callsStarted: started.size, callsStoredWithBothLegs: storedCalls, callRows, callRowsNotEnded: notEnded, reinviteCalls,
    cancelledCalls: cancels.calls, cancelAnswered487: cancels.rejected487, cancelAnswered200: cancels.answered200,
    sentencesSpoken: sentences, utterancesEmitted: utterances, utterancesStored: storedUtt,
    legsBehindMax: behindMax, behindEpisodes: behindEvents, shedSeconds: Math.round(shed * 10) / 10, drainSecondsAfterLastCall: Math.round(drainS * 10) / 10,
    rssMaxMb: Math.round(mem.rssMaxMb), rssSlopeMbPerMin: Math.round(mem.rssMbPerMin * 100) / 100, heapSlopeMbPerMin: Math.round(mem.heapMbPerMin * 100) / 100,
    eventLoopP99Ms: Math.round(mem.loopP99Ms * 10) / 10, eventLoopMaxMs: Math.round(mem.loopMaxMs), failures: failures.length,
  };
  console.log(JSON.stringify(report, null, 1));
  for (const f of failures.slice(0, 5)) console.log(`  failure: ${f}`);
  const realtime = behindEvents === 0 && shed === 0;
  // Baseline from the same run: the recognised fraction of what was spoken.
  console.log(`RESULT ${N}+${F} calls: ${realtime ? 'held real time' : 'fell behind real time'}; lost calls ${started.size - storedCalls}, lost utterances ${utterances - storedUtt}; cancelled ${cancels.calls} (487: ${cancels.rejected487}, 200: ${cancels.answered200}), stray call rows ${callRows - started.size}; recognised/spoken ratio ${(utterances / Math.max(1, sentences)).toFixed(2)}`);
  const clean = started.size === storedCalls && callRows === started.size && notEnded === 0 && utterances === storedUtt && failures.length === 0;
  process.exitCode = clean ? 0 : 1;
  const c0 = performance.now();
  await app.close();
  console.log(`appliance close: ${Math.round(performance.now() - c0)} ms`);
}

// Bounded whatever happens: sipp children are killed by PID, and the run cannot outlive its budget.
const guard = setTimeout(() => {
  console.error('soak: time budget exceeded, killing');
  killAll();
  process.exit(2);
}, (MINUTES * 60 + 15 * 60) * 1000);
guard.unref();
try {
  await main();
} finally {
  killAll();
  rmSync(dir, { recursive: true, force: true });
}
