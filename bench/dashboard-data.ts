// The store the dashboard-queries bench reads: N calls over `days` days (200 agents, 10 queues,
// two legs each, categories, intents, holds, alarms, surveys, KPI summaries and kpi_rollups as the
// kpi stage writes them). Transcripts (utterances + VAD speech events) exist only for the calls of
// the last `fullDays` days; older calls are summary-only, as if their transcripts had been purged.
// Written through openStore (so the schema is the product's, migrations included), with prepared
// statements in large transactions. Deterministic: a seeded PRNG drives everything but the clock.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMigrations, openStore } from '../src/store/index.js';
import { mulberry32 } from '../src/random.js';
import { connectionOf } from '../src/store/store.js';

/** Bump when the generated data changes shape: cached files of older generators are not reused. */
export const GENERATOR_VERSION = 1;
const DAY = 86_400_000;

export interface DataSet {
  path: string;
  calls: number;
  days: number;
  fullDays: number;
  /** The generation clock: "now" for every query of the bench. */
  now: number;
  generatedInMs: number;
}

export const CATEGORIES = ['greeting', 'billing', 'refund', 'cancel', 'complaint', 'upgrade', 'password-reset', 'delivery-late', 'competitor',
  'payment-failed', 'address-change', 'escalation', 'churn-threat', 'thanks', 'hold-long', 'price', 'contract', 'outage', 'roaming',
  'sim-card', 'invoice-copy', 'discount', 'abusive', 'legal-threat', 'supervisor-request'];
const RULES = ['negative-streak', 'long-silence', 'overtalk', 'competitor-named', 'abusive-language', 'compliance-missed', 'agent-daily-violations', 'negative-swings'];
const WORDS = ('i am calling about my bill the invoice shows a charge that i did not expect can you help me with the refund please ' +
  'thank you for waiting let me check your account i see the payment was declined yesterday we can set up a new card ' +
  'my internet has been down since monday the router keeps restarting would you like me to book a technician appointment ' +
  'i want to cancel my contract your competitor offers a better price i have been a customer for ten years this is unacceptable ' +
  'sorry to hear that let me transfer you to billing the delivery was late again could you send a copy of the invoice by email').split(' ');
const RARE_WORDS = ['ombudsman', 'solicitor', 'chargeback', 'fibre', 'voicemail', 'warranty', 'porting', 'tariff'];

const prng = mulberry32;

export function cachePath(calls: number, days: number, fullDays: number): string {
  const schema = loadMigrations().length;
  return join(tmpdir(), `earshot-dash-s${schema}-g${GENERATOR_VERSION}-${calls}c-${days}d-${fullDays}f.db`);
}

/** Reuses the cached file for these parameters and schema, or generates it. */
export function dataSet(opts: { calls: number; days: number; fullDays: number; fresh: boolean; log: (s: string) => void }): DataSet {
  const path = cachePath(opts.calls, opts.days, opts.fullDays);
  const meta = `${path}.json`;
  if (!opts.fresh && existsSync(path) && existsSync(meta)) return { ...(JSON.parse(readFileSync(meta, 'utf8')) as DataSet), path };
  for (const f of [path, `${path}-wal`, `${path}-shm`, `${path}.owner`, meta]) rmSync(f, { force: true });
  const started = Date.now();
  opts.log(`generating ${opts.calls.toLocaleString('en-US')} calls into ${path} ...`);
  const now = generate(path, opts.calls, opts.days, opts.fullDays, opts.log);
  const ds: DataSet = { path, calls: opts.calls, days: opts.days, fullDays: opts.fullDays, now, generatedInMs: Date.now() - started };
  writeFileSync(meta, JSON.stringify(ds));
  return ds;
}

function generate(path: string, n: number, days: number, fullDays: number, log: (s: string) => void): number {
  const rnd = prng(7);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)];
  const zipf = <T>(xs: readonly T[]) => xs[Math.min(xs.length - 1, Math.floor(xs.length * rnd() ** 2.5))];
  const now = Date.now();
  const from = now - days * DAY;
  // Call starts: uniform over the days, thinned outside 07-21 UTC (a contact centre's day).
  const starts: number[] = [];
  while (starts.length < n) {
    const t = from + rnd() * (days * DAY - 60_000);
    const h = new Date(t).getUTCHours();
    if (h >= 7 && h < 21 ? true : rnd() < 0.15) starts.push(Math.floor(t));
  }
  starts.sort((a, b) => a - b);
  const customers = Math.max(1, Math.floor(n * 0.45));
  const hashOf = (i: number) => createHash('sha256').update(`c${i}`).digest('hex').slice(0, 32);

  const store = openStore({ path, recover: false });
  const db = connectionOf(store);
  db.pragma('synchronous = OFF');
  const insCall = db.prepare('INSERT INTO calls (id, ingest, external_id, started_at, ended_at, state, agent_id, queue, customer_hash, duration_ms, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?)');
  const insLeg = db.prepare('INSERT INTO legs (id, call_id, role, label, codec, stats) VALUES (?,?,?,?,?,?)');
  const insUtt = db.prepare('INSERT INTO utterances (call_id, leg_id, role, seq, start_ms, end_ms, text, lang, sentiment, emotion, emotion_conf, categories, redactions) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)');
  const insEvent = db.prepare('INSERT INTO call_events (call_id, leg_id, kind, t_ms, data) VALUES (?,?,?,?,?)');
  const insAlarm = db.prepare('INSERT INTO alarms (call_id, agent_id, rule, severity, state, message, evidence, raised_at, acked_by, acked_at, resolved_by, resolved_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)');
  const insSurvey = db.prepare('INSERT INTO surveys (call_id, customer_hash, kind, score, received_at, source) VALUES (?,?,?,?,?,?)');
  const fullFrom = now - fullDays * DAY;
  const uuid = (i: number, leg: number) => {
    const h = createHash('md5').update(`${i}/${leg}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };

  const one = (i: number) => {
    const startedAt = starts[i];
    const id = uuid(i, 0);
    const agentNo = Math.floor(rnd() * 200);
    const agent = `agent-${String(agentNo + 1).padStart(3, '0')}`;
    const queue = `queue-${String((agentNo % 10) + 1).padStart(2, '0')}`;
    const hash = rnd() < 0.9 ? hashOf(Math.floor(customers * rnd() ** 1.5)) : null;
    const durationMs = Math.round(rnd() < 0.04 ? 2000 + rnd() * 7000 : Math.exp(Math.log(240_000) + 0.6 * (rnd() + rnd() + rnd() - 1.5)));
    const active = startedAt + durationMs > now;
    const legA = uuid(i, 1);
    const legC = uuid(i, 2);
    const negativeEnd = rnd() < 0.12;
    const custAvg = negativeEnd ? -0.3 - rnd() * 0.4 : -0.1 + rnd() * 0.6;
    const cats = new Map<string, number>();
    for (let k = Math.floor(rnd() * 4); k > 0; k--) {
      const c = zipf(CATEGORIES);
      cats.set(c, (cats.get(c) ?? 0) + 1);
    }
    if (rnd() < 0.002) cats.set('legal-threat', 1);
    const nAlarms = rnd() < 0.05 ? (rnd() < 0.8 ? 1 : 2) : 0;
    const qaScore = Math.round(40 + rnd() * 60);
    const emo = (neg: number) => ({ angry: Math.round(neg * 3), frustrated: Math.round(neg * 4 + rnd() * 2), neutral: 6 + Math.round(rnd() * 8), satisfied: Math.round(rnd() * 4) });
    const kpi = {
      version: 1, durationMs, short: durationMs < 10_000,
      agent: { talkMs: Math.round(durationMs * 0.45), interruptions: Math.floor(rnd() * 4), utterances: 8 + Math.floor(rnd() * 10), speechRate: 140 + Math.round(rnd() * 40) },
      customer: { talkMs: Math.round(durationMs * 0.35), interruptions: Math.floor(rnd() * 3), utterances: 6 + Math.floor(rnd() * 10), speechRate: 130 + Math.round(rnd() * 40) },
      silenceMs: Math.round(durationMs * 0.15), longestSilenceMs: Math.round(rnd() * 40_000), overtalkMs: Math.round(durationMs * 0.04 * rnd()),
      agentTalkRatio: 0.56, agentFirstWordsMs: 800 + Math.round(rnd() * 3000), holdMs: rnd() < 0.1 ? 60_000 : 0, holds: 0,
      sentiment: { customerStart: custAvg + 0.2, customerEnd: negativeEnd ? -0.5 : custAvg, customerAvg: custAvg, agentAvg: 0.2, negativeEnd, negativeSwing: negativeEnd && rnd() < 0.4,
        worst: [{ startMs: 30_000, sentiment: custAvg - 0.3, emotion: negativeEnd ? 'angry' : 'neutral' }], emotions: { agent: emo(0), customer: emo(negativeEnd ? 1 : 0.2) } },
      categories: Object.fromEntries(cats),
      network: { [legA]: { role: 'agent', packets: 12000, lost: 3, jitterMs: 4.2, mos: 4.3, lossRatio: 0.0003 }, [legC]: { role: 'customer', packets: 12000, lost: 40, jitterMs: 18.5, mos: 3.9, lossRatio: 0.0033 } },
      alarms: nAlarms,
    };
    const qa = [{ scorecard: 'default', score: qaScore, items: ['Greeting', 'Identity check', 'Empathy', 'Resolution offered', 'Closing'].map((label, k) => ({ id: `item-${k}`, label, weight: 1, passed: rnd() * 100 < qaScore, evidence: [] })) }];
    insCall.run(id, 'siprec', `sip-${i}@pbx`, startedAt, active ? null : startedAt + durationMs, active ? 'active' : 'ended', agent, queue, hash,
      active ? null : durationMs, active ? null : JSON.stringify({ qa, kpi }));
    const stats = JSON.stringify({ packets: 12000, lost: Math.floor(rnd() * 50), jitterMs: Math.round(rnd() * 300) / 10, mos: 3.5 + rnd() });
    insLeg.run(legA, id, 'agent', 'agent', 'PCMU', stats);
    insLeg.run(legC, id, 'customer', 'customer', 'PCMU', stats);

    const end = active ? now - startedAt : durationMs;
    const full = startedAt >= fullFrom;
    let rows = 3;
    if (full) {
      const nUtt = Math.max(2, Math.min(60, Math.round(end / 12_000)));
      const step = end / nUtt;
      for (let s = 0; s < nUtt; s++) {
        const role = s % 2 ? 'customer' : 'agent';
        const words: string[] = [];
        const start = WORDS.length - 12;
        const at = Math.floor(rnd() * start);
        for (let w = 0; w < 6 + Math.floor(rnd() * 12); w++) words.push(WORDS[at + (w % 12)]);
        if (rnd() < 0.003) words.push(pick(RARE_WORDS));
        const r = rnd();
        const emotion = role === 'customer' && negativeEnd && s > nUtt / 2 ? (r < 0.5 ? 'angry' : 'frustrated') : r < 0.03 ? 'angry' : r < 0.1 ? 'frustrated' : r < 0.85 ? 'neutral' : 'satisfied';
        const t0 = Math.round(s * step);
        const t1 = Math.round(t0 + step * 0.8);
        const cat = rnd() < 0.08 ? JSON.stringify([zipf(CATEGORIES)]) : '[]';
        insUtt.run(id, role === 'agent' ? legA : legC, role, s, t0, t1, words.join(' '), 'en', emotion === 'angry' ? -0.7 : emotion === 'frustrated' ? -0.4 : rnd() * 0.6, emotion, 0.6 + rnd() * 0.4, cat, rnd() < 0.05 ? 1 : 0);
        insEvent.run(id, role === 'agent' ? legA : legC, 'speech', t0, JSON.stringify({ startMs: t0, endMs: t1 }));
        rows += 2;
      }
    }
    let seq = 0;
    for (const [c, hits] of cats) for (let k = 0; k < hits; k++, rows++) insEvent.run(id, legC, 'category', Math.round(rnd() * end), JSON.stringify({ rule: c, utteranceSeq: seq++ }));
    if (rnd() < 0.02) insEvent.run(id, null, 'intent', end, JSON.stringify({ intent: 'churn-risk', confidence: 0.8, evidence: [] }));
    if (rnd() < 0.1) {
      insEvent.run(id, legA, 'hold', Math.round(end * 0.4), null);
      insEvent.run(id, legA, 'resume', Math.round(end * 0.4) + 60_000, null);
    }
    for (let k = 0; k < nAlarms; k++) {
      const raisedAt = startedAt + Math.round(rnd() * end);
      const age = now - raisedAt;
      const r = rnd();
      const state = age < 3_600_000 ? (r < 0.6 ? 'open' : r < 0.8 ? 'acked' : 'resolved') : r < 0.02 ? 'open' : r < 0.1 ? 'acked' : 'resolved';
      const rule = zipf(RULES);
      const sev = rule === 'abusive-language' || rule === 'compliance-missed' ? 'critical' : rule === 'long-silence' ? 'info' : 'warning';
      insAlarm.run(id, agent, rule, sev, state, `Rule ${rule} matched`, null, raisedAt, state === 'open' ? null : 'sup1', state === 'open' ? null : raisedAt + 60_000,
        state === 'resolved' ? 'sup1' : null, state === 'resolved' ? raisedAt + 300_000 : null);
      rows++;
    }
    if (!active && rnd() < 0.14) {
      const receivedAt = startedAt + durationMs + Math.round(rnd() * 2 * DAY);
      if (receivedAt < now) {
        const nps = rnd() < 0.72;
        const base = negativeEnd ? 3 : 8;
        const score = nps ? Math.max(0, Math.min(10, Math.round(base + (rnd() - 0.5) * 6))) : Math.max(1, Math.min(5, Math.round((base / 2 + (rnd() - 0.5) * 3))));
        insSurvey.run(id, hash, nps ? 'nps' : 'csat', score, receivedAt, 'api');
        rows++;
      }
    }
    return rows;
  };

  const BATCH = 20_000;
  let rows = 0;
  for (let i = 0; i < n; i += BATCH) {
    db.transaction(() => {
      for (let k = i; k < Math.min(n, i + BATCH); k++) rows += one(k);
    })();
    if ((i / BATCH) % 10 === 0) log(`  ${Math.min(n, i + BATCH).toLocaleString('en-US')} calls, ${rows.toLocaleString('en-US')} rows`);
  }
  log('  kpi_rollups ...');
  buildRollups(db, 7);
  log('  analyze ...');
  db.exec('ANALYZE');
  store.close();
  return now;
}

/** kpi_rollups for every ended call, as rollupBucket computes them, set-based (once per bucket × dim). */
function buildRollups(db: ReturnType<typeof connectionOf>, repeatWindowDays: number): void {
  db.exec(`CREATE TEMP TABLE f AS SELECT c.id, c.started_at, c.agent_id, c.queue, c.duration_ms,
    json_extract(c.summary, '$.kpi.short') AS short, json_extract(c.summary, '$.kpi.sentiment.customerAvg') AS sent,
    json_extract(c.summary, '$.kpi.sentiment.negativeEnd') AS neg, (SELECT COUNT(*) FROM alarms a WHERE a.call_id = c.id) AS alarms,
    (SELECT AVG(json_extract(q.value, '$.score')) FROM json_each(c.summary, '$.qa') q) AS qa, c.customer_hash IS NOT NULL AS known,
    (c.customer_hash IS NOT NULL AND EXISTS (SELECT 1 FROM calls p WHERE p.customer_hash = c.customer_hash AND p.id != c.id
      AND p.started_at < c.started_at AND p.started_at >= c.started_at - ${repeatWindowDays * DAY})) AS rep
    FROM calls c WHERE c.state != 'active'`);
  const sizes: [string, number][] = [['minute', 60_000], ['hour', 3_600_000], ['day', DAY]];
  db.transaction(() => {
    for (const [bucket, size] of sizes) {
      for (const [dim, col] of [['site', "'site-1'"], ['agent', 'agent_id'], ['queue', 'queue']]) {
        db.exec(`INSERT INTO kpi_rollups (bucket, bucket_start, dim, dim_value, metrics)
          SELECT '${bucket}', (started_at / ${size}) * ${size}, '${dim}', ${col}, json_object('calls', COUNT(*), 'counted', SUM(short = 0),
            'aht_ms', CAST(ROUND(AVG(CASE WHEN short = 0 THEN duration_ms END)) AS INTEGER), 'sentiment_avg', AVG(CASE WHEN short = 0 THEN sent END),
            'neg_end_share', AVG(CASE WHEN short = 0 THEN neg END), 'alarms', SUM(alarms), 'qa_avg', AVG(qa),
            'repeat_rate', CASE WHEN SUM(known) > 0 THEN 1.0 * SUM(rep) / SUM(known) END)
          FROM f WHERE ${col} IS NOT NULL GROUP BY 2, 4`);
      }
    }
  })();
  db.exec('DROP TABLE f');
}
