// Overload, end to end: a leg the recogniser cannot keep up with is shed, and the demand for a
// supervisor made in the shed part still raises the escalation alarm, through keyword watch
// (real pocketsphinx kws on flite speech at 8 kHz, the real analysis and alarm stages, a real
// SQLite file). The burst stands in for more calls than the box can transcribe.
import { join } from 'node:path';
import { pino } from 'pino';
import t from 'tap';
import { validateConfig } from '../../src/config/index.js';
import { createPipeline } from '../../src/main.js';
import { KEYWORD_SEQ_BASE } from '../../src/speech/keyword-watch.js';
import { frames, loadWav, run, say } from '../speech/helpers.js';
import { dbOf } from '../helpers/db.js';

const LINES = [
  'good morning i am calling about the bill i got last week',
  'there is a charge on it that i do not recognise at all',
  'i have called about this before and it is still on there',
  'i want to speak to your supervisor right now',
  'thank you i will wait on the line',
];

t.test('escalation said on a shed leg raises the escalation alarm', { timeout: 180_000 }, async (t) => {
  const dir = t.testdir();
  const parts: string[] = [];
  for (const [i, line] of LINES.entries()) {
    await say(t, line, join(dir, `${i}.wav`));
    await run(t, 'sox', [join(dir, `${i}.wav`), '-r', '8000', join(dir, `${i}-8k.wav`), 'pad', '0', '0.8']);
    parts.push(join(dir, `${i}-8k.wav`));
  }
  await run(t, 'sox', [...parts, join(dir, 'leg.wav')]);
  const samples = loadWav(join(dir, 'leg.wav')).samples;

  const p = await createPipeline(validateConfig({ dataDir: join(dir, 'data'), sip: { front: 'off' }, speech: { workers: 1, maxQueueSeconds: 1 } }), pino({ level: 'silent' }));
  t.teardown(() => p.close());
  const call = p.calls.open({ ingest: 'import', externalId: 'overload' });
  const leg = p.calls.addLeg(call.info.callId, { role: 'customer', label: '0' });
  for (const f of frames(samples, 8000)) p.bus.emit('leg.audio', { legId: leg.legId, samples: f.samples, sampleRate: 8000, tMs: f.tMs });
  p.calls.close(call.info.callId, 'ended');
  await p.calls.idle();
  await p.analysis.idle();
  p.store.flush();

  const id = call.info.callId;
  const events = dbOf(p.store).prepare('SELECT kind FROM call_events WHERE call_id = ?').all(id) as { kind: string }[];
  t.ok(events.some((e) => e.kind === 'shed'), 'the leg was shed');
  t.ok(events.some((e) => e.kind === 'keyword-watch'), 'and watched');
  const rows = dbOf(p.store).prepare('SELECT text, seq FROM utterances WHERE call_id = ? ORDER BY start_ms').all(id) as { text: string; seq: number }[];
  for (const r of rows) t.comment(`${r.seq >= KEYWORD_SEQ_BASE ? 'keyword' : 'asr    '} ${r.text}`);
  t.ok(rows.some((r) => r.seq >= KEYWORD_SEQ_BASE && /supervisor/.test(r.text)), 'the demand is stored as a keyword utterance');
  t.notOk(rows.some((r) => r.seq < KEYWORD_SEQ_BASE && /supervisor/.test(r.text)), 'the full recogniser never heard it (shed)');
  const alarms = (dbOf(p.store).prepare('SELECT rule FROM alarms WHERE call_id = ?').all(id) as { rule: string }[]).map((a) => a.rule);
  t.ok(alarms.includes('escalation-request'), `the escalation alarm fired (${alarms.join(', ')})`);
});
