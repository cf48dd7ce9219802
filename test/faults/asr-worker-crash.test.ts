// A recognition worker dies in the middle of calls (terminated as a crash would, through the
// pool's own hook): the process survives, the legs it carried are marked with an `asr-restart`
// call event (stored), recognition carries on after the restart, and the calls end and are stored
// normally. A native crash (SIGSEGV in the engine) would take the whole process: worker threads
// share it; that case is the SIGKILL test (serve-kill.test.ts).
import t from 'tap';
import path from 'node:path';
import { pino } from 'pino';
import { validateConfig } from '../../src/config/index.js';
import { startAppliance } from '../../src/main.js';
import type { SpeechStageInternals } from '../../src/speech/index.js';
import { conversation, forkStereo } from '../../bench/load/audio.js';
import { LOAD_FORKS, runForkCall } from '../../bench/load/fork-client.js';
import { dbOf } from '../helpers/db.js';

t.test('worker crash mid-call: process survives, legs marked, recognition resumes', { timeout: 120_000 }, async (t) => {
  const dir = t.testdir();
  const conv = conversation(dir, 30, 0);
  const config = validateConfig({ forks: LOAD_FORKS, dataDir: path.join(dir, 'data'), http: { host: '127.0.0.1', port: 0 }, sip: { front: 'off' }, speech: { workers: 2 } });
  const app = await startAppliance(config, { log: pino({ level: 'silent' }) });
  t.teardown(() => app.close());
  const { bus, store, speech, calls } = app.pipeline;
  const pool = (speech as SpeechStageInternals).pool;
  t.ok(pool, 'a worker pool is running');

  const utt: { callId: string; legId: string; seq: number; startMs: number }[] = [];
  const restarts: { callId: string; legId?: string; tMs: number }[] = [];
  // Mid-call means: both calls are being recognised (each has a final). Awaited, not slept for.
  let recognising!: () => void;
  const bothRecognised = new Promise<void>((resolve) => (recognising = resolve));
  bus.on('utterance', (u) => {
    utt.push({ callId: u.callId, legId: u.legId, seq: u.seq, startMs: u.startMs });
    if (new Set(utt.map((x) => x.callId)).size >= 2) recognising();
  });
  bus.on('call.event', (e) => e.kind === 'asr-restart' && restarts.push({ callId: e.callId, legId: e.legId, tMs: e.tMs }));

  const pcm = forkStereo(conv);
  const running = [0, 1].map((i) => runForkCall(app.url, pcm, { sampleRate: 16000, callSid: `crash-${i}` }));
  await bothRecognised;
  await pool!.killWorker(0);
  const results = await Promise.all(running);
  t.same(results.map((r) => r.closeCode), [1000, 1000], 'both calls streamed to the end and closed normally');

  const end = Date.now() + 60_000;
  while (calls.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
  await Promise.race([calls.idle(), new Promise((r) => setTimeout(r, Math.max(0, end - Date.now())).unref())]);
  store.flush();

  t.ok(restarts.length >= 1, `legs on the dead worker marked (${restarts.length} asr-restart events)`);
  const stored = (dbOf(store).prepare("SELECT count(*) AS n FROM call_events WHERE kind = 'asr-restart'").get() as { n: number }).n;
  t.equal(stored, restarts.length, 'every asr-restart event is stored');
  // Each leg the dead worker carried is recognised again: a final that starts after the audio
  // position the restart event names (where the leg stood when its worker died).
  for (const r of restarts) {
    t.ok(r.legId, 'the restart names its leg');
    t.ok(utt.some((u) => u.legId === r.legId && u.startMs > r.tMs), `a marked leg is still transcribed after the restart (from ${r.tMs} ms)`);
  }
  const rows = dbOf(store).prepare("SELECT state, (SELECT count(*) FROM legs WHERE call_id = calls.id) AS legs FROM calls").all() as { state: string; legs: number }[];
  t.same(rows.map((r) => [r.state, r.legs]), [['ended', 2], ['ended', 2]], 'both calls stored, ended, with both legs');
  const storedUtt = dbOf(store).prepare('SELECT leg_id, seq FROM utterances').all() as { leg_id: string; seq: number }[];
  // A restarted worker numbers finals afresh; the stage shifts them past what the leg already
  // emitted, so the store's UNIQUE(leg_id, seq) keeps every one.
  t.equal(new Set(utt.map((u) => `${u.legId}:${u.seq}`)).size, utt.length, 'no repeated (leg, seq) after the restart');
  t.equal(storedUtt.length, utt.length, 'every utterance emitted is stored', { emitted: utt.map((u) => `${u.legId.slice(0, 4)}:${u.seq}@${u.startMs}`).join(' '), stored: storedUtt.map((u) => `${u.leg_id.slice(0, 4)}:${u.seq}`).join(' ') });
  t.equal(speech.ready().ok, true, 'speech is ready again');
});
