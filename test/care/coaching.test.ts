import t from 'tap';
import { agentCoaching, bestAgentPhrases, phrasesOf, rankAgents } from '../../src/care/index.js';
import { mulberry32 } from '../fixtures/random.js';
import { careEnv, playCall, serveApi } from './helpers/env.js';

const HOUR = 3_600_000;

// A generated month: 10 agents, 12 calls each. Agents a0 and a1 are the best (their customers end
// positive and answer 9-10); only they say "i completely understand your frustration" after a
// complaint, "may i place you on a brief hold" before a hold, and "我们非常重视" at closing. Every
// agent says the common lines. The known answer: those phrases, and none of the common ones.
const COMMON = ['let me check that for you', 'thank you for calling', 'one moment please', 'is there anything else'];
async function history(t: Parameters<typeof careEnv>[0]) {
  const e = await careEnv(t, { surveys: { quietFrom: 0, quietTo: 0, triggers: [] } });
  const rnd = mulberry32(7);
  const pick = (xs: string[]) => xs[Math.floor(rnd() * xs.length)];
  for (let a = 0; a < 10; a++) {
    const best = a < 2;
    for (let i = 0; i < 12; i++) {
      const id = playCall(e, {
        agentId: `a${a}`, customerHash: `cust-${a}-${i}`,
        turns: [
          { role: 'customer', text: 'i was charged twice and nobody helped', sentiment: -0.6, categories: ['complaint'] },
          { role: 'agent', text: best ? 'i completely understand your frustration' : pick(COMMON) },
          { role: 'agent', text: pick(COMMON), holdAfter: false },
          { role: 'agent', text: best ? 'may i place you on a brief hold' : 'hold on', holdAfter: true },
          { role: 'customer', text: best ? 'okay that sounds good' : 'whatever', sentiment: best ? 0.5 : -0.5 },
          { role: 'agent', text: best ? '我们非常重视您的意见 thank you for calling' : 'thank you for calling' },
          { role: 'customer', text: best ? 'thanks' : 'bye', sentiment: best ? 0.6 : -0.6 },
        ],
      });
      e.store.db.prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', ?, ?)").run(id, `cust-${a}-${i}`, best ? 9 + (i % 2) : 3 + (i % 4), e.clock.now);
      e.clock.now += HOUR;
    }
  }
  return e;
}

t.test('phrases: word 1-3-grams, Chinese character 2-3-grams, redaction markers dropped', async (t) => {
  const p = phrasesOf('Thank you [card] 我们重视');
  t.ok(p.has('thank you') && p.has('我们') && p.has('我们重') && p.has('重视') && p.has('我们重视'));
  t.notOk(p.has('you') || p.has('thank'), 'no single words');
  t.notOk([...p].some((x) => x.includes('card')), 'redaction marker dropped');
  t.notOk(p.has('我'), 'no single Chinese characters');
});

t.test('what the best agents say: the generated known answer, per situation, with examples', async (t) => {
  const e = await history(t);
  const r = bestAgentPhrases(e.store.repos.coaching, { since: 0 });
  t.same(r.topAgents.sort(), ['a0'], 'top decile of 10 ranked agents = 1');
  const top2 = bestAgentPhrases(e.store.repos.coaching, { since: 0, topShare: 0.2 });
  t.same(top2.topAgents.sort(), ['a0', 'a1'], 'top 20% = the two best agents');
  t.same(top2.agents.slice(0, 2).map((a) => a.agentId).sort(), ['a0', 'a1']);
  const by = Object.fromEntries(top2.situations.map((s) => [s.situation, s.phrases]));
  const has = (sit: string, phrase: string) => (by[sit] as { phrase: string }[]).some((p) => p.phrase.includes(phrase) || phrase.includes(p.phrase));
  t.ok(has('after-complaint', 'completely understand your frustration'), 'after a complaint');
  t.ok(has('before-hold', 'place you on a brief hold'), 'before a hold');
  t.ok(by.closing.some((p: { phrase: string }) => /重视|非常/u.test(p.phrase)), 'at closing, in Chinese');
  // Everything it names comes from the lines only the best agents say; nothing from the common lines.
  const bestOnly = ['i completely understand your frustration', 'may i place you on a brief hold', '我们非常重视您的意见'];
  for (const sit of ['after-complaint', 'before-hold', 'closing']) {
    const phrases = (by[sit] as { phrase: string }[]).map((p) => p.phrase);
    t.ok(phrases.length > 0, `${sit}: phrases found`);
    const inLine = (p: string, line: string) => (/\p{Script=Han}/u.test(p) ? line.includes(p) : ` ${line} `.includes(` ${p} `));
    t.same(phrases.filter((p) => !bestOnly.some((b) => inLine(p, b))), [], `${sit}: only phrases of the best agents`);
    t.same(phrases.filter((p) => [...COMMON, 'hold on'].some((c) => inLine(p, c))), [], `${sit}: none of the common lines`);
  }
  const first = by['after-complaint'][0];
  t.ok(first.score > 2, 'a clear log-odds z score');
  t.equal(first.otherUses, 0);
  t.equal(first.topAgents, 2);
  t.match(first.examples[0].text, /completely understand/);
});

t.test('per agent: categories and QA items pulling the agent down, with examples; the route', async (t) => {
  const e = await history(t);
  const c = agentCoaching(e.store.repos.coaching, 'a5', { since: 0 });
  t.equal(c.calls, 12);
  t.same(c.qaItems, [], 'no scorecard stored in this history');
  const ranks = rankAgents(e.store.repos.coaching.calls(0, 5000));
  t.equal(ranks.length, 10);
  t.ok(ranks[0].nps! > 8 && ranks[9].nps! < 7);

  // A scorecard where a4 fails "empathy" on every call and the others pass.
  e.store.db.prepare(
    `UPDATE calls SET summary = json_set(summary, '$.qa', json(?)) WHERE agent_id IS NOT NULL`,
  ).run(JSON.stringify([{ scorecard: 'default', score: 100, items: [{ id: 'empathy', label: 'Shows empathy', weight: 2, passed: true, evidence: [] }] }]));
  const u = e.store.db.prepare("SELECT u.id FROM utterances u JOIN calls c ON c.id = u.call_id WHERE c.agent_id = 'a4' AND u.role = 'agent' ORDER BY u.id LIMIT 1").pluck().get() as number;
  e.store.db.prepare(`UPDATE calls SET summary = json_set(summary, '$.qa', json(?)) WHERE agent_id = 'a4'`).run(
    JSON.stringify([{ scorecard: 'default', score: 40, items: [{ id: 'empathy', label: 'Shows empathy', weight: 2, passed: false, evidence: [{ legId: 'x', seq: 1, utteranceId: u }] }] }]),
  );
  const a4 = agentCoaching(e.store.repos.coaching, 'a4', { since: 0 });
  t.match(a4.qaItems, [{ scorecard: 'default', item: 'empathy', failRate: 1, calls: 12 }]);
  t.ok(a4.qaItems[0].siteFailRate < 0.2);
  t.equal(a4.qaItems[0].examples[0].utteranceId, u);

  const api = await serveApi(t, e);
  const r = await api.supervisor.get('/coaching/best-phrases?days=60');
  t.equal(r.status, 200);
  t.equal(r.body.situations.length, 3);
  t.equal((await api.supervisor.get('/coaching/agents/a4?days=60')).body.qaItems[0].item, 'empathy');
  t.equal((await api.viewer.get('/coaching/best-phrases')).status, 403, 'coaching quotes transcripts: supervisors only');
  t.equal(e.store.db.prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'view.coaching'").pluck().get(), 2, 'audited');
});
