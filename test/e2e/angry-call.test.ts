// Recorded-call tests for emotion, end to end on real parts: two-leg calls spoken by flite voices
// with sox-made voice changes (scripts/make-call.sh) go in through the recorded-call import, each
// leg is transcribed by the embedded pocketsphinx engine, analysis fuses words, categories and
// voice arousal against the caller's own baseline, alarms and KPIs land in a real SQLite store.
//  - A customer who grows angry (pitch, level and tempo raised by sox) and ends demanding a
//    supervisor: the raised utterances come out angry, the negative-emotion alarm (customer-angry)
//    fires, the call is stored as ending negative.
//  - A calm near-miss, loud throughout (a hot handset, not emotion): a question with negative words,
//    a supervisor's name asked for to praise the agent: nothing is raised, the call does not end
//    negative, and the same complaint words as in the angry call, said calmly, are frustration.
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { HIGH_AROUSAL } from '../../src/analysis/emotion/index.js';
import { validateConfig } from '../../src/config/index.js';
import { importFile, storeImportLedger } from '../../src/ingest/import/index.js';
import { createPipeline, type Pipeline } from '../../src/main.js';
import { dbOf } from '../helpers/db.js';
import { scriptedCall } from '../helpers/flite-call.js';

// Both calls open the same way: three calm customer turns give the baseline the voice is judged on.
const OPENING = `
agent calm 0.4 thank you for calling customer support this call is recorded for quality and training purposes how can i help you today
customer CALM 0.5 hello i am calling about my internet bill
agent calm 0.4 sure can i have your account number please
customer CALM 0.5 yes it is on the letter i got last week
agent calm 0.4 thank you one moment please
customer CALM 0.5 i have a question about the charges this month
agent calm 0.4 let me have a look at the charges for you
`;

const ANGRY = `${OPENING.replaceAll('CALM', 'calm')}
customer angry 0.4 i was charged twice this month and nobody fixed it
agent calm 0.4 i am sorry for the trouble
customer angry 0.4 this is ridiculous
customer shout 0.6 i want to speak to your supervisor right now
agent calm 0.4 i understand i am transferring you to my supervisor now
`;

const CALM = `${OPENING.replaceAll('CALM', 'loud')}
customer loud 0.4 i was charged twice this month and nobody fixed it
agent calm 0.4 i see the second charge i have refunded it now
customer loud 0.4 is there no late fee on my account then
agent calm 0.4 no there is no late fee on your account
customer loud 0.4 could you tell me the name of your supervisor i would like to say how helpful you were
agent calm 0.4 of course her name is maria
customer loud 0.6 thank you so much that is great
`;

interface Row { role: string; text: string; emotion: string; seq: number; legId: string }

async function run(p: Pipeline, wav: string) {
  const res = await importFile({ log: p.log, bus: p.bus, calls: p.calls, metrics: p.metrics, speech: p.speech, imports: storeImportLedger(p.store) }, wav, { channels: ['customer', 'agent'] });
  // call.ended (and the stored summary) follows the drain: the recogniser's last words, then the
  // analysis still waiting for them (the semantic layer).
  await p.calls.idle();
  await p.analysis.idle();
  p.store.flush();
  const rows = dbOf(p.store).prepare('SELECT role, text, emotion, seq, leg_id AS legId FROM utterances WHERE call_id = ? ORDER BY start_ms').all(res.callId) as Row[];
  const alarms = (dbOf(p.store).prepare('SELECT rule FROM alarms WHERE call_id = ?').all(res.callId) as { rule: string }[]).map((a) => a.rule);
  const summary = JSON.parse((dbOf(p.store).prepare('SELECT summary FROM calls WHERE id = ?').get(res.callId) as { summary: string }).summary) as { kpi: { sentiment: { negativeEnd: boolean } } };
  const emotion = p.analysis.callSummary(res.callId)!.emotion;
  const arousal = (r: Row) => emotion.points.find((pt) => pt.legId === r.legId && pt.seq === r.seq)?.arousal;
  const customer = rows.filter((r) => r.role === 'customer');
  const said = (re: RegExp) => customer.find((r) => re.test(r.text));
  return { rows, customer, alarms, summary, emotion, arousal, said };
}

const dir = t.testdir();
await Promise.all([scriptedCall(join(dir, 'angry.wav'), ANGRY), scriptedCall(join(dir, 'calm.wav'), CALM)]);
const p = await createPipeline(validateConfig({ dataDir: join(dir, 'data'), sip: { front: 'off' }, speech: { workers: 2 } }), pino({ level: 'silent' }));
t.teardown(() => p.close());

t.test('a customer who grows angry: angry utterances, the negative-emotion alarm, ends negative', { timeout: 180_000 }, async (t) => {
  const c = await run(p, join(dir, 'angry.wav'));
  for (const r of c.rows) t.comment(`${r.role.padEnd(8)} ${r.emotion.padEnd(10)} z=${c.arousal(r) ?? '-'}  ${r.text}`);
  t.ok(c.customer.length >= 6, `customer utterances recognised (${c.customer.length})`);

  const calm = c.customer.slice(0, 2);
  t.ok(calm.every((r) => r.emotion === 'neutral' || r.emotion === 'satisfied'), 'the calm opening is not negative');
  t.ok(calm.every((r) => (c.arousal(r) ?? 0) < HIGH_AROUSAL), 'and not raised');

  const twice = c.said(/charged|twice|nobody/);
  t.ok(twice, 'the complaint was recognised');
  t.ok((c.arousal(twice!) ?? 0) >= HIGH_AROUSAL, `raised voice on the complaint (z=${c.arousal(twice!)})`);
  t.equal(twice!.emotion, 'angry', 'a complaint said with a raised voice is anger');
  const ridiculous = c.said(/ridiculous/);
  t.equal(ridiculous?.emotion, 'angry', '"this is ridiculous" is angry');
  const supervisor = c.said(/supervisor/);
  t.equal(supervisor?.emotion, 'angry', 'the demand for a supervisor, shouted, is angry');
  t.ok((c.arousal(supervisor!) ?? 0) >= HIGH_AROUSAL, `shouted (z=${c.arousal(supervisor!)})`);
  t.notOk(c.rows.some((r) => r.role === 'agent' && (r.emotion === 'angry' || r.emotion === 'frustrated')), "the agent's calm apology is not negative");

  t.ok(c.alarms.includes('customer-angry'), `the negative-emotion alarm fired (${c.alarms.join(', ')})`);
  t.ok(c.alarms.includes('escalation-request'), 'and the escalation alarm');
  t.equal(c.summary.kpi.sentiment.negativeEnd, true, 'the call is stored as ending negative');
  t.equal(c.emotion.end, 'angry');
  t.equal(c.emotion.endsNegative, true);
  t.equal(c.emotion.worst?.seq, twice!.seq, 'the worst moment is where the anger began');
});

t.test('a calm near-miss, loud throughout: nothing raised, does not end negative', { timeout: 180_000 }, async (t) => {
  const c = await run(p, join(dir, 'calm.wav'));
  for (const r of c.rows) t.comment(`${r.role.padEnd(8)} ${r.emotion.padEnd(10)} z=${c.arousal(r) ?? '-'}  ${r.text}`);
  t.ok(c.customer.length >= 6, `customer utterances recognised (${c.customer.length})`);
  t.ok(c.said(/supervisor/), 'the supervisor near-miss was recognised');
  t.notOk(c.rows.some((r) => r.emotion === 'angry'), 'nobody is angry');
  t.ok(c.customer.every((r) => (c.arousal(r) ?? 0) < HIGH_AROUSAL), 'a voice loud from the start is its own baseline: never raised');
  const twice = c.said(/charged|twice|nobody/);
  t.ok(twice, 'the complaint was recognised');
  t.equal(twice!.emotion, 'frustrated', 'the same complaint said evenly is frustration, not anger');
  t.same(c.alarms, [], 'no alarm');
  t.equal(c.summary.kpi.sentiment.negativeEnd, false, 'not stored as ending negative');
  t.equal(c.emotion.endsNegative, false);
  t.equal(c.emotion.end, 'satisfied');
});
