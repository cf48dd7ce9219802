import t from 'tap';
import { agentCoaching, bestAgentPhrases, phrasesOf, rankAgents } from '../../src/care/index.js';
import { mulberry32 } from '../../src/random.js';
import { careEnv, playCall, serveApi } from './helpers/env.js';
import { dbOf } from '../helpers/db.js';

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
      dbOf(e.store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', ?, ?)").run(id, `cust-${a}-${i}`, best ? 9 + (i % 2) : 3 + (i % 4), e.clock.now);
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
  // Windows of one sentence, used together, come out as one phrase covering them, not piece by piece.
  t.ok((by['before-hold'] as { phrase: string }[]).some((p) => p.phrase.includes('place you on a brief hold')), `one phrase holds the sentence: ${(by['before-hold'] as { phrase: string }[]).map((p) => p.phrase).join(' | ')}`);
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
  dbOf(e.store).prepare(
    `UPDATE calls SET summary = json_set(summary, '$.qa', json(?)) WHERE agent_id IS NOT NULL`,
  ).run(JSON.stringify([{ scorecard: 'default', score: 100, items: [{ id: 'empathy', label: 'Shows empathy', weight: 2, passed: true, evidence: [] }] }]));
  const u = dbOf(e.store).prepare("SELECT u.id FROM utterances u JOIN calls c ON c.id = u.call_id WHERE c.agent_id = 'a4' AND u.role = 'agent' ORDER BY u.id LIMIT 1").pluck().get() as number;
  dbOf(e.store).prepare(`UPDATE calls SET summary = json_set(summary, '$.qa', json(?)) WHERE agent_id = 'a4'`).run(
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
  t.equal(dbOf(e.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'view.coaching'").pluck().get(), 2, 'audited');
});

// A harder known answer: 20 agents (top decile = 2), drawn with noise. Only the two best agents say
// A or B after a complaint (not on every call) and C at closing. Distractors that must not be named:
// lines everyone says; one weak agent's own stock line said on every call after a complaint; a
// closing line the best agents share with almost half the others; the second-best agents' phrase.
const A = 'i hear you and that is not okay';
const B = 'let me make this right for you today';
const C = 'it was a real pleasure helping you';
const EVERYONE = ['let me check that for you', 'one moment please', 'thank you for calling', 'i see what you mean'];
const WEAK_STOCK = 'as per our terms and conditions';
const SHARED_CLOSE = 'have a wonderful evening';
const SECOND = 'i will note that on your file';

t.test('coaching names exactly the phrases only the top-decile agents use, in their situation', async (t) => {
  const e = await careEnv(t, { surveys: { quietFrom: 0, quietTo: 0, triggers: [] } });
  const rnd = mulberry32(2026);
  const pick = (xs: string[]) => xs[Math.floor(rnd() * xs.length)];
  // Names do not follow quality (no alphabetical artefact): the best are agent-m and agent-d.
  const names = ['m', 'd', 'k', 's', 'a', 'q', 'f', 'b', 'r', 't', 'c', 'h', 'l', 'p', 'e', 'g', 'j', 'n', 'o', 'i'].map((x) => `agent-${x}`);
  for (let rank = 0; rank < names.length; rank++) {
    const agentId = names[rank];
    const top = rank < 2;
    const second = rank === 2 || rank === 3;
    for (let i = 0; i < 10; i++) {
      const afterComplaint = top && rnd() < 0.85 ? pick([A, B]) : rank === 12 ? WEAK_STOCK : second && rnd() < 0.7 ? SECOND : pick(EVERYONE);
      const closing = [pick(EVERYONE)];
      if (top && rnd() < 0.8) closing.push(C);
      else if ((top || rank % 2 === 1) && rnd() < 0.9) closing.push(SHARED_CLOSE);
      else closing.push('thank you for calling');
      // Outcomes make the ranking: the best agents' customers end happy and answer 9-10.
      const good = top || (second ? i % 5 !== 0 : rnd() < 0.45);
      const id = playCall(e, {
        agentId, customerHash: `c-${rank}-${i}`,
        turns: [
          { role: 'customer', text: 'you charged me twice and nobody called me back', sentiment: -0.6, categories: ['complaint'] },
          { role: 'agent', text: afterComplaint },
          { role: 'agent', text: pick(EVERYONE) },
          { role: 'customer', text: 'okay', sentiment: 0.1 },
          { role: 'agent', text: closing[0] },
          { role: 'agent', text: closing[1] },
          { role: 'customer', text: good ? 'thanks that is sorted' : 'whatever', sentiment: good ? 0.6 : -0.5 },
        ],
      });
      const score = top ? 9 + Math.floor(rnd() * 2) : second ? 7 + Math.floor(rnd() * 2) : Math.floor(rnd() * 8);
      dbOf(e.store).prepare("INSERT INTO surveys (call_id, customer_hash, kind, score, received_at) VALUES (?, ?, 'nps', ?, ?)").run(id, `c-${rank}-${i}`, score, e.clock.now);
      e.clock.now += HOUR;
    }
  }
  const r = bestAgentPhrases(e.store.repos.coaching, { since: 0 });
  t.comment(r.agents.slice(0, 5).map((a) => `${a.agentId} ${a.rank.toFixed(2)} res ${a.resolution} nps ${a.nps}`).join(' | '));
  t.same(r.topAgents.sort(), ['agent-d', 'agent-m'], 'the top decile of 20 ranked agents: the two best');
  const by = Object.fromEntries(r.situations.map((s) => [s.situation, s.phrases.map((p) => p.phrase)]));
  for (const s of r.situations) t.comment(`${s.situation}: ${s.phrases.map((p) => `${p.phrase} (${p.score})`).join(' | ')}`);
  const within = (p: string, line: string) => ` ${line} `.includes(` ${p} `);
  const source = (p: string, lines: string[]) => lines.filter((l) => within(p, l));
  // After a complaint: every phrase named is a piece of A or B, and both are named.
  t.ok(by['after-complaint'].length > 0);
  t.same(by['after-complaint'].filter((p) => source(p, [A, B]).length !== 1), [], 'each phrase belongs to exactly one of the two signature lines');
  t.ok(by['after-complaint'].some((p) => within(p, A)), `A is named (${A})`);
  t.ok(by['after-complaint'].some((p) => within(p, B)), `B is named (${B})`);
  // At closing: only C.
  t.ok(by.closing.length > 0);
  t.same(by.closing.filter((p) => !within(p, C)), [], 'at closing: only pieces of C');
  // The distractors are never named, in any situation.
  const all = Object.values(by).flat();
  for (const [what, line] of [['the weak agent\'s stock line', WEAK_STOCK], ['the closing half the others share', SHARED_CLOSE], ['the second-best agents\' phrase', SECOND], ...EVERYONE.map((l) => ['a line everyone says', l])]) {
    t.same(all.filter((p) => within(p, line) && !within(p, A) && !within(p, B) && !within(p, C)), [], `not named: ${what}`);
  }
  t.same(by['before-hold'], [], 'no holds, no hold phrases');
  // The examples quote the best agents' own utterances.
  const ex = r.situations.find((s) => s.situation === 'after-complaint')!.phrases.flatMap((p) => p.examples);
  const exAgents = new Set(ex.map((x) => dbOf(e.store).prepare('SELECT agent_id FROM calls WHERE id = ?').pluck().get(x.callId)));
  t.ok(ex.length > 0 && [...exAgents].every((a) => a === 'agent-d' || a === 'agent-m'), 'examples only from the top agents');
  t.ok(ex.every((x) => x.text === A || x.text === B));
});
