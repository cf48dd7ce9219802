// Understanding accuracy on the labelled corpus, through the real analysis stage: every corpus
// utterance goes in as a `transcript` event on a PipelineBus (as the speech stage emits it), and
// what comes out (`utterance` events: sentiment, emotion; `call.event` category hits; the call
// summary's emotion trajectory) is scored against the labels. Three columns: rules only, with the
// semantic layer's `similar:` examples (analysis.semantic.head off), and with the learned head too
// (the default config; config/semantic/head-{lang}.json, trained by bench/understanding-head.ts).
//
// Latency per utterance: wall time from the transcript event to the utterance event (what a live
// call waits, preemption on a loaded machine included) and the process CPU time over it.
// Run: npm run build && npm run bench:understanding -- [--corpus DIR] [--split dev|heldout|dev-c] [--json]
//        [--semantic-url URL] [--semantic-model M] [--lang en,zh] [--no-semantic] [--dump (per-utterance predictions, with --json)]
// Tuning uses --split dev only; the held-out split is for the figures in BENCHMARKS.md.
import { HEAD_CATEGORIES, type HeadCategory } from '../src/analysis/semantic/head.js';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createAnalysis, type AnalysisStage } from '../src/analysis/index.js';
import { NEG, POS } from '../src/analysis/emotion/fusion.js';
import { PipelineBus } from '../src/call/events.js';
import type { CallEvent, EmotionLabel, Role, Utterance } from '../src/call/types.js';
import { validateConfig } from '../src/config/index.js';
import type { Config } from '../src/config/schema.js';
import { createMetrics } from '../src/metrics/registry.js';
import { accuracy, confusion, detection, perClass, percentile, type Prf } from './understanding-metrics.js';

export const POLARITIES = ['negative', 'neutral', 'positive'] as const;
export const EMOTIONS = ['angry', 'frustrated', 'neutral', 'satisfied'] as const;
export type Polarity = (typeof POLARITIES)[number];
/** Corpus category -> the built-in rule id that detects it: the head's own table, so the two cannot drift. */
export const CATEGORY_RULES = HEAD_CATEGORIES;
export type Category = HeadCategory;
const CATEGORIES = Object.keys(CATEGORY_RULES) as Category[];
/**
 * Agent-side rules for the categories a corpus labels on agent turns too. The English guidelines
 * (corpus/understanding/README.md) label the agent escalating (a transfer to a manager, a formal
 * complaint raised) as escalation and agents' questions as inquiry; the Chinese ones label
 * neither on agent turns (zh/NOTES.md), so there only the customer rules count.
 */
const AGENT_RULES: Partial<Record<string, Partial<Record<Category, string>>>> = {
  en: { escalation: 'agent-escalation', inquiry: 'agent-question' },
};
const detects = (lang: string, c: Category, rules: Set<string>): boolean => rules.has(CATEGORY_RULES[c]) || rules.has(AGENT_RULES[lang]?.[c] ?? '');

interface Labelled {
  speaker: string;
  text: string;
  polarity: Polarity;
  emotion: EmotionLabel;
  categories: Category[];
}
interface UtteranceLine extends Labelled {
  id: string;
}
interface ConversationLine {
  id: string;
  utterances: Labelled[];
  call: { start: Polarity; end: Polarity; worst?: number; endsNegative: boolean };
}

const WARM_UP = [
  { speaker: 'customer', text: 'i have been waiting for twenty minutes and the app still does not work' },
  { speaker: 'agent', text: 'i am sorry about that let me check your account' },
  { speaker: 'customer', text: '我等了半个小时了还没人处理' },
  { speaker: 'agent', text: '不好意思让您久等了我帮您查一下' },
  { speaker: 'customer', text: 'thank you that is sorted now' },
];

export function polarityOf(s: number): Polarity {
  return s <= NEG ? 'negative' : s >= POS ? 'positive' : 'neutral';
}
const emotionPolarity = (e: EmotionLabel | undefined): Polarity => (e === 'angry' || e === 'frustrated' ? 'negative' : e === 'satisfied' ? 'positive' : 'neutral');
const role = (s: string): Role => (s === 'customer' || s === 'agent' ? s : 'unknown');

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => [l.trim(), i + 1] as const)
    .filter(([l]) => l !== '')
    .map(([l, n]) => {
      try {
        return JSON.parse(l) as T;
      } catch (err) {
        throw new Error(`${file}:${n}: not JSON (${(err as Error).message})`, { cause: err });
      }
    });
}

/** One analysis stage on its own bus, fed transcripts one at a time (awaiting idle() after each). */
class Harness {
  readonly utterances = new Map<string, Utterance>();
  readonly categories = new Map<string, Set<string>>();
  readonly latencies: number[] = [];
  /** Process CPU time over the same interval (all threads, GC helpers included, so it can exceed wall): on a loaded machine wall time also counts preemption. */
  readonly cpu: number[] = [];
  #sent = new Map<string, { t: bigint; cpu: NodeJS.CpuUsage }>();
  constructor(
    readonly stage: AnalysisStage,
    readonly bus: PipelineBus,
  ) {
    bus.on('utterance', (u) => {
      const key = `${u.callId}|${u.legId}|${u.seq}`;
      const t0 = this.#sent.get(key);
      if (t0 !== undefined) {
        this.latencies.push(Number(process.hrtime.bigint() - t0.t) / 1e6);
        const c = process.cpuUsage(t0.cpu);
        this.cpu.push((c.user + c.system) / 1000);
      }
      this.utterances.set(key, u);
    });
    bus.on('call.event', (e: CallEvent) => {
      if (e.kind !== 'category') return;
      let s = this.categories.get(e.callId);
      if (!s) this.categories.set(e.callId, (s = new Set()));
      s.add(String((e.data as { rule?: unknown }).rule));
    });
  }

  /** Plays a call; returns the analysed utterances in order (undefined where one was dropped). */
  async call(callId: string, lines: { speaker: string; text: string }[]): Promise<(Utterance | undefined)[]> {
    const seqs = new Map<string, number>();
    const keys: string[] = [];
    let tMs = 1000;
    for (const l of lines) {
      const r = role(l.speaker);
      const legId = `${callId}-${r}`;
      const seq = seqs.get(legId) ?? 0;
      seqs.set(legId, seq + 1);
      const durMs = 400 + 60 * l.text.split(/\s+/u).length;
      const key = `${callId}|${legId}|${seq}`;
      keys.push(key);
      this.#sent.set(key, { t: process.hrtime.bigint(), cpu: process.cpuUsage() });
      this.bus.emit('transcript', { callId, legId, role: r, seq, text: l.text, startMs: tMs, endMs: tMs + durMs, final: true });
      await this.stage.idle();
      tMs += durMs + 500;
    }
    this.bus.emit('call.ended', { callId, state: 'ended', endedAt: Date.now() });
    await this.stage.idle();
    return keys.map((k) => this.utterances.get(k));
  }
}

export interface LangResult {
  utterances: number;
  dropped: number;
  polarity: { accuracy: number; labels: readonly string[]; confusion: number[][]; byClass: Record<string, Prf> };
  emotion: { macroF1: number; byClass: Record<string, Prf> };
  categories: Record<Category, Prf>;
  conversations?: { n: number; start: number; end: number; endsNegative: number; worst: number };
  latencyMs: { p50: number; p95: number };
  cpuMs: { p50: number; p95: number };
  /** Per utterance, in corpus order (only with --dump): for cross-validating other classifiers against the rules on dev. */
  predictions?: { id: string; sentiment: number; polarity: Polarity; categories: Category[] }[];
}

async function runLang(cfg: Config, utts: UtteranceLine[], convs: ConversationLine[], lang: string, keep = false): Promise<LangResult> {
  const bus = new PipelineBus();
  const stage = await createAnalysis({ config: cfg, log: pino({ level: 'silent' }), bus, metrics: createMetrics({ defaults: false }) });
  const h = new Harness(stage, bus);
  try {
    // The semantic column measures the layer, not its start-up: wait until the server is up and
    // the rules' examples are embedded (a live call meanwhile gets rules only, counted as warming).
    if (cfg.analysis.semantic.enabled && !(await stage.semanticPrimed(180_000))) {
      throw new Error(`semantic layer not ready: ${stage.semantic().detail}`);
    }
    // Warm-up outside the figures: JIT, V8's regexp tier-up (each pattern compiles to native code
    // after some runs), jieba caches, a semantic layer's first connection. Fixed sentences, not the
    // corpus, so a semantic layer's cache holds none of the measured utterances.
    for (let i = 0; i < 40; i++) await h.call(`warm-${lang}-${i}`, WARM_UP);
    h.latencies.length = 0;
    h.cpu.length = 0;
    const goldP: Polarity[] = [];
    const predP: Polarity[] = [];
    const goldE: EmotionLabel[] = [];
    const predE: EmotionLabel[] = [];
    const goldC: Category[][] = [];
    const predC: Category[][] = [];
    let dropped = 0;
    const kept: NonNullable<LangResult['predictions']> = [];
    for (const [i, u] of utts.entries()) {
      const callId = `u-${lang}-${i}`;
      const [out] = await h.call(callId, [u]);
      if (!out) dropped++;
      const rules = h.categories.get(callId) ?? new Set<string>();
      goldP.push(u.polarity);
      predP.push(out ? polarityOf(out.sentiment) : 'neutral');
      goldE.push(u.emotion);
      predE.push(out?.emotion ?? 'neutral');
      goldC.push(u.categories ?? []);
      predC.push(CATEGORIES.filter((c) => detects(lang, c, rules)));
      if (keep) kept.push({ id: u.id, sentiment: out?.sentiment ?? 0, polarity: predP[predP.length - 1], categories: predC[predC.length - 1] });
    }
    const pol = perClass(goldP, predP, POLARITIES);
    const emo = perClass(goldE, predE, EMOTIONS);
    const res: LangResult = {
      utterances: utts.length,
      dropped,
      polarity: { accuracy: accuracy(goldP, predP), labels: POLARITIES, confusion: confusion(goldP, predP, POLARITIES), byClass: pol.classes },
      emotion: { macroF1: emo.macroF1, byClass: emo.classes },
      categories: detection(goldC, predC, CATEGORIES),
      latencyMs: { p50: 0, p95: 0 },
      cpuMs: { p50: 0, p95: 0 },
      ...(keep ? { predictions: kept } : {}),
    };
    if (convs.length) {
      let start = 0;
      let end = 0;
      let endsNeg = 0;
      let worst = 0;
      let withWorst = 0;
      for (const [i, c] of convs.entries()) {
        const callId = `c-${lang}-${i}`;
        const outs = await h.call(callId, c.utterances);
        const tr = stage.callSummary(callId)?.emotion;
        const summary = tr as (typeof tr & { endsNegative?: boolean }) | undefined;
        if (emotionPolarity(summary?.start) === c.call.start) start++;
        if (emotionPolarity(summary?.end) === c.call.end) end++;
        // The trajectory's own flag when it has one, else "ends on a negative label".
        const ends = summary?.endsNegative ?? emotionPolarity(summary?.end) === 'negative';
        if (ends === c.call.endsNegative) endsNeg++;
        if (c.call.worst !== undefined) {
          withWorst++;
          const w = summary?.worst;
          const idx = w ? outs.findIndex((o) => o?.legId === w.legId && o.seq === w.seq) : -1;
          if (idx === c.call.worst) worst++;
        }
      }
      const n = convs.length;
      res.conversations = { n, start: start / n, end: end / n, endsNegative: endsNeg / n, worst: withWorst ? worst / withWorst : NaN };
    }
    res.latencyMs = { p50: percentile(h.latencies, 50), p95: percentile(h.latencies, 95) };
    res.cpuMs = { p50: percentile(h.cpu, 50), p95: percentile(h.cpu, 95) };
    return res;
  } finally {
    stage.close();
  }
}

export interface Options {
  corpus: string;
  /** dev, heldout, or another batch's file name (dev-c reads <lang>/dev-c.jsonl). */
  split: string;
  json: boolean;
  langs?: string[];
  semanticUrl?: string;
  semanticModel?: string;
  /** Keep per-utterance predictions in the result (written with --json). */
  dump?: boolean;
  /** Rules column only. */
  noSemantic?: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { corpus: 'corpus/understanding', split: 'heldout', json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--corpus') o.corpus = val();
    else if (a === '--split') {
      const s = val();
      if (!/^[a-z0-9][a-z0-9-]{0,30}$/u.test(s)) throw new Error('--split is dev, heldout or a batch name such as dev-c (<lang>/<split>.jsonl)');
      o.split = s;
    } else if (a === '--json') o.json = true;
    else if (a === '--lang') o.langs = val().split(',');
    else if (a === '--semantic-url') o.semanticUrl = val();
    else if (a === '--semantic-model') o.semanticModel = val();
    else if (a === '--dump') o.dump = true;
    else if (a === '--no-semantic') o.noSemantic = true;
    else throw new Error(`unknown option ${a}`);
  }
  return o;
}

/**
 * The semantic column's config, or why there is none. Pluggable on purpose: the schema gains
 * `analysis.semantic` from another branch; until then the column says "not available".
 */
function hasSemantic(): boolean {
  return 'semantic' in (validateConfig({}).analysis as Record<string, unknown>);
}

/** Rules only: the default config, with the semantic layer switched off where the schema has one. */
export function rulesConfig(): Config {
  return hasSemantic() ? validateConfig({ analysis: { semantic: { enabled: false } } }) : validateConfig({});
}

export function semanticConfig(o: Pick<Options, 'semanticUrl' | 'semanticModel'>, head = true): { config: Config } | { unavailable: string } {
  if (!hasSemantic()) return { unavailable: 'the config schema has no analysis.semantic' };
  // A generous budget: quality is measured here; the live budget is a config setting of its own.
  // head: false = the `similar:` examples (and prototypes, if configured) without the learned head.
  // A long request timeout too: embedding the ~230 rule examples at start on a loaded machine must
  // not open the circuit (which would leave the column without figures).
  const semantic: Record<string, unknown> = { enabled: true, budgetMs: 5000, timeoutMs: 30000, ...(head ? {} : { head: '' }) };
  if (o.semanticUrl) semantic.url = o.semanticUrl;
  if (o.semanticModel) semantic.model = o.semanticModel;
  try {
    return { config: validateConfig({ analysis: { semantic } }) };
  } catch (err) {
    return { unavailable: (err as Error).message.split('\n')[0] };
  }
}

export type Column = { result: Record<string, LangResult> } | { unavailable: string };

export async function run(o: Options): Promise<{ split: string; langs: string[]; rules: Column; semantic: Column; head: Column }> {
  const root = resolve(o.corpus);
  if (!existsSync(root)) throw new Error(`corpus directory ${root} not found`);
  const langs = readdirSync(root, { withFileTypes: true })
    .filter((d) => (d.isDirectory() || d.isSymbolicLink()) && existsSync(join(root, d.name, `${o.split}.jsonl`)))
    .map((d) => d.name)
    .filter((l) => !o.langs || o.langs.includes(l))
    .sort();
  if (!langs.length) throw new Error(`no <lang>/${o.split}.jsonl under ${root}`);
  const data = langs.map((l) => {
    const conv = join(root, l, `conversations-${o.split}.jsonl`);
    return { lang: l, utts: readJsonl<UtteranceLine>(join(root, l, `${o.split}.jsonl`)), convs: existsSync(conv) ? readJsonl<ConversationLine>(conv) : [] };
  });
  const column = async (cfg: Config): Promise<Column> => {
    const result: Record<string, LangResult> = {};
    for (const d of data) result[d.lang] = await runLang(cfg, d.utts, d.convs, d.lang, o.dump);
    return { result };
  };
  const rules = await column(rulesConfig());
  const withSemantic = async (head: boolean): Promise<Column> => {
    const sem: ReturnType<typeof semanticConfig> = o.noSemantic ? { unavailable: '--no-semantic' } : semanticConfig(o, head);
    if ('unavailable' in sem) return sem;
    try {
      return await column(sem.config);
    } catch (err) {
      return { unavailable: (err as Error).message.split('\n')[0] };
    }
  };
  const semantic = await withSemantic(false);
  const head = await withSemantic(true);
  return { split: o.split, langs, rules, semantic, head };
}

const pct = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${(100 * x).toFixed(1)}%`);
const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '-' : `${x.toFixed(2)} ms`);

export function format(r: Awaited<ReturnType<typeof run>>): string {
  const out: string[] = [];
  const cols: [string, Column][] = [
    ['rules', r.rules],
    ['rules+semantic', r.semantic],
    ['rules+semantic+head', r.head],
  ];
  for (const [name, c] of cols) if ('unavailable' in c) out.push(`${name}: not available (${c.unavailable})`);
  const avail = cols.filter((c): c is [string, { result: Record<string, LangResult> }] => 'result' in c[1]);
  const W = 22;
  const row = (label: string, cells: string[]) => out.push(label.padEnd(30) + cells.map((c) => c.padStart(W)).join(''));
  for (const lang of r.langs) {
    const res = avail.map(([, c]) => c.result[lang]);
    out.push('', `== ${lang} (${r.split}: ${res[0].utterances} utterances${res[0].conversations ? `, ${res[0].conversations.n} conversations` : ''})`);
    row('', avail.map(([n]) => n));
    row('polarity accuracy', res.map((x) => pct(x.polarity.accuracy)));
    for (const p of POLARITIES) row(`  ${p} P / R`, res.map((x) => `${pct(x.polarity.byClass[p].precision)} / ${pct(x.polarity.byClass[p].recall)}`));
    row('emotion macro-F1', res.map((x) => pct(x.emotion.macroF1)));
    for (const e of EMOTIONS) row(`  ${e} P / R / F1`, res.map((x) => `${pct(x.emotion.byClass[e].precision)}/${pct(x.emotion.byClass[e].recall)}/${pct(x.emotion.byClass[e].f1)}`));
    for (const c of CATEGORIES) row(`${c} P / R (n=${res[0].categories[c].n})`, res.map((x) => `${pct(x.categories[c].precision)} / ${pct(x.categories[c].recall)}`));
    if (res[0].conversations) {
      row('call start agrees', res.map((x) => pct(x.conversations?.start)));
      row('call end agrees', res.map((x) => pct(x.conversations?.end)));
      row('call endsNegative agrees', res.map((x) => pct(x.conversations?.endsNegative)));
      row('call worst moment agrees', res.map((x) => pct(x.conversations?.worst)));
    }
    row('latency p50 / p95 (wall)', res.map((x) => `${ms(x.latencyMs.p50)} / ${ms(x.latencyMs.p95)}`));
    row('  CPU p50 / p95', res.map((x) => `${ms(x.cpuMs.p50)} / ${ms(x.cpuMs.p95)}`));
    if (res.some((x) => x.dropped)) row('utterances dropped', res.map((x) => String(x.dropped)));
    avail.forEach(([n], i) => {
      const m = res[i].polarity.confusion;
      out.push(`  polarity confusion (${n}; rows gold, columns predicted ${POLARITIES.map((p) => p.slice(0, 3)).join('/')}): ${m.map((r) => r.join(' ')).join(' | ')}`);
    });
  }
  return out.join('\n');
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  try {
    const o = parseArgs(process.argv.slice(2));
    const r = await run(o);
    process.stdout.write((o.json ? JSON.stringify(r, null, 2) : format(r)) + '\n');
  } catch (err) {
    process.stderr.write(`understanding bench: ${(err as Error).message}\n`);
    process.exitCode = 2;
  }
}
