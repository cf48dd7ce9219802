// Speed of the speech stage: raw engine decode vs the full pipeline on the same audio (ratio =
// pipeline overhead: resampling, VAD, IPC, prosody), and how many legs run at real time here.
// Wall-clock figures depend on what else runs on the machine; CPU-time figures less so.
// Run: npm run build && node dist/bench/speech-speed.js
import { availableParallelism } from 'node:os';
import { validateConfig } from '../src/config/index.js';
import { createPocketsphinxEngine } from '../src/speech/engines/pocketsphinx/index.js';
import { flite, librivox, pad } from './speech-common.js';
import { runLive } from './speech-live.js';

const cores = availableParallelism();
const clips = [...librivox(), ...flite(['kal16'])].map((c) => pad(c.pcm16k, 16000));
const audioS = clips.reduce((s, c) => s + c.length / 16000, 0);

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
const load = (await import('node:os')).loadavg()[0];
console.log(`machine: ${cores} cores, load average ${load.toFixed(1)} during the run`);
