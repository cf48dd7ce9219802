// Topic discovery over recent customer utterances (all calls): what are people calling about
// right now? Greedy keyword clustering — deterministic, cheap, and good enough to surface a new
// spike ("outage", "double charge") without a model. Terms come from redacted text and are
// transcript content: show them in the console, never log them or send them upstream.
import { hasCjk } from './lang.js';
import { segmenter } from './sentiment/chinese.js';

const EN_STOP = new Set(
  ('the and for you your yours with that this have has had was were are is be been being not but what when where who why how can could would should will shall ' +
    'just like yeah yes okay ok well there here they them their then than from into onto about over under again also very really so too ' +
    'want wanted need needed get got going gonna know think said say tell told call calling called please thank thanks hello hi bye ' +
    'my me mine our ours we us him her his hers she he its it i im ive id dont didnt cant wont isnt doesnt any some all one two three ' +
    'did does doing done make made still now today let lets sure right something anything nothing because which would only much many ' +
    'sorry sir madam maam could able way time back look see come came take took give gave ask asked').split(' '),
);
const ZH_STOP = new Set(
  '我们 你们 他们 这个 那个 什么 怎么 就是 还是 然后 因为 所以 但是 可以 没有 一个 一下 现在 已经 这样 那样 不是 还有 如果 的话 知道 觉得 时候 这边 那边 您好 你好 谢谢 好的 请问 麻烦 一直 问题 可能 应该 需要 帮我 帮您'.split(' '),
);
const REDACTION = /^\[[A-Z]+\]$/u;

export interface TopicDoc {
  callId: string;
  utteranceId?: number;
  terms: Set<string>;
  /** The utterance's embedding when the semantic layer gave one (unit length). */
  vector?: Float32Array;
  zh?: boolean;
}

/**
 * Cosine at which two utterances count as saying the same thing (topic discovery by meaning): at
 * the strict end of the `similar` thresholds tuned on the dev split (en 0.88–0.90, zh 0.91–0.94);
 * Chinese sentences sit closer together in e5's space.
 */
const SAME = { en: 0.9, zh: 0.93 };
/** Meaning-based clustering looks at the most recent utterances that have vectors (O(n²)). */
const MAX_VECTORS = 500;

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export interface Topic {
  /** The most characteristic terms of the cluster, best first. */
  terms: string[];
  /** Utterances in the cluster. */
  size: number;
  /** Distinct calls in the cluster. */
  calls: number;
  /** Up to 5 utterances (by id when ids are assigned). */
  examples: { callId: string; utteranceId?: number }[];
}

/** Content words of a redacted utterance. */
export function terms(text: string): Set<string> {
  const out = new Set<string>();
  for (const raw of text.toLowerCase().split(/[^\p{L}\p{N}'[\]]+/u)) {
    if (!raw || REDACTION.test(raw.toUpperCase())) continue;
    if (hasCjk(raw)) {
      for (const w of segmenter().cut(raw, true)) if (w.length >= 2 && hasCjk(w) && !ZH_STOP.has(w)) out.add(w);
      continue;
    }
    let w = raw.replace(/'/gu, '');
    if (w.length < 3 || EN_STOP.has(w) || /^\d+$/u.test(w)) continue;
    if (w.length > 4 && w.endsWith('s') && !w.endsWith('ss')) w = w.slice(0, -1); // bills → bill
    out.add(w);
  }
  return out;
}

export class TopicDiscovery {
  readonly #docs: TopicDoc[] = [];
  constructor(private readonly max = 2000) {}

  add(callId: string, text: string, utteranceId?: number, vector?: Float32Array): void {
    const t = terms(text);
    if (!t.size) return;
    this.#docs.push({ callId, utteranceId, terms: t, ...(vector ? { vector, zh: hasCjk(text) } : {}) });
    if (this.#docs.length > this.max) this.#docs.shift();
  }

  get size(): number {
    return this.#docs.length;
  }

  topics(opts: { k?: number; minSize?: number } = {}): Topic[] {
    const k = opts.k ?? 10;
    const minSize = opts.minSize ?? 3;
    const docs = this.#docs;
    const df = new Map<string, number>();
    for (const d of docs) for (const w of d.terms) df.set(w, (df.get(w) ?? 0) + 1);
    // Terms in more than half the utterances are the domain's background, not a topic.
    const seeds = [...df.entries()].filter(([, n]) => n >= minSize && n <= Math.max(minSize, docs.length / 2)).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    const taken = new Set<TopicDoc>();
    const out: Topic[] = [];
    const near = (a: TopicDoc, b: TopicDoc) => a.vector && b.vector && a.zh === b.zh && cos(a.vector, b.vector) >= (a.zh ? SAME.zh : SAME.en);
    const recent = docs.filter((d) => d.vector).slice(-MAX_VECTORS);
    const describe = (members: TopicDoc[], seed?: string): Topic => {
      const inCluster = new Map<string, number>();
      for (const d of members) for (const w of d.terms) inCluster.set(w, (inCluster.get(w) ?? 0) + 1);
      const score = (w: string, n: number) => n * Math.log((docs.length + 1) / (df.get(w) ?? 1));
      const top = [...inCluster.entries()].filter(([w, n]) => w === seed || n >= 2 || !seed).sort((a, b) => score(b[0], b[1]) - score(a[0], a[1]) || a[0].localeCompare(b[0]));
      const termsOut = [...(seed ? [seed] : []), ...top.map(([w]) => w).filter((w) => w !== seed)].slice(0, 4);
      return {
        terms: termsOut,
        size: members.length,
        calls: new Set(members.map((d) => d.callId)).size,
        examples: members.slice(-5).map((d) => ({ callId: d.callId, ...(d.utteranceId !== undefined ? { utteranceId: d.utteranceId } : {}) })),
      };
    };
    for (const [seed] of seeds) {
      if (out.length >= k) break;
      const members = docs.filter((d) => !taken.has(d) && d.terms.has(seed));
      if (members.length < minSize) continue;
      for (const d of members) taken.add(d);
      // By meaning: paraphrases without the seed word join the topic ("double charge" and "you took
      // the money two times"); languages stay apart, their cosines are not comparable.
      const more = recent.filter((d) => !taken.has(d) && members.some((m) => near(m, d)));
      for (const d of more) taken.add(d);
      out.push(describe([...members, ...more], seed));
    }
    // Topics no shared word reveals: the utterance with the most paraphrases among those left seeds one.
    const left = recent.filter((d) => !taken.has(d));
    const nb = new Map<TopicDoc, TopicDoc[]>(left.map((d) => [d, left.filter((x) => x !== d && near(d, x))]));
    const free = new Set(left);
    while (out.length < k && free.size >= minSize) {
      let best: TopicDoc[] = [];
      for (const d of free) {
        const group = [d, ...nb.get(d)!.filter((x) => free.has(x))];
        if (group.length > best.length) best = group;
      }
      if (best.length < minSize) break;
      for (const d of best) free.delete(d);
      out.push(describe(best));
    }
    return out;
  }
}
