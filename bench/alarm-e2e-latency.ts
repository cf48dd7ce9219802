// End-to-end alarm latency as a supervisor sees it. The whole appliance runs in this process (real
// HTTP on port 0, real SQLite in a temp dir, the configured recogniser in its worker threads);
// calls come in through mod_audio_fork websockets at real time, each customer saying "I want to
// speak to your supervisor" (category escalation-request → alarm rule escalation-request, at most
// once per call: 300 s cooldown), and a logged-in supervisor's live websocket receives the alarm.
// Per call: end of speech (send time of the 100 ms chunk holding the sentence's last voiced
// sample) → final transcript (bus) → utterance (bus) → alarm (bus) → alarm message on the socket.
// Baselines from the same run: a bus emit → websocket message of a same-sized `alarm.updated`,
// and a websocket ping round trip, both on the same server and connection.
//   npm run build && node dist/bench/alarm-e2e-latency.js [--calls 20] [--concurrency 4] [--workers 2]
//     [--voice kal16] [--min-silence-ms 500]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { WebSocket } from 'ws';
import type { EventName, PipelineEvents } from '../src/call/events.js';
import type { Alarm } from '../src/call/types.js';
import { validateConfig } from '../src/config/index.js';
import { startAppliance } from '../src/main.js';
import { createPocketsphinxEngine } from '../src/speech/engines/pocketsphinx/index.js';
import { createUser } from '../src/web/index.js';
import { interleaveL16 } from './load/audio.js';
import { LOAD_AUTH, LOAD_FORKS } from './load/fork-client.js';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '20' },
    concurrency: { type: 'string', default: '4' },
    workers: { type: 'string', default: '2' },
    voice: { type: 'string', default: 'kal16' },
    /** speech.vad.minSilenceMs: the VAD hangover, the largest fixed share of end of speech → alarm. */
    'min-silence-ms': { type: 'string', default: '' },
    /** One line per call (start offset, end of speech → final and → websocket), in start order. */
    verbose: { type: 'boolean', default: false },
  },
});
const N = Number(values.calls);
const C = Number(values.concurrency);
const WORKERS = Number(values.workers);
if (!(Number.isInteger(N) && N >= 1 && N <= 500 && Number.isInteger(C) && C >= 1 && C <= 50)) throw new Error('--calls must be 1..500 and --concurrency 1..50');

const RATE = 16000;
const CHUNK_MS = 100; // mod_audio_fork's message size
const RULE = 'escalation-request';
const AGENT_TEXT = 'Thank you for calling, how can I help you today?';
const CUSTOMER_TEXT = 'I want to speak to your supervisor.';
const dir = mkdtempSync(path.join(tmpdir(), 'earshot-alarm-e2e-'));

/** One flite sentence as 16 kHz mono s16 (children bounded by execFileSync's timeout). */
function synth(name: string, text: string): Int16Array {
  const wav = path.join(dir, `${name}.wav`);
  const raw = path.join(dir, `${name}.s16`);
  execFileSync('flite', ['-voice', values.voice!, '-t', text, '-o', wav], { timeout: 20_000 });
  execFileSync('sox', [wav, '-r', String(RATE), '-c', '1', '-b', '16', '-e', 'signed-integer', '-L', '-t', 'raw', raw], { timeout: 20_000 });
  const b = readFileSync(raw);
  return new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** Sample index just past the last 10 ms block above -40 dBFS: where the speech really ends. */
function voicedEnd(s: Int16Array): number {
  const n = RATE / 100;
  let end = 0;
  for (let b = 0; b * n < s.length; b++) {
    const blk = s.subarray(b * n, (b + 1) * n);
    let e = 0;
    for (const v of blk) e += (v / 32768) ** 2;
    if (10 * Math.log10(e / blk.length + 1e-12) > -40) end = Math.min(s.length, (b + 1) * n);
  }
  return end;
}

/** 0.5 s quiet, the agent's greeting, 1 s, the customer's request, 2.5 s quiet (the VAD must close). */
function buildCall() {
  const agent = synth('agent', AGENT_TEXT);
  const customer = synth('customer', CUSTOMER_TEXT);
  const agentAt = RATE / 2;
  const custAt = agentAt + agent.length + RATE;
  const total = custAt + customer.length + Math.round(2.5 * RATE);
  const ch0 = new Int16Array(total);
  const ch1 = new Int16Array(total);
  ch0.set(customer, custAt);
  ch1.set(agent, agentAt);
  // Stereo forks are (customer, agent): src/ingest/fork/session.ts layoutLegs.
  return { pcm: interleaveL16(ch0, ch1), custStartMs: (custAt * 1000) / RATE, eosMs: ((custAt + voicedEnd(customer)) * 1000) / RATE, seconds: total / RATE, customer };
}

interface CallRec {
  sid: string;
  warmup: boolean;
  sentAt: number[]; // performance.now() after sending chunk k (audio [100k, 100k+100) ms)
  callId?: string;
  legId?: string;
  final?: { t: number; seq: number; endMs: number; keyword: boolean };
  speechEvent?: number;
  utterance?: number;
  alarmBus?: number;
  ws?: number;
  ended?: number; // call.ended: a final after it is dropped by analysis (the drain gave up)
}

const pct = (xs: number[], p: number) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)] : NaN);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A mod_audio_fork sender like bench/load/fork-client.ts, which also keeps each chunk's send time. */
async function sendCall(base: string, pcm: Buffer, rec: CallRec): Promise<number> {
  const ws = new WebSocket(`${base.replace(/^http/, 'ws')}/ingest/audio-fork`, ['audio.drachtio.org'], { headers: LOAD_AUTH });
  const closed = new Promise<number>((r) => ws.on('close', (code) => r(code)));
  await new Promise<void>((resolve, reject) => (ws.once('open', () => resolve()), ws.once('error', reject)));
  ws.send(JSON.stringify({ callSid: rec.sid, sampleRate: RATE, mixType: 'stereo', agentId: '1001' }));
  const chunk = (RATE / 1000) * CHUNK_MS * 4;
  const t0 = performance.now();
  for (let off = 0, k = 0; off < pcm.length && ws.readyState === WebSocket.OPEN; off += chunk, k++) {
    ws.send(pcm.subarray(off, off + chunk));
    rec.sentAt[k] = performance.now();
    const wait = t0 + (k + 1) * CHUNK_MS - performance.now(); // wall-clock pacing: no drift
    if (wait > 0) await sleep(wait);
  }
  ws.close(1000, 'done');
  return Promise.race([closed, sleep(10_000).then(() => (ws.terminate(), -1))]);
}

async function main(): Promise<void> {
  const call = buildCall();
  const config = validateConfig({ forks: LOAD_FORKS,
    dataDir: path.join(dir, 'data'),
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'off' },
    speech: { workers: WORKERS, ...(values['min-silence-ms'] ? { vad: { minSilenceMs: Number(values['min-silence-ms']) } } : {}) },
    limits: { maxCalls: C + 10 },
  });
  const load0 = loadavg()[0];
  // Errors are counted (and the first few shown): under overload every late call logs one.
  let logErrors = 0;
  const log = pino({ level: 'error' }, { write: (line: string) => void (++logErrors <= 3 && process.stderr.write(line)) });
  const app = await startAppliance(config, { log });
  const { bus, store, calls, metrics } = app.pipeline;

  // Times are taken when an event is emitted, before any listener runs: listeners registered
  // here would otherwise run after the whole synchronous analysis → alarm → websocket cascade.
  const bySid = new Map<string, CallRec>();
  const byCall = new Map<string, CallRec>();
  let lastAlarm: Alarm | undefined;
  let behind = 0;
  let segments = 0;
  const emit = bus.emit.bind(bus);
  bus.emit = <E extends EventName>(event: E, ...args: PipelineEvents[E]): void => {
    const t = performance.now();
    if (event === 'call.started') {
      const c = args[0] as PipelineEvents['call.started'][0];
      const r = bySid.get(c.externalId);
      if (r) {
        r.callId = c.callId;
        byCall.set(c.callId, r);
      }
    } else if (event === 'leg.added') {
      const l = args[0] as PipelineEvents['leg.added'][0];
      const r = byCall.get(l.callId);
      if (r && l.role === 'customer') r.legId = l.legId;
    } else if (event === 'transcript') {
      const tr = args[0] as PipelineEvents['transcript'][0];
      const r = byCall.get(tr.callId);
      // The customer leg says one sentence: its first final. The text is only tested, never kept.
      if (r && tr.final && tr.legId === r.legId && !r.final) r.final = { t, seq: tr.seq, endMs: tr.endMs, keyword: /supervisor/i.test(tr.text) };
    } else if (event === 'call.event') {
      const e = args[0] as PipelineEvents['call.event'][0];
      const r = byCall.get(e.callId);
      if (e.kind === 'behind-realtime' && (e.data as { state?: string } | undefined)?.state === 'start') behind++;
      if (e.kind === 'speech') segments++;
      if (r && e.kind === 'speech' && e.legId === r.legId && r.speechEvent === undefined) r.speechEvent = t;
    } else if (event === 'utterance') {
      const u = args[0] as PipelineEvents['utterance'][0];
      const r = byCall.get(u.callId);
      if (r && u.legId === r.legId && u.seq === r.final?.seq && r.utterance === undefined) r.utterance = t;
    } else if (event === 'call.ended') {
      const r = byCall.get((args[0] as PipelineEvents['call.ended'][0]).callId);
      if (r) r.ended = t;
    } else if (event === 'alarm') {
      const a = args[0] as Alarm;
      const r = byCall.get(a.callId);
      if (a.rule === RULE) lastAlarm = a;
      if (r && a.rule === RULE && r.alarmBus === undefined) r.alarmBus = t;
    }
    emit(event, ...args);
  };

  // A supervisor logs in and opens the console's live socket; like the call view, it watches
  // each call that starts (full utterances for it; alarms go to every console either way).
  createUser(store.repos.users, { username: 'bench-sup', role: 'supervisor', password: 'alarm e2e bench' });
  const login = await fetch(`${app.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'bench-sup', password: 'alarm e2e bench' }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const live = new WebSocket(`${app.url.replace(/^http/, 'ws')}/api/v1/live`, { headers: { cookie } });
  let onUpdated: ((t: number) => void) | undefined;
  live.on('message', (raw) => {
    const t = performance.now(); // before parsing: the parse is the console's cost, not ours
    const m = JSON.parse(raw.toString()) as { type: string; data: { callId?: string; rule?: string } };
    if (m.type === 'call.started' && m.data.callId) live.send(JSON.stringify({ op: 'watch', callId: m.data.callId }));
    if (m.type === 'alarm' && m.data.rule === RULE && m.data.callId) {
      const r = byCall.get(m.data.callId);
      if (r && r.ws === undefined) r.ws = t;
    }
    if (m.type === 'alarm.updated') onUpdated?.(t);
  });
  await new Promise((resolve, reject) => (live.once('open', resolve), live.once('error', reject)));

  const run = async (sid: string, warmup: boolean) => {
    const rec: CallRec = { sid, warmup, sentAt: [] };
    bySid.set(sid, rec);
    const code = await sendCall(app.url, call.pcm, rec);
    if (code !== 1000 && code !== 1005) console.log(`  call ${sid}: fork socket closed with ${code}`);
  };
  // One call alone first: JIT, page cache and the decoder's first run are not what we measure.
  await run('warmup', true);
  const t0 = performance.now();
  let next = 0;
  const slot = async (s: number) => {
    // Stagger the slots so the calls' ends of speech do not all fall in the same instant.
    await sleep(((s * call.seconds) / C) * 1000);
    while (next < N) await run(`e2e-${next++}`, false);
  };
  await Promise.all(Array.from({ length: C }, (_, s) => slot(s)));
  const driveS = (performance.now() - t0) / 1000;
  const settle = Date.now() + 30_000;
  while ((calls.size > 0 || [...bySid.values()].some((r) => !r.warmup && r.final?.keyword && r.ws === undefined)) && Date.now() < settle) await sleep(100);
  await calls.idle();
  const load1 = loadavg()[0];

  // Baselines on the same server and connection.
  const viaBus: number[] = [];
  const ping: number[] = [];
  if (lastAlarm) {
    const row = lastAlarm;
    for (let i = 0; i < 220; i++) {
      const got = new Promise<number>((r) => (onUpdated = r));
      const s = performance.now();
      bus.emit('alarm.updated', row);
      const t = await got;
      if (i >= 20) viaBus.push(t - s);
    }
  }
  for (let i = 0; i < 220; i++) {
    const s = performance.now();
    await new Promise<void>((r) => (live.once('pong', () => r()), live.ping()));
    if (i >= 20) ping.push(performance.now() - s);
  }

  // The recogniser's share, outside the pipeline: one decode of the sentence with the segment's
  // 100 ms pre-roll and 96 ms tail, on this thread once the calls are over (same machine load).
  let decodeMs = NaN;
  if (app.pipeline.speech.ready().engine === 'pocketsphinx') {
    const engine = createPocketsphinxEngine(config.speech.pocketsphinx);
    const seg = new Float32Array(1600 + voicedEnd(call.customer) + 1536);
    for (let i = 0; i < voicedEnd(call.customer); i++) seg[1600 + i] = call.customer[i] / 32768;
    const times: number[] = [];
    for (let i = 0; i < 6; i++) {
      const st = engine.start();
      st.accept(seg);
      const s = performance.now();
      st.end();
      if (i > 0) times.push(performance.now() - s);
    }
    engine.close();
    decodeMs = pct(times, 50);
  }
  const finalHist = (await metrics.registry.getSingleMetric('earshot_asr_final_latency_seconds')?.get())?.values ?? [];
  const hSum = finalHist.find((v) => (v as { metricName?: string }).metricName?.endsWith('_sum'))?.value ?? NaN;
  const hCount = finalHist.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value ?? NaN;
  live.close();
  await app.close();

  // Figures.
  const recs = [...bySid.values()].filter((r) => !r.warmup);
  const done = recs.filter((r) => r.final && r.ws !== undefined);
  const at = (r: CallRec, ms: number) => r.sentAt[Math.min(r.sentAt.length - 1, Math.floor(ms / CHUNK_MS))];
  const eos = (r: CallRec) => at(r, call.eosMs);
  const closeAfterMs = Math.ceil(config.speech.vad.minSilenceMs / 32) * 32; // whole 32 ms Silero windows
  const rows: [string, number[]][] = [
    ['end of speech → final transcript', done.map((r) => r.final!.t - eos(r))],
    ['final transcript → websocket alarm', done.map((r) => r.ws! - r.final!.t)],
    ['end of speech → websocket alarm', done.map((r) => r.ws! - eos(r))],
    ['  end of speech → VAD-closing audio sent', done.map((r) => at(r, r.final!.endMs + closeAfterMs) - eos(r))],
    ['  VAD-closing audio sent → final', done.map((r) => r.final!.t - at(r, r.final!.endMs + closeAfterMs))],
    ['  VAD speech event → final (same msg burst)', done.filter((r) => r.speechEvent).map((r) => r.final!.t - r.speechEvent!)],
    ['  final → utterance (analysis)', done.map((r) => r.utterance! - r.final!.t)],
    ['  utterance → alarm on bus (rules, SQLite)', done.map((r) => r.alarmBus! - r.utterance!)],
    ['  alarm on bus → websocket message', done.map((r) => r.ws! - r.alarmBus!)],
    ['  VAD speech end − real end (audio ms)', done.map((r) => r.final!.endMs - call.eosMs)],
    ['baseline: bus emit → websocket message', viaBus],
    ['baseline: websocket ping round trip', ping],
  ];
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2).padStart(8) : '       -');
  console.log(`alarm-e2e-latency: ${N} calls (${C} at a time, ${call.seconds.toFixed(1)} s each, driven in ${driveS.toFixed(0)} s), ${WORKERS} speech workers (${app.pipeline.speech.ready().engine}), flite ${values.voice}, ${availableParallelism()} cores`);
  console.log(`alarm-e2e-latency: load average (1 min) ${load0.toFixed(2)} at start, ${load1.toFixed(2)} after the calls; legs behind real time ${behind}; VAD segments ${segments}; error log lines ${logErrors}`);
  console.log(`alarm-e2e-latency: alarms on the websocket ${done.length}/${N}; customer finals with the keyword ${recs.filter((r) => r.final?.keyword).length}/${N} (${recs.filter((r) => r.final && r.ended !== undefined && r.final.t > r.ended).length} after their call had ended); VAD closes ${closeAfterMs} ms of audio after speech (minSilenceMs ${config.speech.vad.minSilenceMs})`);
  console.log(`  ${'stage'.padEnd(44)}    p50 ms   p95 ms   max ms   n`);
  for (const [name, xs] of rows) console.log(`  ${name.padEnd(44)} ${f(pct(xs, 50))} ${f(pct(xs, 95))} ${f(Math.max(...xs))}   ${xs.length}`);
  console.log(`alarm-e2e-latency: pocketsphinx decode of the sentence alone (main thread, after the calls) p50 ${f(decodeMs).trim()} ms; earshot_asr_final_latency_seconds mean ${f((hSum / hCount) * 1000).trim()} ms over ${hCount} finals`);
  if (values.verbose) {
    for (const r of recs) {
      const e = eos(r);
      console.log(`  ${r.sid.padEnd(8)} sent from ${((r.sentAt[0] - t0) / 1000).toFixed(1).padStart(6)} s  eos→final ${f(r.final ? r.final.t - e : NaN)}  eos→ws ${f(r.ws !== undefined ? r.ws - e : NaN)}`);
    }
  }
  const fw = done.map((r) => r.ws! - r.final!.t);
  const ew = done.map((r) => r.ws! - eos(r));
  const base = pct(viaBus, 50);
  console.log(`alarm-e2e-latency: final → websocket vs baseline bus emit → websocket: p50 ${(pct(fw, 50) / base).toFixed(1)}x, p95 ${(pct(fw, 95) / pct(viaBus, 95)).toFixed(1)}x`);
  console.log(
    `RESULT final transcript → websocket alarm p95 ${pct(fw, 95).toFixed(1)} ms (goal ≤ 300: ${pct(fw, 95) <= 300 ? 'met' : 'MISSED'}); ` +
      `end of speech → websocket alarm p95 ${pct(ew, 95).toFixed(0)} ms (goal ≤ 1500: ${pct(ew, 95) <= 1500 ? 'met' : 'MISSED'}); missing alarms ${N - done.length}`,
  );
  process.exitCode = done.length === N ? 0 : 1;
}

// Bounded whatever happens (the speech workers are threads of this process).
const guard = setTimeout(() => {
  console.error('alarm-e2e-latency: time budget exceeded');
  rmSync(dir, { recursive: true, force: true });
  process.exit(2);
}, (Math.ceil(N / C) * 20 + 240) * 1000);
guard.unref();
try {
  await main();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
