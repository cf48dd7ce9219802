import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { BUCKET_MS, recordSurvey, type Bucket } from '../kpi/index.js';
import { rollupStoredBucket, rollupStoredCall } from '../kpi/store-rollups.js';
import type { Store } from '../store/types.js';
import { CaseService } from './cases.js';
import { careMetrics } from './metrics.js';
import { SurveyTriggers } from './triggers.js';
import { CareWebhooks } from './webhooks.js';
import type { Metrics } from '../metrics/registry.js';
import { mulberry32 } from '../random.js';

// The demo's month of history: calls with agents, queues, transcripts, categories, QA, alarms,
// surveys and care cases, so every dashboard is alive on a fresh install. Every row it writes is
// listed in demo_rows; `earshot demo purge` removes exactly those. Nothing here reaches a webhook.

const DAY = 86_400_000;
const MIN = 60_000;
const AGENTS = ['agent-ann', 'agent-bo', 'agent-chen', 'agent-dev', 'agent-eli', 'agent-fay', 'agent-gus', 'agent-hui'];
const QUEUES = ['billing', 'support', 'sales'];
/** Each agent's quality (0-1): drives how calls end, QA scores and NPS; ann and chen are the best. */
const SKILL: Record<string, number> = { 'agent-ann': 0.95, 'agent-bo': 0.5, 'agent-chen': 0.9, 'agent-dev': 0.4, 'agent-eli': 0.55, 'agent-fay': 0.6, 'agent-gus': 0.3, 'agent-hui': 0.65 };

const OPENINGS = ['hello i was charged twice on my bill', 'my internet has been down since yesterday', 'i want to upgrade my plan', '我的账单有问题，扣了两次费'];
const COMPLAINTS = ['this is the third time i call about this', 'nobody has fixed it and i am really annoyed', '你们的服务太差了'];
const GOOD_EMPATHY = ['i completely understand your frustration and i will sort it out now', '非常抱歉给您带来不便，我马上为您处理'];
const PLAIN = ['let me check that for you', 'one moment please', 'i see'];
const GOOD_HOLD = ['may i place you on a brief hold while i check your account'];
const PLAIN_HOLD = ['hold on'];
const GOOD_CLOSE = ['is there anything else i can help you with today, thank you for your patience'];
const PLAIN_CLOSE = ['ok bye'];

export interface BackfillOptions {
  days?: number;
  callsPerDay?: number;
  now?: number;
  seed?: number;
}

export interface BackfillResult {
  skipped: boolean;
  calls: number;
  surveys: number;
  alarms: number;
  cases: number;
}

/** Writes the month (once: a database that already has demo rows is left as it is). */
export function backfillDemo(deps: { store: Store; config: Pick<Config, 'care' | 'surveys' | 'site' | 'kpi'>; log: Logger; metrics: Metrics }, o: BackfillOptions = {}): BackfillResult {
  const { store, config } = deps;
  const demo = store.repos.demo;
  if ((demo.counts().calls ?? 0) > 0) return { skipped: true, calls: 0, surveys: 0, alarms: 0, cases: 0 };
  const now = o.now ?? Date.now();
  const days = o.days ?? 30;
  const perDay = o.callsPerDay ?? 40;
  const rnd = mulberry32(o.seed ?? 20);
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  // A clock the back-fill moves through the month; hooks: none (demo cases must not reach a CRM).
  let clock = now - days * DAY;
  const m = careMetrics(deps.metrics.registry);
  const hooks = new CareWebhooks(store.repos.webhookOutbox, [], config.site.id);
  const triggers = new SurveyTriggers(store.repos.cases, config, hooks, m, () => clock, rnd);
  const cases = new CaseService({ store, config, log: deps.log, metrics: m, webhooks: hooks, triggers, now: () => clock });
  const out: BackfillResult = { skipped: false, calls: 0, surveys: 0, alarms: 0, cases: 0 };
  const customers = Array.from({ length: 400 }, (_, i) => `demo-cust-${String(i).padStart(4, '0')}`);
  const openCases: { id: number; at: number }[] = [];

  const write = () => store.repos.demo.transaction(() => {
    for (let d = 0; d < days; d++) {
      const dayStart = Math.floor((now - (days - d) * DAY) / DAY) * DAY;
      for (let i = 0; i < perDay; i++) {
        const agentId = pick(AGENTS);
        const skill = SKILL[agentId];
        const customerHash = pick(customers);
        const startedAt = dayStart + 8 * 3_600_000 + Math.floor(rnd() * 11 * 3_600_000);
        if (startedAt >= now - 10 * MIN) continue;
        clock = startedAt;
        const callId = randomUUID();
        const queue = pick(QUEUES);
        store.upsertCall({ callId, ingest: 'import', externalId: `demo-history-${callId}`, startedAt, agentId, queue, customerHash, source: 'demo' });
        const legs = { customer: `${callId}-c`, agent: `${callId}-a` };
        store.addLeg({ legId: legs.customer, callId, role: 'customer', label: '0' });
        store.addLeg({ legId: legs.agent, callId, role: 'agent', label: '1' });
        const complaint = rnd() < 0.45;
        const good = rnd() < skill;
        // Only the best agents use the coaching phrases: the coaching panel finds them.
        const polished = skill >= 0.85 && good;
        const angry = complaint && !good && rnd() < 0.6;
        const abusive = angry && rnd() < 0.1;
        const competitor = !good && rnd() < 0.08;
        const hold = rnd() < 0.4;
        const cats: Record<string, number> = {};
        const turns: { role: 'agent' | 'customer'; text: string; s: number; cat?: string }[] = [{ role: 'customer', text: pick(OPENINGS), s: complaint ? -0.3 : 0.1 }];
        if (complaint) turns.push({ role: 'customer', text: pick(COMPLAINTS), s: -0.6, cat: 'complaint' });
        turns.push({ role: 'agent', text: complaint && polished ? pick(GOOD_EMPATHY) : pick(PLAIN), s: 0.2 });
        if (hold) turns.push({ role: 'agent', text: polished ? pick(GOOD_HOLD) : pick(PLAIN_HOLD), s: 0 });
        if (competitor) turns.push({ role: 'customer', text: 'brand x offered me a better price', s: -0.1, cat: 'competitor-mention' });
        if (abusive) turns.push({ role: 'customer', text: 'you are [redacted] useless', s: -0.9, cat: 'abusive-language' });
        if (angry) turns.push({ role: 'customer', text: 'i am cancelling if this is not fixed', s: -0.8, cat: 'churn-intent' });
        turns.push({ role: 'agent', text: polished ? pick(GOOD_CLOSE) : pick(PLAIN_CLOSE), s: 0.2 });
        turns.push({ role: 'customer', text: good ? 'thanks that helps' : 'fine', s: good ? 0.6 : angry ? -0.7 : -0.1 });
        let t = 0;
        let seq = 0;
        const worst: { utteranceId: number; startMs: number; sentiment: number; emotion: 'angry' | 'neutral' }[] = [];
        for (const turn of turns) {
          const dur = 2500 + Math.floor(rnd() * 4000);
          const id = store.addUtterance({ callId, legId: legs[turn.role], role: turn.role, seq: seq++, text: turn.text, lang: /\p{Script=Han}/u.test(turn.text) ? 'zh' : 'en', startMs: t, endMs: t + dur, sentiment: turn.s, emotion: turn.s < -0.5 ? 'angry' : 'neutral', emotionConfidence: 0.7, categories: turn.cat ? [turn.cat] : [], redactions: turn.text.includes('[redacted]') ? 1 : 0 });
          if (turn.cat) {
            cats[turn.cat] = (cats[turn.cat] ?? 0) + 1;
            store.addCallEvent({ callId, legId: legs[turn.role], kind: 'category', tMs: t + dur, data: { category: turn.cat } });
          }
          if (turn.role === 'customer' && turn.s < 0) worst.push({ utteranceId: id, startMs: t, sentiment: turn.s, emotion: turn.s < -0.5 ? 'angry' : 'neutral' });
          if (hold && turn.role === 'agent' && turns.indexOf(turn) === turns.findIndex((x) => x.role === 'agent') + 1) store.addCallEvent({ callId, kind: 'hold', tMs: t + dur + 500 });
          t += dur + 800;
        }
        const durationMs = t + Math.floor(rnd() * 120_000);
        const custS = turns.filter((x) => x.role === 'customer').map((x) => x.s);
        const negativeEnd = custS[custS.length - 1] < -0.2;
        const qaScore = Math.round(Math.min(100, Math.max(20, skill * 100 + (rnd() - 0.5) * 30)));
        store.endCall(callId, 'ended', startedAt + durationMs, {
          kpi: {
            version: 1, durationMs, short: false, categories: cats, alarms: angry ? 1 : 0, holds: hold ? 1 : 0, holdMs: hold ? 30_000 : 0,
            sentiment: { customerStart: custS[0], customerEnd: custS[custS.length - 1], customerAvg: custS.reduce((a, b) => a + b, 0) / custS.length, agentAvg: 0.2, negativeEnd, negativeSwing: negativeEnd && custS[0] >= 0, worst: worst.sort((a, b) => a.sentiment - b.sentiment).slice(0, 3) },
          },
          qa: [{ scorecard: 'default', score: qaScore, items: [{ id: 'empathy', label: 'Acknowledges the problem', weight: 2, passed: good, evidence: [] }] }],
        }, 'end-of-file');
        demo.mark('calls', callId);
        out.calls++;
        if (angry) {
          const a = store.insertAlarm({ callId, agentId, rule: abusive ? 'abusive-language' : 'customer-negative-streak', severity: abusive ? 'critical' : 'warning', state: 'open', message: 'Customer negative several times in a row', raisedAt: startedAt + 30_000, evidence: worst.map((w) => w.utteranceId) });
          demo.mark('alarms', a.id);
          out.alarms++;
          if (startedAt < now - 2 * DAY) store.transitionAlarm(a.id, rnd() < 0.5 ? 'resolved' : 'acked', pick(['sup-lee', 'sup-mo']), 'called back');
        }
        store.flush();
        rollupStoredCall(store, callId, { siteId: config.site.id, repeatWindowDays: config.kpi.repeatWindowDays });
        // A survey for about a third of the calls (none after abuse), answered a few hours later.
        if (!abusive && rnd() < 0.35) {
          clock = startedAt + durationMs + (1 + Math.floor(rnd() * 6)) * 3_600_000;
          if (clock >= now) continue;
          const base = negativeEnd ? 3 : good ? 9 : 7;
          const score = Math.max(0, Math.min(10, base + Math.round((rnd() - 0.5) * 3)));
          const s = recordSurvey(store.repos.surveys, { callId, kind: 'nps', score, receivedAt: clock }, { now: clock, repeatWindowDays: config.kpi.repeatWindowDays, source: 'api' });
          demo.mark('surveys', s.id);
          out.surveys++;
          // Some detractors get no case (the team is busy): their next answer is the comparison.
          if (score <= 6 && rnd() < 0.3) {
            const later = clock + (2 + Math.floor(rnd() * 5)) * DAY;
            if (later < now && rnd() < 0.6) {
              const s2 = recordSurvey(store.repos.surveys, { customerHash, kind: 'nps', score: Math.floor(rnd() * 8), receivedAt: later }, { now: later, repeatWindowDays: config.kpi.repeatWindowDays });
              demo.mark('surveys', s2.id);
              out.surveys++;
            }
            continue;
          }
          const c = cases.onSurvey({ ...s, receivedAt: clock });
          if (c) {
            demo.mark('cases', c.id);
            out.cases++;
            openCases.push({ id: c.id, at: clock });
          }
        }
      }
      // Work the cases: most are contacted within a day and resolved; a few stay open past their SLA.
      for (const oc of openCases.splice(0)) {
        if (rnd() < 0.15) continue;
        clock = oc.at + Math.floor(rnd() * 20) * 3_600_000;
        if (clock >= now) continue;
        if (rnd() < 0.5) cases.assign(oc.id, pick(['sup-lee', 'sup-mo']), { assignee: pick(['sup-lee', 'sup-mo']) });
        cases.transition(oc.id, 'contacted', 'sup-lee');
        clock += 2 * 3_600_000;
        if (clock >= now) continue;
        const outcome = pick(['refunded', 'explained', 'retained', 'churned']);
        cases.transition(oc.id, 'resolved', 'sup-lee', { outcome });
        const req = store.repos.cases.requestForCase(oc.id);
        if (req) demo.mark('survey_requests', req.id);
        // Half the follow-ups are answered; cased customers mostly come back happier.
        clock += 24 * 3_600_000;
        if (clock < now && rnd() < 0.5) {
          const s = recordSurvey(store.repos.surveys, { customerHash: store.repos.cases.get(oc.id)?.customerHash, kind: 'nps', score: outcome === 'churned' ? 2 : 7 + Math.floor(rnd() * 4), receivedAt: clock }, { now: clock, repeatWindowDays: config.kpi.repeatWindowDays });
          demo.mark('surveys', s.id);
          out.surveys++;
        }
      }
    }
    // The demo's own overdue cases escalate now (only those: real cases are the live stage's).
    clock = now;
    cases.escalate((c) => demo.has('cases', c.id));
  });
  write();
  deps.log.info(out, 'demo history written');
  return out;
}

/** Removes every row the back-fill wrote and recomputes the rollup buckets they were in. */
export function purgeDemo(store: Store, config: Pick<Config, 'site' | 'kpi'>): Partial<Record<string, number>> {
  const { removed, calls } = store.repos.demo.purge();
  const opts = { siteId: config.site.id, repeatWindowDays: config.kpi.repeatWindowDays };
  const done = new Set<string>();
  store.repos.demo.transaction(() => {
    for (const c of calls) {
      for (const bucket of Object.keys(BUCKET_MS) as Bucket[]) {
        const from = Math.floor(c.startedAt / BUCKET_MS[bucket]) * BUCKET_MS[bucket];
        for (const [dim, v] of [['site', config.site.id], ['agent', c.agentId], ['queue', c.queue]] as const) {
          const k = `${bucket}:${from}:${dim}:${v}`;
          if (!v || done.has(k)) continue;
          done.add(k);
          rollupStoredBucket(store, bucket, from, dim, v, opts);
        }
      }
    }
  });
  return removed;
}
