// WER of the embedded engine: (a) batch on 16 kHz clips, (b) batch after an 8 kHz G.711 µ-law
// round trip, (c) the full live pipeline (20 ms frames → resampler → VAD → worker pool) on (b)'s
// audio. Target: (c) <= (b) + 2 points. Run: npm run build && node dist/bench/wer.js
import { validateConfig } from '../src/config/index.js';
import { createPocketsphinxEngine } from '../src/speech/engines/pocketsphinx/index.js';
import { Resampler } from '../src/speech/resample.js';
import { type Clip, flite, librivox, pad, sclite, telephone, wer } from './speech-common.js';
import { runLive } from './speech-live.js';

const config = validateConfig({ speech: { engine: 'pocketsphinx', workers: 0 } });
const engine = createPocketsphinxEngine(config.speech.pocketsphinx);

function batch(pcm: Int16Array, rate: number): string {
  const f = rate === 16000 ? Float32Array.from(pcm, (v) => v / 32768) : new Resampler(rate).push(pcm);
  const s = engine.start();
  s.accept(f);
  return s.end().text;
}

const sets: Array<[string, Clip[]]> = [
  ['librivox (5 clips, 28.7 s)', librivox()],
  ['flite call-centre (12 sentences x kal16/awb/rms)', flite()],
];
console.log('set | (a) batch 16 kHz | (b) batch 8 kHz µ-law | (c) live pipeline on (b) | (c) − (b)');
for (const [name, clips] of sets) {
  const refs = clips.map((c) => c.ref);
  const ids = clips.map((c) => c.id);
  const a = clips.map((c) => batch(c.pcm16k, 16000));
  const tel = clips.map((c) => telephone(c.pcm16k));
  const b = tel.map((p) => batch(p, 8000));
  const live = await runLive(config, tel.map((p) => pad(p, 8000)), 8000);
  const [wa, wb, wc] = [wer(refs, a), wer(refs, b), wer(refs, live.hyps)];
  const sc = [sclite(ids, refs, a), sclite(ids, refs, b), sclite(ids, refs, live.hyps)];
  const f = (w: { pct: number; errors: number; words: number }, s: number | null) => `${w.pct.toFixed(1)}% (${w.errors}/${w.words}${s === null ? '' : `; sclite ${s}%`})`;
  console.log(`${name} | ${f(wa, sc[0])} | ${f(wb, sc[1])} | ${f(wc, sc[2])} | ${(wc.pct - wb.pct).toFixed(1)} ${wc.pct <= wb.pct + 2 ? '(target met)' : '(TARGET MISSED)'}`);
}
console.log(`engine: ${engine.detail}`);
engine.close();
