// pocketsphinx speed/accuracy settings: WER against legs at real time, through the telephone
// channel (16 kHz → 8 kHz → G.711 µ-law → back up with our resampler), each clip decoded whole as
// the engine decodes a VAD segment. CPU time of the decode on this thread gives the real-time
// factor; legs at real time = cores / CPU RTF (the "raw engine" figure of speech-speed.ts; the
// pipeline adds VAD and IPC but also trims silence). Tuning set: LibriVox; held-out: the flite
// call-centre sentences (3 voices), never used to pick settings.
// Run: npm run build && node dist/bench/pocketsphinx-profiles.js [profiles] [live]   (profiles: the
// shipped profiles only; repeat: only their speed, alternated 3 times on the tuning set; live: also
// the full pipeline at many legs for each profile)
import { availableParallelism, loadavg } from 'node:os';
import { validateConfig } from '../src/config/index.js';
import { createPocketsphinxEngine, PROFILES, type PocketsphinxProfile } from '../src/speech/engines/pocketsphinx/index.js';
import { Resampler } from '../src/speech/resample.js';
import { type Clip, flite, librivox, pad, telephone, wer } from './speech-common.js';
import { runLive } from './speech-live.js';

const cores = availableParallelism();
const ps = validateConfig({}).speech.pocketsphinx;

interface Setting {
  name: string;
  profile: PocketsphinxProfile;
  args: string[];
}
const ALL: Setting[] = [
  { name: 'accurate (pocketsphinx defaults)', profile: 'accurate', args: [] },
  { name: '-ds 2', profile: 'accurate', args: ['-ds', '2'] },
  { name: '-topn 2', profile: 'accurate', args: ['-topn', '2'] },
  { name: '-pl_window 10', profile: 'accurate', args: ['-pl_window', '10'] },
  { name: '-maxhmmpf 3000', profile: 'accurate', args: ['-maxhmmpf', '3000'] },
  { name: 'beams 1e-40 / wbeam 1e-24 / pbeam 1e-40', profile: 'accurate', args: ['-beam', '1e-40', '-wbeam', '1e-24', '-pbeam', '1e-40'] },
  { name: `balanced (${PROFILES.balanced.join(' ')})`, profile: 'balanced', args: [] },
  { name: `fast (${PROFILES.fast.join(' ')})`, profile: 'fast', args: [] },
  { name: 'balanced + -maxhmmpf 5000', profile: 'balanced', args: ['-maxhmmpf', '5000'] },
  { name: 'balanced + -maxhmmpf 8000', profile: 'balanced', args: ['-maxhmmpf', '8000'] },
  { name: 'balanced + -maxhmmpf 6000', profile: 'balanced', args: ['-maxhmmpf', '6000'] },
  { name: 'balanced + -maxhmmpf 5000 -pl_window 10', profile: 'balanced', args: ['-maxhmmpf', '5000', '-pl_window', '10'] },
  { name: 'accurate + -maxhmmpf 5000', profile: 'accurate', args: ['-maxhmmpf', '5000'] },
  { name: 'accurate + -maxhmmpf 4000', profile: 'accurate', args: ['-maxhmmpf', '4000'] },
];
// `profiles`: only the three shipped profiles (a shorter run, e.g. to re-measure under other load).
// `candidates`: today's setting and the in-between ones (balanced + a maxhmmpf cap).
const SETTINGS = process.argv.includes('profiles')
  ? ALL.filter((s) => !s.args.length)
  : process.argv.includes('candidates')
    ? ALL.filter((s) => s.name.startsWith('accurate') || s.name.startsWith('balanced +'))
    : ALL;

function channel(clips: Clip[]): Array<{ ref: string; f: Float32Array; s: number }> {
  return clips.map((c) => {
    const pcm = pad(telephone(c.pcm16k), 8000, 250);
    return { ref: c.ref, f: new Resampler(8000).push(pcm), s: pcm.length / 8000 };
  });
}

const tune = channel(librivox());
const held = process.argv.includes('repeat') ? [] : channel(flite());
const sec = (xs: Array<{ s: number }>) => xs.reduce((a, x) => a + x.s, 0);

function score(setting: Setting, set: Array<{ ref: string; f: Float32Array; s: number }>) {
  const engine = createPocketsphinxEngine({ ...ps, profile: setting.profile, args: setting.args });
  const hyps: string[] = [];
  const c0 = process.cpuUsage();
  for (const x of set) {
    const s = engine.start();
    s.accept(x.f);
    hyps.push(s.end().text);
  }
  const cu = process.cpuUsage(c0);
  engine.close();
  const cpuRtf = (cu.user + cu.system) / 1e6 / sec(set);
  return { w: wer(set.map((x) => x.ref), hyps), cpuRtf };
}

console.log(`tuning: LibriVox ${sec(tune).toFixed(1)} s; held-out: flite call-centre ${sec(held).toFixed(1)} s; both through 8 kHz µ-law; ${cores} cores`);
const table = !process.argv.includes('repeat');
if (table) console.log('setting | WER tuning (LibriVox) | WER held-out (flite) | CPU RTF | legs at real time (cores / RTF) | vs today');
let base = 0;
for (const st of table ? SETTINGS : []) {
  const a = score(st, tune);
  const b = score(st, held);
  const rtf = (a.cpuRtf * sec(tune) + b.cpuRtf * sec(held)) / (sec(tune) + sec(held));
  const legs = cores / rtf;
  if (!base) base = legs;
  console.log(`${st.name} | ${a.w.pct.toFixed(1)}% (${a.w.errors}/${a.w.words}) | ${b.w.pct.toFixed(1)}% (${b.w.errors}/${b.w.words}) | ${rtf.toFixed(3)} | ${legs.toFixed(1)} | ${(legs / base).toFixed(2)}x`);
}

if (process.argv.includes('repeat')) {
  // CPU time is noisy on a shared machine: the shipped profiles alternated, 3 rounds, tuning set.
  const rounds: Record<string, number[]> = {};
  for (let r = 0; r < 3; r++) {
    for (const st of ALL.filter((x) => !x.args.length)) (rounds[st.profile] ??= []).push(score(st, tune).cpuRtf);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[1];
  for (const [p, xs] of Object.entries(rounds)) {
    console.log(`repeat ${p}: CPU RTF ${xs.map((x) => x.toFixed(3)).join(', ')} → median ${med(xs).toFixed(3)}, ${(med(rounds.accurate) / med(xs)).toFixed(2)}x the legs of accurate`);
  }
}

if (process.argv.includes('live')) {
  // The whole pipeline (VAD, resampling, worker pool) at once on many legs, per named profile.
  const legsAudio = [...tune, ...held].map((x) => x.f);
  const pcm = legsAudio.map((f) => Int16Array.from(f, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767)))));
  for (const profile of Object.keys(PROFILES) as PocketsphinxProfile[]) {
    const config = validateConfig({ speech: { workers: cores, pocketsphinx: { profile } } });
    const r = await runLive(config, pcm, 16000, cores * 4, 60);
    console.log(`live pipeline, profile ${profile}: ${pcm.length} legs, ${r.audioS.toFixed(0)} s audio in ${r.wallS.toFixed(1)} s wall → ${(r.audioS / r.wallS).toFixed(1)} legs at real time`);
  }
}
console.log(`load average ${loadavg()[0].toFixed(1)} during the run (CPU-time figures hold under load; wall figures do not)`);
