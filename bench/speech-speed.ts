// Speed of the speech stage: raw engine decode vs the full pipeline on the same audio (ratio =
// pipeline overhead: resampling, VAD, IPC, prosody), and how many legs run at real time here.
// Wall-clock figures depend on what else runs on the machine; CPU-time figures less so.
// Partials (speech.pocketsphinx.partialIntervalMs): CPU per audio second with partials on vs off,
// on one thread fed chunk by chunk (an idle worker: every interval gets its partial decode).
// Run: npm run build && node dist/bench/speech-speed.js   (`-- partials` runs only that part)
import { availableParallelism } from 'node:os';
import { validateConfig } from '../src/config/index.js';
import { createPocketsphinxEngine } from '../src/speech/engines/pocketsphinx/index.js';
import { clock } from '../src/speech/leg-pipeline.js';
import { Recognizer } from '../src/speech/recognizer.js';
import { SileroVad } from '../src/speech/vad.js';
import { flite, librivox, pad } from './speech-common.js';
import { runLive } from './speech-live.js';

const cores = availableParallelism();
const clips = [...librivox(), ...flite(['kal16'])].map((c) => pad(c.pcm16k, 16000));
const audioS = clips.reduce((s, c) => s + c.length / 16000, 0);

/** Every clip through one in-thread Recognizer, one 20 ms chunk at a time, each awaited. */
async function partialsRun(intervalMs: number) {
  const cfg = validateConfig({ speech: { workers: 1, pocketsphinx: { partialIntervalMs: intervalMs } } });
  const eng = createPocketsphinxEngine(cfg.speech.pocketsphinx);
  const vad = await SileroVad.load();
  const finals: string[] = [];
  const latencies: number[] = [];
  let partials = 0;
  const rec = new Recognizer(eng, vad, cfg.speech.vad, {
    transcript: (_l, tr, timing) => {
      if (tr.final) finals.push(tr.text);
      else {
        partials++;
        if (timing?.arrivedAt !== undefined) latencies.push(clock() - timing.arrivedAt);
      }
    },
    speech: () => {},
    stats: () => {},
    error: (_l, err) => {
      throw err;
    },
  });
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (const [i, c] of clips.entries()) {
    rec.open(`leg-${i}`);
    for (let off = 0; off < c.length; off += 320) await rec.audio(`leg-${i}`, c.slice(off, off + 320), 16000, off / 16);
    await rec.end(`leg-${i}`);
  }
  const wallS = (performance.now() - w0) / 1000;
  const cu = process.cpuUsage(c0);
  eng.close();
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { cpuS: (cu.user + cu.system) / 1e6, wallS, finals, partials, p50: q(0.5), p90: q(0.9) };
}

if (process.argv.includes('partials')) {
  await partialsBench();
  process.exit(0);
}

async function partialsBench(): Promise<void> {
  const off = await partialsRun(0);
  console.log(`partials off: ${audioS.toFixed(1)} s audio, CPU RTF ${(off.cpuS / audioS).toFixed(3)} (wall ${(off.wallS / audioS).toFixed(3)})`);
  for (const ms of [1000, 500]) {
    const on = await partialsRun(ms);
    const same = on.finals.length === off.finals.length && on.finals.every((f, i) => f === off.finals[i]);
    console.log(
      `partials every ${ms} ms: ${on.partials} partials, CPU RTF ${(on.cpuS / audioS).toFixed(3)} = ${(on.cpuS / off.cpuS).toFixed(2)}x partials off; ` +
        `partial latency (wall, grows with load) p50 ${on.p50.toFixed(0)} ms, p90 ${on.p90.toFixed(0)} ms; finals identical to off: ${same ? 'yes' : 'NO'}`,
    );
  }
  console.log(`load average ${(await import('node:os')).loadavg()[0].toFixed(1)} (CPU ratios hold under load; wall figures do not)`);
}

// Baseline: the engine alone, whole clips, this thread.
const config1 = validateConfig({ speech: { workers: 1 } });
const engine = createPocketsphinxEngine(config1.speech.pocketsphinx);
let t0 = performance.now();
let c0 = process.cpuUsage();
for (const c of clips) {
  const s = engine.start();
  s.accept(Float32Array.from(c, (v) => v / 32768));
  s.end();
}
const rawWall = (performance.now() - t0) / 1000;
let cu = process.cpuUsage(c0);
const rawCpu = (cu.user + cu.system) / 1e6;
engine.close();
console.log(`raw engine: ${audioS.toFixed(1)} s audio in ${rawWall.toFixed(2)} s wall / ${rawCpu.toFixed(2)} s CPU → RTF ${(rawWall / audioS).toFixed(3)} (CPU RTF ${(rawCpu / audioS).toFixed(3)})`);

// Same audio through the pipeline on one worker, legs one after another.
const one = await runLive(config1, clips, 16000, 1);
console.log(
  `pipeline, 1 worker: RTF ${(one.wallS / one.audioS).toFixed(3)} (CPU RTF ${(one.cpuS / one.audioS).toFixed(3)}); ` +
    `ratio to raw engine: wall ${(one.wallS / rawWall).toFixed(2)}x, CPU ${(one.cpuS / rawCpu).toFixed(2)}x`,
);

// Throughput with one worker per core and many concurrent legs: legs sustainable at real time.
const many = Array.from({ length: 2 }, () => clips).flat();
const configN = validateConfig({ speech: { workers: cores } });
t0 = performance.now();
c0 = process.cpuUsage();
const all = await runLive(configN, many, 16000, cores * 4, 60);
cu = process.cpuUsage(c0);
const legsRt = all.audioS / all.wallS;
const legsRtCpu = (cores * all.audioS) / ((cu.user + cu.system) / 1e6);
console.log(
  `pipeline, ${cores} workers, ${many.length} legs (${all.audioS.toFixed(0)} s audio): ${all.wallS.toFixed(1)} s wall → ${legsRt.toFixed(1)} legs at real time ` +
    `(from CPU time, if the ${cores} cores were ours alone: ${legsRtCpu.toFixed(1)}); baseline raw engine on ${cores} cores: ${((cores * audioS) / rawCpu).toFixed(1)}`,
);
await partialsBench();
const load = (await import('node:os')).loadavg()[0];
console.log(`machine: ${cores} cores, load average ${load.toFixed(1)} during the run`);
