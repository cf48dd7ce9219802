// A SIPREC call through the embedded SIP front, driven by sipp (a real SRC replaying flite speech
// as PCMU RTP): the customer reads a card number. The stored recording of the customer leg decrypts
// with the key ring, is silent where the digits were said, and follows the source elsewhere.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import type { Transcript } from '../../src/call/types.js';
import { keyFilePath, openKeyRing, renderWav, SealedReader } from '../../src/recordings/index.js';
import { siprecCall, startSiprecAppliance } from '../metrics/siprec-rig.js';

const SCRIPT = {
  agent: 'Thank you for calling. Please read me the card number.',
  customer: 'Sure. My card number is four one one one one one one one one one one one one one one one one. Thank you very much for the help today.',
};

const rms = (x: Int16Array, a: number, b: number) => {
  let s = 0;
  for (let i = Math.max(0, a); i < Math.min(x.length, b); i++) s += x[i] * x[i];
  return Math.sqrt(s / Math.max(1, b - a));
};

t.test('SIPREC call with a card number: the stored customer leg is muted over the digits', { timeout: 240_000 }, async (t) => {
  const dir = t.testdir();
  const { appliance, config } = await startSiprecAppliance(t, dir, (c) => {
    c.privacy = { storeAudio: true };
    c.recordings = { minFreeMb: 0, holdSeconds: 120 };
  });
  const { bus, store } = appliance.pipeline;
  const finals: Transcript[] = [];
  bus.on('transcript', (tr) => tr.final && finals.push(tr)); // the test only
  const { run, callId } = await siprecCall(t, appliance, dir, SCRIPT);
  t.equal(run.code, 0, `sipp: ${run.stderr.slice(-300)}`);
  await appliance.pipeline.recordings.idle();

  const legs = store.getCall(callId)!.legs;
  const cust = legs.find((l) => l.role === 'customer')!;
  const rows = store.repos.recordings.byCall(callId);
  t.equal(rows.length, 2, 'both legs recorded');
  const row = rows.find((r) => r.legId === cust.legId)!;
  t.equal(row.sampleRate, 8000, 'PCMU legs are stored at 8 kHz');
  const digits = finals.filter((f) => f.legId === cust.legId).flatMap((f) => f.words ?? []).filter((w) => /^(one|four)(\(\d+\))?$/u.test(w.w));
  t.ok(digits.length >= 8, `the recogniser heard the digits (${digits.length})`);
  const redacted = row.muted.filter((m) => m.reason === 'redacted');
  t.ok(redacted.length >= 1, 'muted spans in the call record');
  t.equal(digits.filter((w) => redacted.some((m) => m.startMs <= w.startMs && m.endMs >= w.endMs)).length, digits.length, 'every digit word is inside a muted span');

  const ring = openKeyRing(keyFilePath(config));
  const reader = new SealedReader(row.path, (id) => ring.key(id));
  const wav = renderWav(reader);
  reader.close();
  const out = new Int16Array(wav.buffer.slice(wav.byteOffset + 44, wav.byteOffset + wav.length));
  const at = (ms: number) => Math.round(((ms - row.offsetMs) * 8000) / 1000);
  for (const m of redacted) t.ok(rms(out, at(m.startMs) + 80, at(m.endMs) - 80) < 5, `silent over ${m.startMs}-${m.endMs} ms`);

  // Elsewhere the decoded leg follows the source (what sipp sent), found by cross-correlation.
  const raw = readFileSync(path.join(dir, 'customer.ref.raw'));
  const src = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
  const first = Math.min(...redacted.map((m) => m.startMs));
  const a = 4000; // 0.5 s in, before the number
  const b = Math.min(at(first) - 400, a + 8000);
  t.ok(b - a > 2000 && rms(src, a, b) > 300, 'speech before the number to compare');
  let best = 0;
  // The leg clock starts at the first RTP packet: source sample i sits near decoded sample i + codec delay.
  for (let lag = -400; lag <= 400; lag++) {
    let xy = 0, xx = 0, yy = 0;
    for (let i = a; i < b; i++) {
      const y = out[i + lag] ?? 0;
      xy += src[i] * y;
      xx += src[i] * src[i];
      yy += y * y;
    }
    best = Math.max(best, xy / Math.sqrt(xx * yy || 1));
  }
  t.ok(best > 0.8, `matches the source within codec error (correlation ${best.toFixed(2)})`);
});
