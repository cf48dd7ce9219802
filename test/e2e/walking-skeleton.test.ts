// The walking skeleton, end to end on real parts: a stereo WAV made with flite voices goes in
// through the import path, each leg is transcribed by the embedded pocketsphinx engine, the
// redacted utterances are stored in a real SQLite file and pushed over the live websocket, and a
// keyword rule (escalation request: "supervisor") raises an alarm row that reaches the console.
import t from 'tap';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import WebSocket from 'ws';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { createUser } from '../../src/web/index.js';
import { importFile, storeImportLedger } from '../../src/ingest/import/index.js';
import { dbOf } from '../helpers/db.js';

const demo = fileURLToPath(new URL('../../assets/demo/demo-call.wav', import.meta.url));

t.test('stereo recording → transcripts per leg → store + live websocket → alarm', { timeout: 180_000 }, async (t) => {
  t.ok(existsSync(demo), 'the demo recording is in the repo');
  const dataDir = t.testdir();
  const config = validateConfig({ dataDir, http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 2 } });
  const appliance = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => appliance.close());
  const { store, bus, calls, metrics, speech, log } = appliance.pipeline;

  createUser(dbOf(store), { username: 'sup', role: 'supervisor', password: 'walking skeleton' });
  const login = await fetch(`${appliance.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'sup', password: 'walking skeleton' }),
  });
  t.equal(login.status, 200, 'login');
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];

  const ws = new WebSocket(`${appliance.url.replace('http', 'ws')}/api/v1/live`, { headers: { cookie } });
  const messages: { type: string; data: Record<string, unknown> }[] = [];
  ws.on('message', (raw) => {
    const m = JSON.parse(raw.toString()) as { type: string; data: Record<string, unknown> };
    messages.push(m);
    // Watching a call is what the transcript view does: full utterances for that call.
    if (m.type === 'call.started') ws.send(JSON.stringify({ op: 'watch', callId: m.data.callId }));
  });
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  t.teardown(() => ws.close());

  const res = await importFile({ log, bus, calls, metrics, speech, imports: storeImportLedger(store) }, demo, { channels: ['customer', 'agent'] });
  t.equal(res.duplicate, false);
  store.flush();

  const rows = dbOf(store).prepare('SELECT role, text FROM utterances WHERE call_id = ? ORDER BY start_ms').all(res.callId) as { role: string; text: string }[];
  const byRole = (r: string) => rows.filter((u) => u.role === r).map((u) => u.text).join(' ');
  t.ok(rows.length >= 6, `utterances stored (${rows.length})`);
  t.match(byRole('agent'), /recorded/, 'agent leg transcribed (recording disclosure)');
  t.match(byRole('customer'), /supervisor/, 'customer leg transcribed (asks for a supervisor)');
  t.notMatch(byRole('agent'), /ridiculous/, 'legs are kept apart: customer words not on the agent leg');

  const alarms = dbOf(store).prepare('SELECT rule, severity, state FROM alarms WHERE call_id = ?').all(res.callId) as { rule: string }[];
  t.ok(alarms.some((a) => a.rule === 'escalation-request'), `keyword rule raised an alarm row (${alarms.map((a) => a.rule).join(', ')})`);

  // Live websocket: give the last pushes a moment to arrive.
  await new Promise((r) => setTimeout(r, 300));
  const live = messages.filter((m) => m.type === 'utterance' && m.data.callId === res.callId);
  t.ok(live.length >= rows.length, `every stored utterance was pushed live (${live.length}/${rows.length})`);
  t.ok(live.some((m) => /supervisor/.test(String(m.data.text))), 'pushed utterances carry the (redacted) text');
  t.ok(messages.some((m) => m.type === 'alarm' && m.data.callId === res.callId), 'the alarm was pushed live');
  t.ok(messages.some((m) => m.type === 'call.ended' && m.data.callId === res.callId), 'call end pushed');

  const again = await importFile({ log, bus, calls, metrics, speech, imports: storeImportLedger(store) }, demo);
  t.same([again.duplicate, again.callId], [true, res.callId], 'the same file twice is one call');
});
