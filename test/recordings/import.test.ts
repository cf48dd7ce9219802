// Recordings end to end through the real appliance: a flite call imported from a WAV in which the
// customer reads a card number. Real recogniser (pocketsphinx), real analysis and redaction, real
// encoder thread, files on disk and the HTTP API. The stored file is decrypted with the key ring,
// decoded, and measured: silent over the spoken digits, the source elsewhere.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Transcript } from '../../src/call/types.js';
import { validateConfig } from '../../src/config/index.js';
import { importFile } from '../../src/ingest/import/index.js';
import { storeImportLedger } from '../../src/ingest/import/ledger.js';
import { startAppliance } from '../../src/main.js';
import { openKeyRing, SealedReader, renderWav } from '../../src/recordings/index.js';
import { keyFilePath } from '../../src/recordings/index.js';
import { purge } from '../../src/store/retention.js';
import { createUser } from '../../src/web/index.js';
import { wav } from '../ingest/import/rig.js';
import { launch } from '../web/helpers/browser.js';
import { dbOf } from '../helpers/db.js';
import { fliteCall, type Turn } from '../helpers/flite-call.js';

const TURNS: Turn[] = [
  ['agent', 'Thank you for calling. How can I help you today?'],
  ['customer', 'I would like to pay my bill please.'],
  ['agent', 'Of course. What is the card number?'],
  ['customer', 'My card number is four one one one one one one one one one one one one one one one one.'],
  ['agent', 'Thank you. The payment is done.'],
  ['customer', 'Wonderful, that was quick. Goodbye.'],
];

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, encoding: 'utf8' });
}

const rms = (x: Int16Array, a: number, b: number) => {
  let s = 0;
  for (let i = a; i < b; i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, b - a));
};

/** Best normalised correlation of `out` against `src` over [a, b), for lags within ±maxLag. */
function correlation(src: Int16Array, out: Int16Array, a: number, b: number, maxLag: number): number {
  let best = -1;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let xy = 0, xx = 0, yy = 0;
    for (let i = a; i < b; i++) {
      const y = out[i + lag] ?? 0;
      xy += src[i] * y;
      xx += src[i] * src[i];
      yy += y * y;
    }
    best = Math.max(best, xy / Math.sqrt(xx * yy || 1));
  }
  return best;
}

async function login(url: string, username: string, password: string): Promise<string> {
  const r = await fetch(`${url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
  if (r.status !== 200) throw new Error(`login ${r.status}`);
  return (r.headers.get('set-cookie') ?? '').split(';')[0];
}

t.test('imported call with a card number: stored muted over the digits, the source elsewhere; playback by role, audited; retention', { timeout: 240_000 }, async (t) => {
  const dir = t.testdir();
  const chans = fliteCall(dir, TURNS);
  const n = chans[0].length;
  const inter = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    inter.writeInt16LE(chans[0][i], i * 4);
    inter.writeInt16LE(chans[1][i], i * 4 + 2);
  }
  const file = path.join(dir, 'call.wav');
  writeFileSync(file, wav({ channels: 2, rate: 16000, data: inter }));

  const config = validateConfig({
    dataDir: path.join(dir, 'data'),
    log: { level: 'silent' },
    http: { host: '127.0.0.1', port: 0 },
    sip: { front: 'off' },
    speech: { workers: 1, maxQueueSeconds: 30 },
    privacy: { storeAudio: true },
    recordings: { minFreeMb: 0, holdSeconds: 120 },
  });
  const app = await startAppliance(config);
  t.teardown(() => app.close());
  const p = app.pipeline;
  const finals: Transcript[] = [];
  p.bus.on('transcript', (tr) => tr.final && finals.push(tr)); // the test only
  const ended = new Promise<void>((resolve) => p.bus.on('call.ended', () => resolve()));
  const res = await importFile({ log: p.log, bus: p.bus, calls: p.calls, metrics: p.metrics, speech: p.speech, imports: storeImportLedger(p.store) }, file, { channels: ['customer', 'agent'] });
  // The stage closes the legs' files on call.ended (its listener runs before this one).
  await ended;
  await p.recordings.idle();

  const rows = p.store.repos.recordings.byCall(res.callId);
  t.equal(rows.length, 2, 'one recording per leg');
  const legs = dbOf(p.store).prepare('SELECT id, role FROM legs WHERE call_id = ?').all(res.callId) as { id: string; role: string }[];
  const custLeg = legs.find((l) => l.role === 'customer')!.id;
  const cust = rows.find((r) => r.legId === custLeg)!;
  const agent = rows.find((r) => r.legId !== custLeg)!;
  t.equal(cust.status, 'complete');
  t.ok(cust.path.startsWith(path.join(dir, 'data', 'recordings')), 'under dataDir/recordings');
  const raw = readFileSync(cust.path);
  t.notOk(raw.includes(Buffer.from(new Int16Array(chans[0].subarray(16000, 16100)).buffer)), 'no plain audio in the file');

  // What the recogniser heard as digits on the customer leg: the span the muting must cover.
  const digitWords = finals.filter((f) => f.legId === custLeg).flatMap((f) => f.words ?? []).filter((w) => /^(one|four|oh|zero|two|three|five|six|seven|eight|nine)(\(\d+\))?$/u.test(w.w));
  t.ok(digitWords.length >= 8, `the recogniser heard the digits (${digitWords.length} digit words)`);
  const redacted = cust.muted.filter((m) => m.reason === 'redacted');
  t.ok(redacted.length >= 1, 'the call record lists the muted span');
  t.notOk(cust.muted.some((m) => m.reason === 'unanalysed'), 'nothing was left unanalysed');
  const covered = digitWords.filter((w) => redacted.some((m) => m.startMs <= w.startMs && m.endMs >= w.endMs)).length;
  t.equal(covered, digitWords.length, 'every recognised digit word lies inside a muted span');
  t.same(agent.muted, [], 'the agent leg had nothing to mute');

  // Decrypt and decode with the key ring: silent over the muted spans, the source elsewhere.
  const ring = openKeyRing(keyFilePath(config));
  const reader = new SealedReader(cust.path, (id) => ring.key(id));
  t.equal(reader.header.keyId, ring.activeId);
  const wavBytes = renderWav(reader);
  reader.close();
  const out = new Int16Array(wavBytes.buffer.slice(wavBytes.byteOffset + 44, wavBytes.byteOffset + wavBytes.length));
  const rate = cust.sampleRate;
  t.equal(rate, 16000);
  t.ok(Math.abs(out.length - n) <= 320 + rate * 0.01, 'decoded length matches the source');
  const at = (legMs: number) => Math.round(((legMs - cust.offsetMs) * rate) / 1000);
  const src = (legMs: number) => Math.round((legMs * rate) / 1000); // import legs start at leg time 0
  for (const m of redacted) {
    const a = at(m.startMs) + 160;
    const b = at(m.endMs) - 160;
    const srcRms = rms(chans[0], src(m.startMs), src(m.endMs));
    const outRms = rms(out, a, b);
    t.ok(srcRms > 300, `the source has speech in the muted span (rms ${srcRms.toFixed(0)})`);
    t.ok(outRms < 5, `the stored audio is silent there (rms ${outRms.toFixed(1)})`);
  }
  // Elsewhere: compare 1 s windows of customer speech outside every muted span.
  const firstMute = Math.min(...cust.muted.map((m) => m.startMs));
  const lastMute = Math.max(...cust.muted.map((m) => m.endMs));
  const windows: [number, number][] = [];
  for (let ms = 0; ms + 1000 < n / 16; ms += 500) {
    if (ms + 1000 > firstMute - 200 && ms < lastMute + 200) continue;
    if (rms(chans[0], src(ms), src(ms + 1000)) > 500) windows.push([ms, ms + 1000]);
  }
  t.ok(windows.length >= 3, `customer speech outside the muted spans (${windows.length} windows)`);
  for (const [a, b] of windows) {
    const c = correlation(chans[0].subarray(src(a), src(b)), out.subarray(at(a), at(b) + 200), 0, src(b) - src(a) - 200, 8);
    t.ok(c > 0.8, `${a}-${b} ms matches the source within codec error (correlation ${c.toFixed(2)})`);
  }

  // HTTP: a viewer is refused, a supervisor plays (ranges, no caching), and both are audited.
  createUser(dbOf(p.store), { username: 'vera', role: 'viewer', password: 'viewer password 1' });
  createUser(dbOf(p.store), { username: 'sam', role: 'supervisor', password: 'supervisor password 1' });
  const viewer = await login(app.url, 'vera', 'viewer password 1');
  const sup = await login(app.url, 'sam', 'supervisor password 1');
  const url = `${app.url}/api/v1/calls/${res.callId}/recordings/${custLeg}`;
  const denied = await fetch(url, { headers: { cookie: viewer } });
  t.equal(denied.status, 403, 'viewer: 403');
  t.equal(((await denied.json()) as { error: { code: string } }).error.code, 'EARSHOT_ERR_FORBIDDEN');
  const list = (await (await fetch(`${app.url}/api/v1/calls/${res.callId}/recordings`, { headers: { cookie: viewer } })).json()) as { playable: boolean; recordings: unknown[] };
  t.equal(list.playable, false);
  t.equal(list.recordings.length, 2, 'the viewer sees that recordings exist and what was muted');
  const full = await fetch(url, { headers: { cookie: sup } });
  t.equal(full.status, 200);
  t.equal(full.headers.get('cache-control'), 'no-store');
  t.equal(full.headers.get('accept-ranges'), 'bytes');
  t.equal(full.headers.get('content-type'), 'audio/wav');
  const body = Buffer.from(await full.arrayBuffer());
  t.same(body, wavBytes, 'the API serves the decrypted WAV');
  const part = await fetch(url, { headers: { cookie: sup, range: 'bytes=100000-100999' } });
  t.equal(part.status, 206);
  t.equal(part.headers.get('content-range'), `bytes 100000-100999/${wavBytes.length}`);
  t.same(Buffer.from(await part.arrayBuffer()), wavBytes.subarray(100000, 101000), 'a range is that slice of the file');
  const tail = await fetch(url, { headers: { cookie: sup, range: `bytes=${wavBytes.length + 5}-` } });
  t.equal(tail.status, 416);
  const dl = await fetch(`${url}?download=1`, { headers: { cookie: sup } });
  t.match(dl.headers.get('content-disposition') ?? '', /^attachment/u);
  await dl.arrayBuffer();
  const audit = dbOf(p.store).prepare("SELECT actor, action, target FROM audit_log WHERE action LIKE 'recording.%' ORDER BY id").all();
  t.same(audit, [
    { actor: 'vera', action: 'recording.denied', target: res.callId },
    { actor: 'sam', action: 'recording.play', target: res.callId },
    { actor: 'sam', action: 'recording.play', target: res.callId },
    { actor: 'sam', action: 'recording.download', target: res.callId },
  ], 'every playback, download and refusal audited');
  const usage = (await (await fetch(`${app.url}/api/v1/recordings/usage?days=2`, { headers: { cookie: sup } })).json()) as { days: { bytes: number; files: number }[] };
  t.equal(usage.days.length, 1);
  t.equal(usage.days[0].files, 2);
  t.equal(usage.days[0].bytes, rows[0].bytes + rows[1].bytes);
  const ready = (await (await fetch(`${app.url}/readyz`)).json()) as Record<string, unknown>;
  t.match(JSON.stringify(ready), /recordings/u, '/readyz reports recordings');

  // The console: a player per leg; clicking an utterance plays its leg from the utterance's start.
  const browser = await launch(t);
  const page = await browser.newPage();
  await page.goto(app.url);
  await page.fill('#login-username', 'sam');
  await page.fill('#login-password', 'supervisor password 1');
  await page.click('#login-submit');
  await page.waitForSelector('#login-form', { state: 'detached' });
  await page.goto(`${app.url}/#/calls/${res.callId}`);
  await page.waitForSelector('[data-testid="detail-recordings"] audio >> nth=1');
  t.match(await page.textContent('[data-testid="detail-recordings"]'), /redacted number/u, 'the muted spans are listed');
  const utts = dbOf(p.store).prepare('SELECT id, leg_id AS legId, start_ms AS startMs FROM utterances WHERE call_id = ? ORDER BY start_ms').all(res.callId) as { id: number; legId: string; startMs: number }[];
  const target = utts.filter((u) => u.legId === custLeg).at(-1)!;
  await page.click(`[data-testid="detail-transcript"] li[data-utt-id="${target.id}"] .text`);
  const expected = (target.startMs - cust.offsetMs) / 1000;
  await page.waitForFunction(({ leg, at }) => {
    const a = document.querySelector(`[data-testid="player-${leg}"]`) as HTMLAudioElement | null;
    return !!a && Math.abs(a.currentTime - at) < 0.5;
  }, { leg: custLeg, at: expected }, { timeout: 20_000 });
  t.pass(`clicking the utterance seeks the customer player to ${expected.toFixed(2)} s`);
  const plays = dbOf(p.store).prepare("SELECT COUNT(*) FROM audit_log WHERE action = 'recording.play' AND actor = 'sam'").pluck().get() as number;
  t.ok(plays > 2, 'the browser\'s range requests are audited too');
  await page.close();

  // Without the key ring, nothing is readable.
  const other = path.join(dir, 'other-ring');
  const stranger = openKeyRing(other, { create: true });
  t.throws(() => new SealedReader(cust.path, (id) => stranger.key(id)), { code: 'EARSHOT_ERR_RECORDING_KEY' });

  // Retention, with the clock moved: exactly the recordings past audioDays go, files and rows.
  const day = 86_400_000;
  const [older, newer] = [...rows].sort((x, y) => x.createdAt - y.createdAt);
  const retention = { ...config.retention, audioDays: 3 };
  t.equal(purge(dbOf(p.store), retention, older.createdAt + 3 * day).recordings, 0, 'exactly 3 days old is not yet due');
  t.ok(existsSync(older.path) && existsSync(newer.path));
  const first = purge(dbOf(p.store), retention, older.createdAt + 3 * day + 1).recordings;
  t.equal(first, rows.filter((r) => r.createdAt <= older.createdAt).length, 'one millisecond later: exactly the recordings created by then');
  t.notOk(existsSync(older.path), 'its file is deleted');
  t.equal(existsSync(newer.path), newer.createdAt > older.createdAt, 'a younger one stays');
  t.equal(purge(dbOf(p.store), retention, newer.createdAt + 3 * day + 1).recordings, rows.length - first);
  t.notOk(existsSync(newer.path));
  t.same(p.store.repos.recordings.byCall(res.callId), []);
  t.ok(dbOf(p.store).prepare('SELECT 1 FROM calls WHERE id = ?').get(res.callId), 'the call itself stays (callsDays)');
});

t.test('privacy.storeAudio off (the default): no audio file and no key anywhere', { timeout: 240_000 }, async (t) => {
  const dir = t.testdir();
  const data = path.join(dir, 'data');
  const chans = fliteCall(dir, TURNS);
  const file = path.join(dir, 'mono.wav');
  writeFileSync(file, wav({ channels: 1, rate: 16000, data: Buffer.from(chans[0].buffer, chans[0].byteOffset, chans[0].byteLength) }));
  const config = validateConfig({ dataDir: data, log: { level: 'silent' }, sip: { front: 'off' }, speech: { workers: 1, maxQueueSeconds: 30 } });
  t.equal(config.privacy.storeAudio, false);
  const app = await startAppliance({ ...config, http: { ...config.http, host: '127.0.0.1', port: 0 } });
  const p = app.pipeline;
  const ended = new Promise<void>((resolve) => p.bus.on('call.ended', () => resolve()));
  const res = await importFile({ log: p.log, bus: p.bus, calls: p.calls, metrics: p.metrics, speech: p.speech, imports: storeImportLedger(p.store) }, file);
  await ended;
  await p.recordings.idle();
  t.ok(dbOf(p.store).prepare('SELECT 1 FROM utterances WHERE call_id = ?').get(res.callId), 'the call was analysed');
  t.same(p.store.repos.recordings.byCall(res.callId), []);
  t.same(p.recordings.ready().state, 'off');
  await app.close();
  const all = files(data);
  t.same(all.filter((f) => !/^earshot\.db(-wal|-shm|-owner)?$|^caller-salt$/u.test(f)), [], `only the database and the salt in dataDir (${all.join(', ')})`);
  t.notOk(existsSync(path.join(data, 'recordings.keys')), 'no key ring made');
});
