import t from 'tap';
import { buildBatch } from '../../src/sync/aggregate.js';
import type { SyncCell } from '../../src/sync/payload.js';
import { HOUR, T0, addCall, openDb, seeded, syncConfig } from './helpers.js';

const H1 = T0 + HOUR;

/** billing: 6 full calls + 1 short one; sales: 4 calls (below the default minimum of 5). */
function fill(db: ReturnType<typeof openDb>): void {
  for (let i = 0; i < 6; i++) {
    addCall(db, {
      id: `b${i}`,
      endedAt: H1 + i * 60_000,
      queue: 'billing',
      agent: i < 5 ? 'alice' : 'bob',
      summary: { version: 1, durationMs: 60_000 + i * 10_000, agentTalkRatio: 0.5, silenceMs: 6_000 + i * 1000, sentiment: { customerAvg: 0.2 } },
      utterances: [{ text: 'hello', emotion: 'angry' }, { text: 'thanks', emotion: 'satisfied' }],
      categories: i < 3 ? [{ category: 'refund' }, { category: 'refund' }] : [{ rule: 'cancel' }],
      alarms: i < 2 ? [{ rule: 'abuse', severity: 'critical' }] : [],
      surveys: i < 5 ? [{ score: [10, 9, 8, 3, 0][i] }] : [],
    });
  }
  addCall(db, { id: 'bshort', endedAt: H1 + 30 * 60_000, queue: 'billing', agent: 'bob', summary: { durationMs: 3000, short: true } });
  for (let i = 0; i < 4; i++) addCall(db, { id: `s${i}`, endedAt: H1 + i * 60_000, queue: 'sales', agent: 'carol' });
}

const cellOf = (cells: SyncCell[], queue: string, agent?: string) => cells.find((c) => c.queue === queue && c.agent === agent);

t.test('exact aggregates per hour and queue; small cells suppressed', async (t) => {
  const db = openDb(t);
  fill(db);
  const batch = buildBatch(db, syncConfig(), T0, T0 + 2 * HOUR);
  t.equal(batch.cells.length, 1, 'only billing is reported');
  t.equal(batch.privacy.suppressedCells, 1, 'sales (4 calls) is suppressed');
  t.notOk(cellOf(batch.cells, 'sales'));
  const b = cellOf(batch.cells, 'billing')!;
  t.equal(b.hour, H1);
  t.equal(b.calls, 7, 'the short call counts as a call');
  t.same(b.kpi.durationMs, { mean: 85_000, p50: 85_000, p90: 105_000 }, 'short call left out of KPI figures');
  t.same(b.kpi.agentTalkRatio, { mean: 0.5, p50: 0.5, p90: 0.5 });
  t.equal(b.kpi.customerSentiment?.mean, 0.2);
  t.same(b.kpi.silenceRatio, { mean: 0.1, p50: 0.1, p90: 0.1 }, 'silence ratio from silenceMs / durationMs');
  t.same(b.categories, { cancel: 3, refund: 3 }, 'categories count calls, not hits');
  t.same(b.emotions, { angry: 6, frustrated: 0, neutral: 0, satisfied: 6 });
  t.same(b.nps, { promoters: 2, passives: 1, detractors: 2 });
  t.same(b.alarms, [{ rule: 'abuse', severity: 'critical', count: 2 }]);
  t.notOk('agent' in b, 'no agent without sync.agentLevel');
});

t.test('calls count in the period they ended in, not before or after', async (t) => {
  const db = openDb(t);
  fill(db);
  t.equal(buildBatch(db, syncConfig(), T0, H1).cells.length, 0);
  t.equal(buildBatch(db, syncConfig(), H1 + HOUR, H1 + 2 * HOUR).cells.length, 0);
  t.equal(buildBatch(db, syncConfig({ minCellCalls: 1 }), T0, T0 + 2 * HOUR).cells.length, 2, 'minCellCalls 1 shows sales');
  addCall(db, { id: 'live', endedAt: H1, state: 'active' });
  t.equal(buildBatch(db, syncConfig(), T0, T0 + 2 * HOUR).cells[0].calls, 7, 'an active call is not counted');
});

t.test('agent level: cells per agent, still suppressed below the minimum', async (t) => {
  const db = openDb(t);
  fill(db);
  const batch = buildBatch(db, syncConfig({ agentLevel: true }), T0, T0 + 2 * HOUR);
  t.same(batch.cells.map((c) => [c.queue, c.agent, c.calls]), [['billing', 'alice', 5]]);
  t.equal(batch.privacy.suppressedCells, 2, 'bob (2 calls) and carol (4 calls)');
  t.same(batch.cells[0].nps, { promoters: 2, passives: 1, detractors: 2 }, 'surveys follow their call to the agent cell');
});

t.test('Laplace noise changes counts; suppression is decided on true counts', async (t) => {
  const db = openDb(t);
  fill(db);
  const exact = buildBatch(db, syncConfig(), T0, T0 + 2 * HOUR);
  let changed = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const noisy = buildBatch(db, syncConfig({ laplaceEpsilon: 0.5 }), T0, T0 + 2 * HOUR, { random: seeded(seed) });
    t.same(noisy.cells.map((c) => c.queue), ['billing'], `seed ${seed}: same cells as without noise`);
    if (JSON.stringify(noisy.cells) !== JSON.stringify(exact.cells)) changed++;
    t.equal(noisy.batchId, exact.batchId, 'noise does not change the idempotency key');
  }
  t.ok(changed >= 19, `noise changed the counts in ${changed}/20 builds`);
  // Extreme draws: huge positive noise does not reveal sales, huge negative noise does not hide billing.
  const up = buildBatch(db, syncConfig({ laplaceEpsilon: 0.01 }), T0, T0 + 2 * HOUR, { random: () => 0.999999 });
  t.same(up.cells.map((c) => c.queue), ['billing']);
  t.ok(up.cells[0].calls > 100, 'noised upwards');
  const down = buildBatch(db, syncConfig({ laplaceEpsilon: 0.01 }), T0, T0 + 2 * HOUR, { random: () => 0.000001 });
  t.same(down.cells.map((c) => [c.queue, c.calls]), [['billing', 0]], 'noised to zero yet still reported, counts never negative');
  t.same(down.cells[0].kpi, exact.cells[0].kpi, 'KPI figures carry no noise');
});

t.test('malformed summaries, events and scores are skipped and reported', async (t) => {
  const db = openDb(t);
  const drops: string[] = [];
  for (let i = 0; i < 5; i++) {
    addCall(db, {
      id: `c${i}`,
      endedAt: H1,
      durationMs: i === 4 ? null : 30_000,
      rawSummary: ['{not json', '[1,2]', JSON.stringify({ kpis: { durationMs: -5, agentTalkRatio: 7 } }), JSON.stringify({ kpi: { durationMs: 40_000 } }), ''][i],
      categories: [{ category: 'card 4111 1111 1111 1111' }, { nothing: true }],
      utterances: [{ text: 'x', emotion: 'ecstatic' }],
      surveys: [{ score: 42 }],
      alarms: [{ rule: 'has spaces in it' }],
    });
  }
  const batch = buildBatch(db, syncConfig(), T0, T0 + 2 * HOUR, { onDrop: (r) => drops.push(r) });
  const c = batch.cells[0];
  t.equal(c.calls, 5);
  t.same(c.kpi.durationMs, undefined, 'only 4 readable durations (< 5): omitted');
  t.same(c.categories, {});
  t.same(c.alarms, []);
  t.equal(c.nps, undefined, 'no valid NPS answers: NPS omitted');
  t.same(c.emotions, { angry: 0, frustrated: 0, neutral: 0, satisfied: 0 });
  const count = (r: string) => drops.filter((d) => d === r).length;
  t.equal(count('summary-not-json'), 2);
  t.equal(count('summary-out-of-range'), 2);
  t.equal(count('category-id'), 10);
  t.equal(count('emotion-label'), 5);
  t.equal(count('nps-score'), 5);
  t.equal(count('alarm-rule'), 5);
});

t.test('channel is a cell key: voice and chat of one queue are separate cells, each suppressed on its own', async (t) => {
  const db = openDb(t);
  fill(db); // billing: 7 voice calls
  for (let i = 0; i < 5; i++) {
    addCall(db, { id: `chat${i}`, channel: 'chat', endedAt: H1 + i * 60_000, queue: 'billing', summary: { durationMs: 120_000 }, categories: [{ category: 'refund' }], surveys: [{ score: i < 4 ? 10 : 2 }] });
  }
  for (let i = 0; i < 2; i++) addCall(db, { id: `mail${i}`, channel: 'email', endedAt: H1 + i * 60_000, queue: 'billing' });
  const batch = buildBatch(db, syncConfig(), T0, T0 + 2 * HOUR);
  t.same(batch.cells.map((c) => [c.queue, c.channel, c.calls]), [['billing', 'voice', 7], ['billing', 'chat', 5]], 'voice before chat (CHANNELS order)');
  t.equal(batch.privacy.suppressedCells, 2, 'sales voice (4) and billing email (2)');
  const chat = batch.cells[1];
  t.same(chat.categories, { refund: 5 });
  t.same(chat.nps, { promoters: 4, passives: 0, detractors: 1 }, "surveys follow their call's channel");
  t.same(batch.cells[0].nps, { promoters: 2, passives: 1, detractors: 2 }, 'voice NPS unchanged by the chat answers');
  t.same(chat.kpi.durationMs, { mean: 120_000, p50: 120_000, p90: 120_000 });
});

t.test('a stored channel outside the enum never leaves: the call is left out and counted', async (t) => {
  const db = openDb(t);
  const drops: string[] = [];
  for (let i = 0; i < 5; i++) addCall(db, { id: `v${i}`, endedAt: H1, categories: [{ category: 'refund' }] });
  for (let i = 0; i < 5; i++) {
    addCall(db, { id: `x${i}`, channel: i < 3 ? 'Philomena +14155550123' : 'VOICE', endedAt: H1, categories: [{ category: 'refund' }], alarms: [{ rule: 'abuse' }], utterances: [{ text: 'x', emotion: 'angry' }], surveys: [{ score: 0 }] });
  }
  const batch = buildBatch(db, syncConfig({ minCellCalls: 1 }), T0, T0 + 2 * HOUR, { onDrop: (r) => drops.push(r) });
  t.same(batch.cells.map((c) => [c.channel, c.calls, c.categories, c.alarms.length, c.nps]), [['voice', 5, { refund: 5 }, 0, undefined]], 'only the five voice calls, none of the others\' children');
  t.same(drops, ['channel', 'channel', 'channel', 'channel', 'channel']);
  t.notMatch(JSON.stringify(batch), /Philomena|4155550123|VOICE/u);
});
