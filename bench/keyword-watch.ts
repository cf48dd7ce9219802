// Keyword watch (speech.keywordWatch): what spotting costs against full decoding of the same audio,
// and what it finds. One long 8 kHz leg per flite voice (bench/speech-common.ts sentences through
// the telephone channel, 0.8 s apart) goes through the real spotter thread; the same sentences are
// decoded one by one by the embedded recogniser (profile accurate, as shipped; gaps not decoded,
// as the VAD would trim them, while the spotter hears everything: the ratio is conservative). LibriVox (no watch phrase in
// it) gives false alarms per hour of speech.
// Run: npm run build && node dist/bench/keyword-watch.js
import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { validateConfig } from '../src/config/index.js';
import { createPocketsphinxEngine } from '../src/speech/engines/pocketsphinx/index.js';
import { createKeywordWatch, type KeywordHit } from '../src/speech/keyword-watch.js';
import { Resampler } from '../src/speech/resample.js';
import { flite, librivox, telephone, VOICES, type Clip } from './speech-common.js';

const cfg = validateConfig({}).speech;
// Phrase → its section of the file ("# Escalation", "# Churn" ...): a hit is right when its group is
// the sentence's, e.g. "talk to your supervisor" heard for "speak to your supervisor".
const group = new Map<string, string>();
let section = '';
for (const line of readFileSync(cfg.keywordWatch.phrasesFile, 'utf8').split('\n')) {
  const head = /^#\s*(Escalation|Churn|Complaint|Abuse)\s*$/.exec(line);
  if (head) section = head[1]!.toLowerCase();
  const p = line.replace(/#.*/, '').replace(/\/.*\//, '').trim();
  if (p) group.set(p, section);
}
const phrases = [...group.keys()];
// What each bench sentence is, by hand (speech-common.ts SENTENCES, same order).
const SENTENCE_GROUP = ['escalation', 'complaint', 'churn', '', '', '', 'complaint', 'complaint', '', 'complaint', '', ''];
const GAP = new Int16Array(8000 * 0.8);

/** Clips joined into one 8 kHz telephone leg, with each clip's span (ms). */
function leg(clips: Clip[]): { pcm: Int16Array; parts: Int16Array[]; spans: Array<{ ref: string; from: number; to: number }> } {
  const parts = clips.map((c) => telephone(c.pcm16k));
  const pcm = new Int16Array(parts.reduce((n, p) => n + p.length + GAP.length, 0));
  const spans: Array<{ ref: string; from: number; to: number }> = [];
  let at = 0;
  parts.forEach((p, i) => {
    pcm.set(p, at);
    spans.push({ ref: clips[i]!.ref, from: (at * 1000) / 8000, to: ((at + p.length + GAP.length) * 1000) / 8000 });
    at += p.length + GAP.length;
  });
  return { pcm, parts, spans };
}

async function spot(pcm: Int16Array): Promise<{ hits: KeywordHit[]; cpuS: number }> {
  const hits: KeywordHit[] = [];
  const watch = createKeywordWatch(
    { hmm: cfg.pocketsphinx.hmm, dict: cfg.pocketsphinx.dict, phrasesFile: cfg.keywordWatch.phrasesFile, threshold: cfg.keywordWatch.threshold, maxLegs: 1, maxQueueSeconds: 1e9 },
    pino({ level: 'silent' }),
    (h) => hits.push(h),
  );
  if (!(await watch.ready)) throw new Error('keyword watch did not start');
  const c0 = process.cpuUsage(); // all threads of the process: the spotter's included
  for (let off = 0; off < pcm.length; off += 160) watch.audio('L', pcm.subarray(off, off + 160), 8000, (off * 1000) / 8000);
  watch.stop('L');
  await watch.idle();
  const cu = process.cpuUsage(c0);
  await watch.close();
  return { hits, cpuS: (cu.user + cu.system) / 1e6 };
}

/** Full decoding of each sentence alone (as the VAD would cut them: no gaps decoded). */
function decodeCpu(parts: Int16Array[]): number {
  const engine = createPocketsphinxEngine({ ...cfg.pocketsphinx });
  const fs = parts.map((p) => new Resampler(8000).push(p));
  const c0 = process.cpuUsage();
  for (const f of fs) {
    const s = engine.start();
    s.accept(f);
    s.end();
  }
  const cu = process.cpuUsage(c0);
  engine.close();
  return (cu.user + cu.system) / 1e6;
}

const contains = (ref: string) => phrases.filter((p) => ` ${ref} `.includes(` ${p} `));
let listed = 0; // sentences that say a listed phrase word for word
let listedFound = 0;
let groupWant = 0; // sentences of a watched kind (escalation, churn, complaint)
let groupFound = 0;
let wrong = 0; // hits of another group than the sentence's, or on a sentence of none
let audioS = 0;
let spotCpu = 0;
let fullCpu = 0;
for (const voice of VOICES) {
  const { pcm, parts, spans } = leg(flite([voice]));
  const { hits, cpuS } = await spot(pcm);
  audioS += pcm.length / 8000;
  spotCpu += cpuS;
  fullCpu += decodeCpu(parts);
  spans.forEach((s, i) => {
    const want = SENTENCE_GROUP[i] ?? '';
    const got = hits.filter((h) => h.startMs >= s.from && h.startMs < s.to);
    const right = got.filter((h) => want && group.get(h.phrase) === want);
    wrong += got.length - right.length;
    if (got.length > right.length) console.log(`  (wrong: ${got.filter((h) => !right.includes(h)).map((h) => `${h.phrase} [${group.get(h.phrase) ?? "?"}]`).join(", ")})`);
    if (want) {
      groupWant++;
      if (right.length) groupFound++;
    }
    if (contains(s.ref).length) {
      listed++;
      if (right.length) listedFound++;
    }
    if (want || got.length) console.log(`${voice.padEnd(6)} ${(want || '-').padEnd(10)} ${s.ref.padEnd(84)} → ${got.map((h) => h.phrase).join(', ') || '(nothing)'}`);
  });
}
const lv = leg(librivox());
const lvHits = await spot(lv.pcm);
const lvHours = lv.pcm.length / 8000 / 3600;
console.log('');
const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(0)} %`;
console.log(`sentences saying a listed phrase: ${listedFound} of ${listed} spotted (${pct(listedFound, listed)})`);
console.log(`sentences of a watched kind (escalation/churn/complaint): ${groupFound} of ${groupWant} (${pct(groupFound, groupWant)}); hits of the wrong kind or on other sentences: ${wrong}`);
console.log(`LibriVox (${(lvHours * 3600).toFixed(0)} s, no watch phrase): ${lvHits.hits.length} false alarms (${lvHits.hits.map((h) => h.phrase).join(', ') || 'none'})`);
console.log(`CPU per audio second: spotter ${(spotCpu / audioS).toFixed(4)} s, full decoding ${(fullCpu / audioS).toFixed(4)} s, ratio ${(fullCpu / spotCpu).toFixed(1)}x (${audioS.toFixed(0)} s of audio, ${phrases.length} phrases)`);
