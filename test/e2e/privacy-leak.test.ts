// Privacy, end to end through the real appliance: a flite call in which the customer says a name,
// a phone number and a card number (as spoken digits), on legs whose participant metadata carries
// a name and AOR and a call with a customer hash. Then every way data leaves the pipeline is read
// back — all log lines (trace), /metrics, the upstream sync batch, webhook payloads, the live
// websocket of a console that watches no call, and the database — and none may hold the PII. The
// recogniser's raw output is taken from the bus here (only the test listens to it), so the
// assertions follow what pocketsphinx actually heard.
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import type { Transcript } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import { createUser } from '../../src/web/index.js';
import { buildBatch, syncPreview } from '../../src/sync/index.js';
import { memoryReader, pumpFrames } from '../../src/ingest/import/pump.js';
import { memoryLogger } from '../metrics/siprec-rig.js';
import { LOAD_AUTH, LOAD_FORKS } from '../../bench/load/fork-client.js';
import { dbOf } from '../helpers/db.js';
import { fliteCall, type Turn } from '../helpers/flite-call.js';

const NAME = 'Bartholomew Quigley';
const AGENT_NAME = 'Zebulon Fairweather';
const PHONE = '5552124378';
const AOR = `sip:+1${PHONE}@carrier.example`;
const AGENT_AOR = 'sip:2001@pbx.example';
const CARD = '4111111111111111';
const EXTERNAL_ID = 'f81d4fae7dec11d0a76500a0c91e6bf6@sbc7.example';
const FORK_CALL_SID = 'b2e6c1d0-fork-sid-7d3a@fs7.example';
const CUSTOMER_HASH = 'custhash-5d41402abc4b2a76';
/** Words said only in the call: transcript text, which may be stored but nowhere else. */
const DISTINCT = ['ridiculous', 'supervisor'];

// Turns in call order: [speaker, text]. Left channel customer, right channel agent.
const TURNS: Turn[] = [
  ['agent', 'Thank you for calling. This call is recorded for quality purposes. How can I help you?'],
  ['customer', `Hello. My name is ${NAME}.`],
  ['agent', 'What number can I reach you on?'],
  ['customer', 'You can call me back on my phone at five five five two one two four three seven eight.'],
  ['agent', 'And the card number please?'],
  ['customer', 'My credit card number is four one one one one one one one one one one one one one one one one.'],
  ['customer', 'This is ridiculous. I want to speak to your supervisor.'],
  ['agent', 'I am sorry. I am transferring you to my supervisor now.'],
];

const DIGIT_WORD = '(?:zero|oh|one|two|three|four|five|six|seven|eight|nine)';
/** Runs of 4+ spoken digits the recogniser produced (as it wrote them). */
const spokenRuns = (text: string): string[] => text.match(new RegExp(`\\b${DIGIT_WORD}(?:\\s+${DIGIT_WORD}){3,}\\b`, 'gi')) ?? [];

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  return cond();
}

t.test('no PII in logs, metrics, sync, webhooks, live messages or stored text', { timeout: 120_000 }, async (t) => {
  const dir = t.testdir();
  const chans = fliteCall(dir, TURNS);

  // Webhook receiver: every payload the appliance sends.
  const hooks: string[] = [];
  const rx = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => (hooks.push(body), res.writeHead(200).end()));
  });
  await new Promise<void>((r) => rx.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => rx.close(() => r())));

  // Every log line at trace, with the product logger's own options (src/log.ts) but into memory.
  const logs: string[] = [];
  const log = memoryLogger(logs);
  const config = validateConfig({ forks: LOAD_FORKS,
    dataDir: path.join(dir, 'data'),
    log: { level: 'trace' },
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'off' },
    // Generous queue: the whole call is queued at once (see the pump below), none of it may be shed.
    speech: { workers: 1, maxQueueSeconds: 60 },
    webhooks: [{ url: `http://127.0.0.1:${(rx.address() as AddressInfo).port}/hook`, secret: 'privacy-test-secret-0123', minSeverity: 'info' }],
  });
  const appliance = await startAppliance(config, { log });
  t.teardown(() => appliance.close());
  const { bus, calls, store, speech } = appliance.pipeline;

  const raw: Transcript[] = [];
  bus.on('transcript', (tr) => raw.push(tr)); // the test only: the product must not keep these

  // A console that watches no call: it must get no transcript text and no participant data.
  createUser(dbOf(store), { username: 'wall', role: 'supervisor', password: 'privacy leak test' });
  const login = await fetch(`${appliance.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'wall', password: 'privacy leak test' }),
  });
  t.equal(login.status, 200, 'login');
  const ws = new WebSocket(`${appliance.url.replace('http', 'ws')}/api/v1/live`, { headers: { cookie: (login.headers.get('set-cookie') ?? '').split(';')[0] } });
  const live: string[] = [];
  ws.on('message', (m) => live.push(m.toString()));
  await new Promise((resolve, reject) => (ws.once('open', resolve), ws.once('error', reject)));
  t.teardown(() => ws.close());

  // A mod_audio_fork connection whose metadata names the caller, and one whose broken metadata
  // does: neither the accepted nor the rejected metadata may be echoed into logs or anywhere else.
  const forkUrl = `${appliance.url.replace('http', 'ws')}/ingest/audio-fork`;
  const fork = async (send: (f: WebSocket) => void): Promise<void> => {
    const f = new WebSocket(forkUrl, 'audio.drachtio.org', { headers: LOAD_AUTH });
    t.teardown(() => f.terminate());
    await new Promise((resolve, reject) => (f.once('open', resolve), f.once('error', reject)));
    const closed = new Promise((resolve) => f.once('close', resolve));
    send(f);
    await closed;
  };
  const forkMeta = { callSid: FORK_CALL_SID, sampleRate: 16000, mixType: 'stereo', from: `+1${PHONE}`, callerName: NAME, to: AGENT_AOR };
  await fork((f) => {
    f.send(JSON.stringify(forkMeta));
    const second = new Int16Array(32000); // one second of the call, interleaved
    for (let i = 0; i < 16000; i++) {
      second[2 * i] = chans[0][i];
      second[2 * i + 1] = chans[1][i];
    }
    f.send(Buffer.from(second.buffer));
    f.close(1000);
  });
  await fork((f) => f.send(JSON.stringify(forkMeta).slice(0, -5))); // bad JSON: the server closes

  // The call, opened as an ingest would with source metadata: participants, a customer hash.
  const call = calls.open({ ingest: 'audio-fork', externalId: EXTERNAL_ID, customerHash: CUSTOMER_HASH });
  const callId = call.info.callId;
  const legs = [
    calls.addLeg(callId, { role: 'customer', label: '0', codec: 'L16', participant: { name: NAME, aor: AOR } }),
    calls.addLeg(callId, { role: 'agent', label: '1', codec: 'L16', participant: { name: AGENT_NAME, aor: AGENT_AOR } }),
  ];
  const totalMs = (chans[0].length / 16000) * 1000;
  // No back-pressure: the speech stage's pendingSeconds only falls when a segment is finalised, so a
  // small limit can stall on a leg that is silent while the other speaks.
  await pumpFrames(bus, memoryReader(chans), 16000, legs, { realtime: false, maxPendingSeconds: totalMs / 1000 + 1, pendingSeconds: () => speech.pendingSeconds(), totalMs });
  await Promise.all(legs.map((l) => speech.legDone(l.legId)));
  calls.close(callId, 'ended');
  store.flush();

  const finals = raw.filter((r) => r.final);
  const heard = finals.map((r) => r.text).join(' | ');
  t.comment(`recogniser heard: ${heard}`);
  const runs = finals.flatMap((r) => spokenRuns(r.text));
  t.ok(runs.length >= 2, `the recogniser heard spoken digit runs (${runs.length}): the leak checks below are not vacuous`);
  t.ok(DISTINCT.every((w) => heard.includes(w)), 'the distinctive words were recognised');

  t.ok(await waitFor(() => hooks.length > 0, 15_000), 'an alarm fired and its webhook was delivered');
  t.ok(await waitFor(() => live.some((m) => m.includes('"call.ended"')), 5000), 'the console saw the call end');
  t.ok(live.some((m) => m.startsWith('{"type":"utterance"')), 'the console got utterance messages (without text): the check below is not vacuous');

  const metricsText = await (await fetch(`${appliance.url}/metrics`)).text();
  t.match(metricsText, /^earshot_bad_input_total\{parser="ws-fork",reason="bad-json"\} 1$/m, 'the broken fork metadata was counted as bad input');
  const hour = 3_600_000;
  const from = Math.floor(Date.now() / hour) * hour - hour;
  const syncCfg = { site: config.site, sync: { ...config.sync, minCellCalls: 1 } };
  const batch = JSON.stringify(buildBatch(dbOf(store), syncCfg, from, from + 3 * hour));
  const preview = syncPreview(dbOf(store), syncCfg, { from, to: from + 3 * hour });
  t.ok(JSON.parse(batch).cells.length >= 1, 'the call is in the sync batch (cells not suppressed)');

  const utterances = dbOf(store).prepare('SELECT leg_id, seq, text, redactions FROM utterances WHERE call_id = ? ORDER BY start_ms').all(callId) as { leg_id: string; seq: number; text: string; redactions: number }[];
  const stored = utterances.map((u) => u.text).join(' | ');
  t.comment(`stored: ${stored}`);
  // Everything else in the database, every table and row, as one text.
  const tables = (dbOf(store).prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((r) => r.name);
  const otherRows = tables.filter((n) => n !== 'utterances').map((n) => JSON.stringify(dbOf(store).prepare(`SELECT * FROM "${n}"`).all())).join('\n');

  await appliance.close(); // shutdown logging is part of what is checked
  const logText = logs.join('');
  t.ok(logs.length > 5, `log lines captured (${logs.length})`);
  t.comment(logs.map((l) => (JSON.parse(l) as { msg?: string }).msg).join(' / '));

  const pii = [NAME, ...NAME.split(' '), AGENT_NAME, ...AGENT_NAME.split(' '), AOR, AGENT_AOR, 'carrier.example', 'pbx.example', 'fs7.example', FORK_CALL_SID, PHONE, PHONE.slice(3), '212437', CARD, '41111111', EXTERNAL_ID, CUSTOMER_HASH, ...runs];
  const text = [...new Set([...finals.map((r) => r.text).filter((s) => s.length >= 12), ...DISTINCT])];
  const outputs: [string, string, string[]][] = [
    ['logs', logText, [...pii, ...text]],
    ['metrics', metricsText, [...pii, ...text, callId]],
    ['sync batch', batch, [...pii, ...text, callId]],
    ['sync preview', JSON.stringify(preview), [...pii, ...text, callId]],
    ['webhook payloads', hooks.join('\n'), [...pii, ...text]],
    ['live messages (not watching)', live.join('\n'), [...pii, ...text]],
    ['database rows other than utterances', otherRows, pii.filter((p) => ![EXTERNAL_ID, CUSTOMER_HASH, FORK_CALL_SID, 'fs7.example'].includes(p))],
  ];
  for (const [where, body, needles] of outputs) {
    const found = needles.filter((n) => body.toLowerCase().includes(n.toLowerCase()));
    t.same(found, [], `${where}: none of ${needles.length} sensitive strings`);
  }

  // Stored text: redaction tokens where the recogniser produced the numbers, and no digits left.
  t.ok(utterances.length >= 6, `utterances stored (${utterances.length})`);
  for (const r of finals.filter((f) => spokenRuns(f.text).length)) {
    const u = utterances.find((x) => x.leg_id === r.legId && x.seq === r.seq);
    t.match(u?.text, /\[(CARD|PHONE|DIGITS)\]/, `heard "${spokenRuns(r.text)[0].slice(0, 40)}…": stored with a redaction token`);
    t.ok((u?.redactions ?? 0) >= 1, 'and counted as a redaction');
  }
  // The card as said (16 digits passing Luhn) is recognised verbatim by kal16; it must be typed CARD.
  if (/four(?: one){15}/.test(heard)) t.match(stored, /\[CARD\]/, 'the spoken card number is stored as [CARD]');
  t.same(spokenRuns(stored), [], 'no run of spoken digits is stored');
  t.notMatch(stored, /\d{4}/, 'no run of written digits is stored');
  t.same(pii.filter((p) => stored.toLowerCase().includes(p.toLowerCase())), [], 'no participant name, AOR, phone or card in stored text');
  t.ok(DISTINCT.every((w) => stored.includes(w)), 'ordinary words are kept (redaction is not blanket)');
});
