// Keyword watch worker thread: pocketsphinx keyphrase spotting, one small decoder per watched leg.
// It runs where the full recogniser cannot keep up, so it must be cheap: a kws search over a
// dictionary of only the phrases' words costs ~1/7 of LM decoding (BENCHMARKS.md) and 6 MB a leg.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { loadAddon, type PsDecoder } from './engines/pocketsphinx/addon.js';
import { indexDictionary, kwsFiles, parsePhrases } from './keyword-phrases.js';
import { Resampler, TARGET_RATE } from './resample.js';

export interface KeywordWorkerInit {
  hmm: string;
  dict: string;
  phrasesFile: string;
  threshold: number;
}

export type ToKeywordWorker =
  | { t: 'audio'; legId: string; samples: Int16Array; rate: number; tMs: number }
  | { t: 'end'; legId: string }
  | { t: 'close' };

export type FromKeywordWorker =
  | { t: 'ready'; phrases: number; skipped: Array<{ line: number; reason: string }> }
  | { t: 'fatal'; code: string; message: string }
  | { t: 'hit'; legId: string; phrase: string; startMs: number; endMs: number }
  | { t: 'progress'; sec: number }
  | { t: 'err'; legId: string; code: string };

const port = parentPort;
if (!port) throw new Error('keyword worker must run in a worker thread');
const init = workerData as KeywordWorkerInit;
const send = (m: FromKeywordWorker) => port.postMessage(m);
const FRAME_MS = 10; // pocketsphinx frames

// A fresh decoder's live cepstral mean is the model's wideband one; on telephone-band audio it
// spots nothing until it has adapted (~10 s here). So the first WARM_MS of a watch episode are
// decoded twice: once to adapt (results dropped), once to spot. Costs one extra pass over 8 s.
const WARM_MS = 8000;

interface Watched {
  dec: PsDecoder;
  rs: Resampler;
  /** Leg time (ms) of the first sample of the spotting pass. */
  startMs: number;
  /** pocketsphinx's frame counter at that sample: kws numbers frames from the decoder's creation. */
  frame0: number;
  /** Frames fed so far (the decoder's counter). */
  frames: number;
  /** Leg time (ms) just past the last sample fed. */
  atMs: number;
  /** 16 kHz audio held for the warm-up pass; undefined once spotting streams. */
  warm?: Int16Array[];
  warmSamples: number;
}

let dir: string | undefined;
let Decoder: ReturnType<typeof loadAddon>['Decoder'];
const legs = new Map<string, Watched>();
let done = 0; // seconds of audio spotted, reported so the main thread can bound the queue

try {
  Decoder = loadAddon().Decoder;
  const dict = indexDictionary(readFileSync(init.dict, 'utf8'));
  const list = parsePhrases(readFileSync(init.phrasesFile, 'utf8'), (w) => dict.has(w));
  const files = kwsFiles(list, dict, init.threshold);
  dir = mkdtempSync(join(tmpdir(), 'earshot-kws-'));
  writeFileSync(join(dir, 'keywords.kws'), files.kws);
  writeFileSync(join(dir, 'keywords.dict'), files.dict);
  send({ t: 'ready', phrases: list.phrases.length, skipped: list.skipped });
} catch (err) {
  const code = (err as { code?: unknown }).code;
  send({ t: 'fatal', code: typeof code === 'string' && code.startsWith('EARSHOT_ERR_') ? code : 'EARSHOT_ERR_KEYWORD_LIST', message: err instanceof Error ? err.message : String(err) });
  port.close();
}

function open(legId: string, rate: number, tMs: number): Watched {
  const dec = new Decoder({
    hmm: init.hmm,
    lm: '', // no LM: the kws search below is the only one
    dict: join(dir!, 'keywords.dict'),
    sampleRate: TARGET_RATE,
    args: ['-remove_noise', 'no', '-remove_silence', 'no', '-kws', join(dir!, 'keywords.kws')],
  });
  dec.start();
  const w: Watched = { dec, rs: new Resampler(rate), startMs: tMs, frame0: 0, frames: 0, atMs: tMs, warm: [], warmSamples: 0 };
  legs.set(legId, w);
  return w;
}

function close(legId: string): void {
  const w = legs.get(legId);
  if (!w) return;
  // A watch episode shorter than the warm-up: adapt and spot on what there is.
  if (w.warm?.length) warmUp(legId, w);
  legs.delete(legId);
  try {
    w.dec.end();
  } catch {
    // ending an utterance that never started: nothing to report
  }
  w.dec.free();
}

function audio(m: Extract<ToKeywordWorker, { t: 'audio' }>): void {
  let w = legs.get(m.legId);
  // A gap (the leg caught up, then fell behind again): start afresh at the new time.
  if (w && (w.rs.inRate !== m.rate || Math.abs(m.tMs - w.atMs) > 1000)) {
    close(m.legId);
    w = undefined;
  }
  w ??= open(m.legId, m.rate, m.tMs);
  const pcm = toPcm(w.rs.push(m.samples));
  w.atMs = m.tMs + (m.samples.length * 1000) / m.rate;
  done += m.samples.length / m.rate;
  if (w.warm) {
    w.warm.push(pcm);
    w.warmSamples += pcm.length;
    if (w.warmSamples >= (WARM_MS * TARGET_RATE) / 1000) warmUp(m.legId, w);
    return;
  }
  spot(m.legId, w, pcm);
}

function warmUp(legId: string, w: Watched): void {
  const held = w.warm ?? [];
  w.warm = undefined;
  for (const p of held) feed(w, p); // adapt; what it finds is dropped
  w.dec.end();
  w.dec.start();
  w.frame0 = w.frames;
  for (const p of held) spot(legId, w, p);
}

function toPcm(f: Float32Array): Int16Array {
  // No dither here, unlike the recogniser: on flite speech through the phone channel, ±1 LSB of
  // noise over the padding cost the spotter phrases it found without it (same audio, same list).
  const pcm = new Int16Array(f.length);
  for (let i = 0; i < f.length; i++) {
    const v = Math.round(f[i]! * 32767);
    pcm[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return pcm;
}

function feed(w: Watched, pcm: Int16Array): void {
  w.dec.process(pcm);
  w.frames += pcm.length / (TARGET_RATE / 100);
}

function spot(legId: string, w: Watched, pcm: Int16Array): void {
  // 10 ms steps, so a hit is reported (and the search reset) close to where the phrase ended.
  for (let off = 0; off < pcm.length; off += TARGET_RATE / 100) {
    feed(w, pcm.subarray(off, off + TARGET_RATE / 100));
    if (!w.dec.hyp()) continue;
    const r = w.dec.end();
    const word = r.words.find((x) => x.w.trim());
    const phrase = (word?.w ?? r.text).trim().replace(/\(\d+\)$/, '');
    const at = (frame: number) => Math.round(w.startMs + (frame - w.frame0) * FRAME_MS);
    const endMs = Math.min(word ? at(word.ef + 1) : at(w.frames), at(w.frames));
    // A hypothesis that ends empty (pocketsphinx drops a partial match at end_utt) is no hit.
    if (phrase) send({ t: 'hit', legId, phrase, startMs: word ? at(word.sf) : endMs, endMs });
    w.dec.start();
  }
}

let progressTimer: NodeJS.Timeout | undefined;
port.on('message', (m: ToKeywordWorker) => {
  if (!dir) return;
  switch (m.t) {
    case 'audio':
      try {
        audio(m);
      } catch (err) {
        close(m.legId);
        const code = (err as { code?: unknown }).code;
        send({ t: 'err', legId: m.legId, code: typeof code === 'string' ? code : 'EARSHOT_ERR_ASR' });
      }
      progressTimer ??= setTimeout(() => {
        progressTimer = undefined;
        send({ t: 'progress', sec: done });
      }, 100);
      break;
    case 'end':
      close(m.legId);
      send({ t: 'progress', sec: done });
      break;
    case 'close':
      for (const id of [...legs.keys()]) close(id);
      rmSync(dir, { recursive: true, force: true });
      port.close();
      break;
  }
});
