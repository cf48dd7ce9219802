import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import t from 'tap';
import { createMetrics } from '../../src/metrics/registry.js';
import { buildBatch } from '../../src/sync/aggregate.js';
import { createSync } from '../../src/sync/index.js';
import { syncPreview } from '../../src/sync/preview.js';
import { canonicalJson } from '../../src/sync/sign.js';
import { HOUR, T0, addCall, openDb, syncConfig, storeOver } from './helpers.js';

// Everything here is personal or identifying and must never appear in anything sync builds.
const NAME = 'Philomena Grubbwater';
const AGENT = 'Zebediah.Quartermaine';
const AGENT2 = 'Ignatius Fernsby';
/** Agent names are sent only with sync.agentLevel, which is the point of that setting. */
const AGENT_NEEDLES = [AGENT, 'Zebediah', 'Quartermaine', AGENT2, 'Ignatius', 'Fernsby'];
const PHONE = '+14155550123';
const CARD = '4111111111111111';
const HASH = 'custhash-8c1f0e9d7b';
const WORD = 'xylophonicity';
const CALLID_EXT = 'Bartholomew-77ab@pbx.example';
const DTMF = '8675309';
const NEEDLES = [NAME, 'Philomena', 'Grubbwater', PHONE, '4155550123', '5550123', CARD, '41111111', HASH, '8c1f0e9d7b', WORD, CALLID_EXT, 'Bartholomew', 'pbx.example', DTMF, 'carrier.example'];

function fill(db: ReturnType<typeof openDb>): string[] {
  const ids: string[] = [];
  const add = (queue: string, agent: string, h: number, i: number) => {
    const id = randomUUID();
    ids.push(id);
    addCall(db, {
      id,
      endedAt: T0 + h * HOUR + i * 60_000,
      queue,
      agent,
      customerHash: `${HASH}-${i}`,
      externalId: `${CALLID_EXT}-${id}`,
      legLabel: `sip:${PHONE}@carrier.example;name=${NAME}`,
      summary: {
        durationMs: 61_000 + i * 1000,
        agentTalkRatio: 0.4,
        customerName: NAME,
        caller: PHONE,
        sentiment: { customerAvg: -0.3, worst: [{ text: `${NAME} said ${WORD}`, startMs: 1000 }] },
        notes: `card ${CARD}`,
      },
      utterances: [
        { text: `my name is ${NAME}, my card is ${CARD}`, emotion: 'angry' },
        { text: `call me on ${PHONE}, it is ${WORD}`, emotion: 'neutral' },
      ],
      categories: [{ category: 'refund', text: `${NAME} wants a refund`, phone: PHONE }, { category: `${NAME} said ${WORD}` }],
      events: [{ kind: 'dtmf', data: { digits: DTMF } }],
      alarms: [{ rule: 'abuse', severity: 'critical', message: `${NAME} (${PHONE}) was abusive to ${AGENT}` }],
      surveys: [{ score: 9, customerHash: `${HASH}-survey` }],
    });
  };
  for (let h = 0; h < 3; h++) {
    for (let i = 0; i < 8; i++) add('billing', i % 2 ? AGENT : `sip:${AGENT}@pbx.example`, h, i);
    for (let i = 0; i < 6; i++) add(PHONE, AGENT2, h, i); // a DID used as queue
  }
  db.prepare(`INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, 'view.transcript', ?, ?)`).run(T0, AGENT, ids[0], NAME);
  return ids;
}

function leaks(text: string, needles: string[]): string[] {
  const lower = text.toLowerCase();
  return needles.filter((n) => lower.includes(n.toLowerCase()));
}

t.test('no payload carries text, numbers, names, hashes or ids', async (t) => {
  const db = openDb(t);
  const callIds = fill(db);
  const all = [...NEEDLES, ...callIds];
  const withAgents = [...all, ...AGENT_NEEDLES];

  // The scanner works: the database itself is full of them.
  const dump = JSON.stringify(['calls', 'legs', 'utterances', 'call_events', 'alarms', 'surveys'].map((tb) => db.prepare(`SELECT * FROM ${tb}`).all()));
  t.same(leaks(dump, withAgents), withAgents, 'every needle is in the database');

  const payloads: { text: string; agentLevel: boolean }[] = [];
  for (const agentLevel of [false, true]) {
    for (const eps of [0, 1]) {
      const config = syncConfig({ agentLevel, laplaceEpsilon: eps, minCellCalls: 1 });
      const add = (text: string) => payloads.push({ text, agentLevel });
      for (let h = 0; h < 3; h++) add(canonicalJson(buildBatch(db, config, T0 + h * HOUR, T0 + (h + 1) * HOUR)));
      add(canonicalJson(buildBatch(db, config, T0 - 86_400_000, T0 + 86_400_000)));
      add(syncPreview(db, config, { from: T0, to: T0 + HOUR }).body);
    }
  }
  // What the running sync queues for sending (the outbox rows), with agent level on.
  const config = syncConfig({ agentLevel: true, minCellCalls: 1 });
  const sync = createSync({ config, log: pino({ level: 'silent' }), store: storeOver(db), metrics: createMetrics({ defaults: false }) });
  await sync.tick(T0 + 4 * HOUR);
  await sync.close();
  const queued = db.prepare(`SELECT payload FROM outbox WHERE topic = 'sync'`).all() as { payload: string }[];
  t.equal(queued.length, 3, 'hours 0..2');
  payloads.push(...queued.map((r) => ({ text: r.payload, agentLevel: true })));

  for (const p of payloads) {
    t.same(leaks(p.text, p.agentLevel ? all : withAgents), [], `payload of ${p.text.length} bytes (agentLevel ${p.agentLevel}) is clean`);
  }
  t.same(leaks(queued[0].payload, AGENT_NEEDLES), AGENT_NEEDLES, 'with agentLevel the agent ids are there');
  // The payloads are not trivially empty: they report the calls.
  const batch = JSON.parse(queued[0].payload) as { cells: { queue: string; agent?: string; calls: number; categories: object }[] };
  t.same(
    batch.cells.map((c) => [c.queue, c.agent, c.calls]),
    [['(other)', AGENT2, 6], ['billing', '(other)', 4], ['billing', AGENT, 4]],
    'a DID as queue and an AOR as agent are reported as (other)',
  );
  t.same(batch.cells[1].categories, { refund: 4 }, 'only the category id, never its event data');
});

t.test('channel leaves only as one of the six channel names; a cell carries only allow-listed fields', async (t) => {
  const db = openDb(t);
  fill(db);
  // Typed conversations beside the calls, and rows whose channel column holds free text (written
  // around the store's API): their text must not leave, in a batch or in the preview.
  for (let i = 0; i < 6; i++) addCall(db, { id: randomUUID(), channel: i % 2 ? 'chat' : 'wechat', endedAt: T0 + i * 60_000, queue: 'billing', agent: AGENT });
  for (let i = 0; i < 3; i++) addCall(db, { id: randomUUID(), channel: `${NAME} ${PHONE}`, endedAt: T0 + i * 60_000, queue: 'billing', agent: AGENT });
  const texts: string[] = [];
  for (const agentLevel of [false, true]) {
    const config = syncConfig({ agentLevel, minCellCalls: 1 });
    const batch = buildBatch(db, config, T0, T0 + 3 * HOUR);
    texts.push(canonicalJson(batch), syncPreview(db, config, { from: T0, to: T0 + HOUR }).body);
    t.same([...new Set(batch.cells.map((c) => c.channel))].sort(), ['chat', 'voice', 'wechat']);
    const allowed = new Set(['hour', 'queue', 'channel', 'agent', 'calls', 'kpi', 'categories', 'emotions', 'nps', 'alarms']);
    t.same(batch.cells.flatMap((c) => Object.keys(c).filter((k) => !allowed.has(k))), [], 'no field beyond the allow-list');
  }
  for (const text of texts) t.same(leaks(text, NEEDLES), [], `payload of ${text.length} bytes is clean`);
});
