import { Writable } from 'node:stream';
import t, { type Test } from 'tap';
import { pino } from 'pino';
import { createAnalysis } from '../../src/analysis/index.js';
import { PipelineBus } from '../../src/call/events.js';
import type { CallEvent, PartialUtterance, Prosody, Role, Transcript, Utterance } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics/registry.js';

const CARD = '4532015112830366';
const words = (d: string) => [...d].map((c) => ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'][Number(c)]).join(' ');

async function setup(t: Test, rulesDir = 'config/rules') {
  const bus = new PipelineBus();
  const metrics = createMetrics({ defaults: false });
  const logLines: string[] = [];
  const log = pino({ level: 'trace' }, new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }));
  let nextId = 100;
  const stage = await createAnalysis({ config: validateConfig({ analysis: { rulesDir } }), log, bus, metrics, nextUtteranceId: () => nextId++ });
  t.teardown(() => stage.close());
  const utterances: Utterance[] = [];
  const partials: PartialUtterance[] = [];
  const events: CallEvent[] = [];
  bus.on('utterance', (u) => utterances.push(u));
  bus.on('partial', (p) => partials.push(p));
  bus.on('call.event', (e) => events.push(e));
  const seqs = new Map<string, number>();
  const say = (callId: string, role: Role, text: string, startS: number, durS: number, opts: { prosody?: Prosody; partial?: boolean } = {}) => {
    const legId = `${callId}-${role}`;
    const seq = seqs.get(legId) ?? 0;
    const tr: Transcript = { callId, legId, role, seq, text, startMs: startS * 1000, endMs: (startS + durS) * 1000, final: !opts.partial, prosody: opts.prosody };
    if (!opts.partial) seqs.set(legId, seq + 1);
    bus.emit('transcript', tr);
  };
  const end = (callId: string) => bus.emit('call.ended', { callId, state: 'ended', endedAt: Date.now() });
  return { bus, metrics, stage, utterances, partials, events, say, end, logLines };
}

const calm: Prosody = { f0MeanHz: 120, f0StdHz: 15, rmsDb: -32, rmsStdDb: 3, voicedRatio: 0.6 };
const shout: Prosody = { f0MeanHz: 185, f0StdHz: 40, rmsDb: -18, rmsStdDb: 6, voicedRatio: 0.7 };

t.test('an English call end to end with the built-in packs', async (t) => {
  const s = await setup(t);
  const c = 'call-en';
  s.say(c, 'agent', 'thank you for calling, my name is sam, this call may be recorded for quality', 2, 5, { prosody: calm });
  s.say(c, 'customer', 'hi, I need help with my bill', 8, 2, { prosody: calm });
  s.say(c, 'customer', 'it is about my last invoice', 11, 2, { prosody: { ...calm, f0MeanHz: 124 } });
  s.say(c, 'customer', 'my card number is four five three two', 14, 3, { prosody: { ...calm, rmsDb: -31 } });
  s.say(c, 'customer', words(CARD.slice(4)), 17.5, 6, { prosody: calm, partial: true });
  s.say(c, 'customer', words(CARD.slice(4)), 17.5, 6, { prosody: calm });
  s.say(c, 'customer', 'this is terrible, you charged me twice, I am furious', 25, 3, { prosody: shout });
  s.say(c, 'customer', 'contoso would never do this, I will cancel my account', 29, 3, { prosody: shout });
  s.say(c, 'customer', 'I want to speak to your supervisor', 33, 2, { prosody: shout });
  s.say(c, 'agent', 'is there anything else I can help you with today', 60, 3, { prosody: calm });
  s.end(c);

  const u = s.utterances;
  t.equal(u.length, 9);
  t.equal(u[0].id, 100, 'ids come from nextUtteranceId');
  t.equal(u[0].text, 'thank you for calling, my name is [NAME], this call may be recorded for quality');
  t.equal(u[3].text, 'my card number is [DIGITS]');
  t.equal(u[4].text, '[CARD]', 'the card number split over two utterances is caught');
  t.equal(s.partials[0].text, '[CARD]', 'partials are redacted too, with the tail');
  t.ok(u[4].categories.includes('pci-card-spoken'));
  t.equal(u[5].emotion, 'angry', 'negative words + raised voice');
  t.ok(u[5].emotionConfidence > 0.6);
  t.equal(u[2].emotion, 'neutral');
  t.ok(u[7].categories.includes('escalation-request'));
  t.ok(u[6].categories.includes('competitor-mention') && u[6].categories.includes('churn-intent'));
  t.notOk(u[6].categories.includes('competitor-repeated'), 'named once');
  t.ok(u.every((x) => x.lang === 'en' || x.text === '[CARD]'));
  t.equal(u[4].lang, 'unknown', 'a redaction token is no language');

  const cats = s.events.filter((e) => e.kind === 'category').map((e) => e.data?.rule);
  t.ok(cats.includes('recording-disclosure'), 'disclosed at 2 s');
  t.notOk(cats.includes('recording-disclosure-missing'));
  t.ok(cats.includes('agent-closing'), 'closing in the last 30 s');
  const pci = s.events.find((e) => e.data?.rule === 'pci-card-spoken')!;
  t.same(pci, { callId: c, legId: `${c}-customer`, kind: 'category', tMs: 23500, data: { rule: 'pci-card-spoken', severity: 'warning', utteranceSeq: 3, utteranceId: 104 } });
  const intents = s.events.filter((e) => e.kind === 'intent').map((e) => e.data?.intent);
  t.ok(intents.includes('complaint') && intents.includes('churn-risk'), `intents: ${intents.join(',')}`);

  const sum = s.stage.callSummary(c)!;
  t.equal(sum.state, 'ended', 'summary still readable right after the end');
  t.equal(sum.emotion.subject, 'customer');
  t.equal(sum.emotion.worst?.emotion, 'angry');
  t.equal(sum.emotion.end, 'angry');
  t.equal(sum.redactions, 3, 'the agent\'s name, the card start, the card');
  t.equal(sum.categories['pci-card-spoken'], 1);
  const qa = sum.qa.find((q) => q.scorecard === 'default')!;
  t.ok(qa.score !== null && qa.score > 0 && qa.score < 100, `QA score ${qa.score}`);
  const pciItem = qa.items.find((i) => i.id === 'pci')!;
  t.equal(pciItem.passed, false);
  t.same(pciItem.evidence, [{ legId: `${c}-customer`, seq: 3, utteranceId: 104 }], 'QA evidence cites the utterance id');
  t.equal(qa.items.find((i) => i.id === 'disclosure')?.passed, true);
  t.equal(qa.items.find((i) => i.id === 'apology')?.passed, false, 'the agent never apologised for the complaint');
  t.same(s.events.filter((e) => e.kind === 'qa').map((e) => e.data), [{ scorecard: 'default', score: qa.score }]);

  // Nothing raw anywhere: not in what was emitted, not in the logs.
  const out = JSON.stringify([s.utterances, s.partials, s.events, sum]) + s.logLines.join('');
  t.notMatch(out, /four five|4532|zero one five/);
  const m = await s.metrics.registry.getSingleMetricAsString('earshot_analysis_redactions_total');
  t.match(m, /type="CARD"\} 1/);
});

t.test('a Chinese call: negation, escalation, disclosure too late', async (t) => {
  const s = await setup(t);
  const c = 'call-zh';
  s.say(c, 'agent', '您好，欢迎致电，我是客服小王', 1, 3);
  s.say(c, 'agent', '本次通话可能会被录音', 35, 2);
  s.say(c, 'customer', '你们的服务太慢了，我要投诉', 40, 3);
  s.say(c, 'customer', '我要找你们经理', 44, 2);
  s.say(c, 'customer', '我不是不满意，就是想问一下', 50, 3);
  s.say(c, 'customer', '我的手机号是幺三八一二三四五六七八', 55, 4);
  s.say(c, 'customer', '好的，非常感谢你的帮助', 70, 2);
  s.end(c);
  const u = s.utterances;
  t.ok(u.every((x) => x.lang === 'zh'));
  t.ok(u[2].categories.includes('complaint'));
  // 要投诉 is a turn to an authority (escalation): negative, and in the corpus' Chinese labels mostly angry.
  t.ok(['frustrated', 'angry'].includes(u[2].emotion), `negative words, no voice features: ${u[2].emotion}`);
  t.ok(u[3].categories.includes('escalation-request'));
  t.ok(u[4].sentiment >= 0, '不是不满意 is not negative');
  t.not(u[4].emotion, 'frustrated');
  t.equal(u[5].text, '我的手机号是[PHONE]');
  t.equal(u[6].emotion, 'satisfied');
  const cats = s.events.filter((e) => e.kind === 'category').map((e) => e.data?.rule);
  t.ok(cats.includes('recording-disclosure-missing'), 'disclosure at 35 s is too late');
  t.ok(cats.includes('agent-greeting') && cats.includes('agent-name'));
  const missing = s.events.find((e) => e.data?.rule === 'recording-disclosure-missing')!;
  t.equal(missing.legId, undefined, 'an absence has no utterance');
  t.same(missing.data, { rule: 'recording-disclosure-missing', severity: 'critical' });
  const sum = s.stage.callSummary(c)!;
  t.ok(['frustrated', 'angry'].includes(sum.emotion.start ?? ''), `starts negative: ${sum.emotion.start}`);
  t.equal(sum.emotion.end, 'satisfied');
  t.ok(sum.emotion.swings >= 1);
});

t.test('a competitor named twice', async (t) => {
  const s = await setup(t);
  s.say('c2', 'customer', 'contoso offered me a better price', 1, 2);
  s.say('c2', 'customer', 'and verizon too', 5, 2);
  t.ok(s.utterances[1].categories.includes('competitor-repeated'));
  t.same(s.stage.callSummary('c2')?.state, 'live');
});

t.test('a bad rule file fails to reload and the running set stays', async (t) => {
  const dir = t.testdir({ 'a.yaml': 'rules:\n  - id: refund\n    when: { phrases: [refund] }\n' });
  const s = await setup(t, dir);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(`${dir}/b.yaml`, 'rules:\n  - id: broken\n    when:\n      near: { a: [x], b: [y], words: -1 }\n');
  const r = await s.stage.reloadRules();
  t.same(r.ok, false);
  t.match(!r.ok && r.errors[0], /b\.yaml:4:\d+: rule "broken" rules\[0\]\.when\.near\.words: must be an integer/);
  s.say('c3', 'customer', 'I want a refund', 1, 2);
  t.same(s.utterances[0].categories, ['refund'], 'old set still running');
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /parser="rules",reason="invalid"\} 1/);
  await writeFile(`${dir}/b.yaml`, 'rules:\n  - id: thanks\n    when: { phrases: [thanks] }\n');
  t.same(await s.stage.reloadRules(), { ok: true, count: 2 });
  s.say('c4', 'customer', 'thanks, and the refund', 1, 2);
  t.same(s.utterances[1].categories, ['refund', 'thanks']);
  // Rules from the database come in as extra sources, checked as one set with the files.
  const dbRule = { text: 'rules:\n  - id: refund\n    when: { phrases: [money back] }\n', source: 'db:rule/refund' };
  const clash = await s.stage.checkRules([dbRule]);
  t.match(!clash.ok && clash.errors[0], /^db:rule\/refund:2: rule "refund": id already used at .*a\.yaml:2/);
  const fresh = { text: 'rules:\n  - id: money-back\n    when: { phrases: [money back] }\n', source: 'db:rule/money-back' };
  t.same(await s.stage.checkRules([fresh]), { ok: true, count: 3 });
  s.say('c5', 'customer', 'I want my money back', 1, 2);
  t.same(s.utterances[2].categories, [], 'checking applies nothing');
  t.same(await s.stage.reloadRules([fresh]), { ok: true, count: 3 });
  s.say('c6', 'customer', 'I want my money back', 1, 2);
  t.same(s.utterances[3].categories, ['money-back']);
});

t.test('invalid rules at start-up stop the stage with EARSHOT_ERR_RULES', async (t) => {
  const dir = t.testdir({ 'a.yaml': 'rules: [' });
  await t.rejects(setup(t, dir), { code: 'EARSHOT_ERR_RULES' });
});

t.test('malformed transcripts are counted and dropped, never crash', async (t) => {
  const s = await setup(t);
  const bad: unknown[] = [
    null,
    { callId: 'x', legId: 'l', role: 'customer', seq: 0, startMs: 0, endMs: 1, final: true },
    { callId: 'x', legId: 'l', role: 'customer', seq: 0, text: 'hi', startMs: 5, endMs: 1, final: true },
    { callId: 'x', legId: 'l', role: 'boss', seq: 0, text: 'hi', startMs: 0, endMs: 1, final: true },
    { callId: 'x', legId: 'l', role: 'customer', seq: 0.5, text: 'hi', startMs: 0, endMs: 1, final: true },
  ];
  for (const b of bad) s.bus.emit('transcript', b as Transcript);
  t.equal(s.utterances.length, 0);
  const m = await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total');
  for (const reason of ['not-object', 'text-type', 'timing', 'role', 'seq']) t.match(m, new RegExp(`parser="transcript",reason="${reason}"\\} 1`));
  // Too long: cut, counted, still analysed and redacted.
  s.say('y', 'customer', `${'word '.repeat(5000)} my card is ${CARD}`, 0, 2);
  t.equal(s.utterances.length, 1);
  t.match(m + (await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total')), /reason="too-long"/);
  // Late transcripts after the end do not reopen the call.
  s.say('z', 'customer', 'hello', 0, 1);
  s.end('z');
  s.say('z', 'customer', 'hello again', 2, 1);
  t.equal(s.utterances.length, 2);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_bad_input_total'), /reason="after-end"\} 1/);
  s.end('unknown-call');
  t.equal(s.stage.callSummary('unknown-call'), undefined);
});

t.test('with a speech-emotion model: its verdict wins, order and call end are kept', async (t) => {
  const { linearModel } = await import('./onnx-fixture.js');
  const { writeFile } = await import('node:fs/promises');
  const dir = t.testdir();
  // Always "satisfied" unless arousal is very high: easy to tell from the rule-based fusion.
  const W = Array.from({ length: 8 }, (_, i) => (i === 6 ? [3, 0, 0, 0] : [0, 0, 0, 0]));
  await writeFile(`${dir}/ser.onnx`, linearModel(W, [0, 0, 0, 5]));
  const bus = new PipelineBus();
  const stage = await createAnalysis({ config: validateConfig({ analysis: { serModel: `${dir}/ser.onnx` } }), log: pino({ level: 'silent' }), bus, metrics: createMetrics({ defaults: false }) });
  t.teardown(() => stage.close());
  const seen: string[] = [];
  bus.on('utterance', (u) => seen.push(`${u.seq}:${u.emotion}`));
  bus.on('call.event', (e) => e.kind === 'intent' || e.kind === 'qa' ? seen.push(e.kind) : undefined);
  const tr = (seq: number, text: string, prosody?: Prosody): Transcript => ({ callId: 'm', legId: 'm-c', role: 'customer', seq, text, startMs: seq * 3000, endMs: seq * 3000 + 2000, final: true, prosody });
  bus.emit('transcript', tr(0, 'this is terrible, I hate it', calm));
  bus.emit('transcript', tr(1, 'this is terrible, I hate it'));
  bus.emit('transcript', tr(2, 'fine', calm));
  bus.emit('call.ended', { callId: 'm', state: 'ended', endedAt: 0 });
  bus.emit('transcript', tr(3, 'late'));
  await stage.idle();
  t.same(seen.slice(0, 3), ['0:satisfied', '1:frustrated', '2:satisfied'], 'model where prosody exists, rule fusion where not, in order');
  t.equal(seen.at(-1), 'qa', 'the end is settled after the queued utterances');
  t.equal(stage.callSummary('m')?.utterances, 3, 'the late transcript was dropped');
});

t.test('a broken speech-emotion model falls back to the rule-based fusion', async (t) => {
  const dir = t.testdir({ 'bad.onnx': 'junk' });
  const bus = new PipelineBus();
  const lines: string[] = [];
  const log = pino({ level: 'error' }, new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }));
  const stage = await createAnalysis({ config: validateConfig({ analysis: { serModel: `${dir}/bad.onnx` } }), log, bus, metrics: createMetrics({ defaults: false }) });
  t.teardown(() => stage.close());
  t.match(lines.join(''), /EARSHOT_ERR_MODEL_MISSING/);
  const out: Utterance[] = [];
  bus.on('utterance', (u) => out.push(u));
  bus.emit('transcript', { callId: 'b', legId: 'b-c', role: 'customer', seq: 0, text: 'this is terrible', startMs: 0, endMs: 2000, final: true, prosody: calm });
  t.equal(out[0]?.emotion, 'frustrated', 'synchronous, rule-based');
});

t.test('live call state is bounded when call ends are lost', async (t) => {
  const s = await setup(t);
  for (let i = 0; i <= 400; i++) s.say(`lost-${i}`, 'customer', 'hello', 0, 1);
  t.equal(s.stage.callSummary('lost-0'), undefined, 'the oldest was dropped (limit: 2 × limits.maxCalls)');
  t.equal(s.stage.callSummary('lost-400')?.utterances, 1);
  t.match(await s.metrics.registry.getSingleMetricAsString('earshot_analysis_errors_total'), /earshot_analysis_errors_total 1/);
});
