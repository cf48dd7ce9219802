import t from 'tap';
import { Segmenter, SileroVad, VAD_WINDOW } from '../../src/speech/vad.js';

const CFG = { threshold: 0.5, minSilenceMs: 500, minSpeechMs: 250, maxUtteranceMs: 3000 };
const W_MS = (VAD_WINDOW * 1000) / 16000; // 32 ms

/** Feeds a probability per window; returns the events as [kind, startMs, endMs?, keep?]. */
function feed(probs: number[], cfg = CFG) {
  const seg = new Segmenter(cfg);
  const out: Array<[string, number, number?, boolean?]> = [];
  probs.forEach((p, i) => {
    for (const e of seg.window(i * VAD_WINDOW, p)) {
      out.push(e.kind === 'start' ? ['start', (e.startSample * 1000) / 16000] : ['end', (e.startSample * 1000) / 16000, (e.endSample * 1000) / 16000, e.keep]);
    }
  });
  for (const e of seg.flush()) if (e.kind === 'end') out.push(['flush', (e.startSample * 1000) / 16000, (e.endSample * 1000) / 16000, e.keep]);
  return out;
}

const run = (p: number, n: number) => new Array<number>(n).fill(p);

t.test('segmenter hysteresis, minimum speech, maximum utterance', async (t) => {
  // 10 silent windows, 20 speech, 20 silent (640 ms > minSilence).
  t.same(feed([...run(0.1, 10), ...run(0.9, 20), ...run(0.05, 20)]), [
    ['start', 10 * W_MS],
    ['end', 10 * W_MS, 30 * W_MS, true],
  ]);
  // A dip below threshold but above threshold-0.15 never counts as silence.
  t.same(feed([...run(0.9, 10), ...run(0.4, 30), ...run(0.9, 5)]).length, 2, 'still one open segment, closed by flush');
  // A short blip (3 windows = 96 ms < 250 ms) is dropped.
  t.same(feed([...run(0.9, 3), ...run(0.0, 20)]), [['start', 0], ['end', 0, 3 * W_MS, false]]);
  // Continuous speech is cut at maxUtteranceMs and goes on in a new segment.
  const long = feed(run(0.9, 150)); // 4.8 s
  t.same(long[1], ['end', 0, 94 * W_MS, true]);
  t.same(long[2], ['start', 94 * W_MS]);
  t.equal(long.at(-1)?.[0], 'flush');
  // A pause shorter than minSilence keeps the segment open.
  t.equal(feed([...run(0.9, 10), ...run(0.0, 10), ...run(0.9, 10), ...run(0.0, 20)]).filter((e) => e[0] === 'end').length, 1);
});

t.test('Silero keeps silence and quiet noise below threshold', async (t) => {
  const vad = await SileroVad.load();
  t.teardown(() => vad.close());
  const st = vad.newState();
  let silent = 0;
  for (let i = 0; i < 20; i++) silent = Math.max(silent, await vad.prob(st, new Float32Array(VAD_WINDOW)));
  t.ok(silent < 0.2, `silence p=${silent.toFixed(3)}`);
  const st2 = vad.newState();
  let noise = 0;
  for (let i = 0; i < 20; i++) noise = Math.max(noise, await vad.prob(st2, Float32Array.from({ length: VAD_WINDOW }, () => (Math.random() - 0.5) * 0.02)));
  t.ok(noise < 0.5, `quiet white noise p=${noise.toFixed(3)}`);
});
