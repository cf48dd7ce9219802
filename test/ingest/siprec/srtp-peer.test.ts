// SRTP from a real, independent peer: sipp sends the SIPREC INVITE (RTP/SAVP, a=crypto with the
// keys), ffmpeg's SRTP muxer (libavformat's own AES_CM_128_HMAC_SHA1_80, nothing of ours) sends
// the media. Leg 1 is encrypted with the offered key and must decode sample-exact against sox's
// decode of the same µ-law; leg 2 is encrypted with a key other than the offered one: every
// packet is counted as an SRTP authentication failure, the leg is marked, nothing is decoded and
// the process goes on. ffmpeg and sipp are bounded in time and killed by PID.
import t from 'tap';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { PipelineBus } from '../../../src/call/events.js';
import { CallRegistry } from '../../../src/call/registry.js';
import type { LegInfo, LegStats } from '../../../src/call/types.js';
import { validateConfig } from '../../../src/config/index.js';
import { createMetrics } from '../../../src/metrics/registry.js';
import { createSiprecIngest } from '../../../src/ingest/siprec/index.js';
import { freePort, runSipp, speechUlaw } from '../../fixtures/sipp/harness.js';
import { answerLog, metricValue, waitFor } from './helpers.js';

/** ffmpeg sending a raw µ-law file as SRTP (20 ms packets: 160 samples + 12 header + 10 tag + ffmpeg's 4 spare). */
function ffmpegSrtp(t: { teardown(fn: () => void): void }, file: string, key: string, port: number): Promise<number | null> {
  const args = ['-hide_banner', '-loglevel', 'error', '-nostdin', '-re', '-f', 'mulaw', '-ar', '8000', '-ac', '1', '-i', file, '-c:a', 'copy', '-f', 'rtp', '-srtp_out_suite', 'AES_CM_128_HMAC_SHA1_80', '-srtp_out_params', key, `srtp://127.0.0.1:${port}?pkt_size=186`];
  const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const kill = () => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGKILL');
  };
  const timer = setTimeout(kill, 30_000);
  t.teardown(() => {
    clearTimeout(timer);
    kill();
  });
  return new Promise((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve(code);
  }));
}

t.test('SIPREC with real SRTP from ffmpeg: sample-exact with the offered key; a wrong key counted, the leg marked', { timeout: 90_000 }, async (t) => {
  const dir = t.testdir();
  const src = speechUlaw(dir, 'src', 'Please read me the card number printed on the back.', 'kal');
  const ulFile = path.join(dir, 'src.ul');
  const offered1 = randomBytes(30).toString('base64');
  const offered2 = randomBytes(30).toString('base64');
  const wrong2 = randomBytes(30).toString('base64'); // what ffmpeg really uses on leg 2

  // The answer's ports come from the SIP log's debug line of our 200 (SDP is kept by the redaction).
  const { log, answers } = answerLog();
  const base = 30000 + 2 * Math.floor(Math.random() * 10000);
  const config = validateConfig({ sip: { host: '127.0.0.1', port: 0 }, rtp: { host: '127.0.0.1', portMin: base, portMax: base + 200 } });
  const bus = new PipelineBus();
  const calls = new CallRegistry(bus, 5);
  const metrics = createMetrics({ defaults: false });
  const legs: LegInfo[] = [];
  const audio = new Map<string, { tMs: number; samples: Int16Array }[]>();
  const stats = new Map<string, LegStats>();
  let ended = 0;
  bus.on('leg.added', (l) => legs.push(l));
  bus.on('leg.audio', (a) => audio.set(a.legId, [...(audio.get(a.legId) ?? []), { tMs: a.tMs, samples: a.samples }]));
  bus.on('leg.stats', (s) => stats.set(s.legId, s.stats));
  bus.on('call.ended', () => ended++);
  const ingest = await createSiprecIngest({ config, log, bus, calls, metrics });
  t.teardown(() => ingest.close());

  const durMs = Math.ceil((src.ulaw.length / 8000) * 1000);
  const sipp = runSipp(t, dir, 'uac-siprec-srtp-expect-200.xml', { KEY1: offered1, KEY2: offered2, PAUSE: String(durMs + 2500) }, `127.0.0.1:${ingest.address().udp}`, ['-p', String(await freePort()), '-mp', String(await freePort(4))]);
  t.ok(await waitFor(() => answers.length > 0, 10_000), 'the INVITE was answered');
  const answer = answers[0];
  t.equal([...answer.matchAll(/^m=audio \d+ RTP\/SAVP 0/gm)].length, 2, 'both streams answered RTP/SAVP');
  t.equal([...answer.matchAll(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/gm)].length, 2, 'with our a=crypto');
  t.notOk(answer.includes(offered1) || answer.includes(offered2), 'our keys, not the SRC’s');
  const [p1, p2] = [...answer.matchAll(/^m=audio (\d+)/gm)].map((m) => Number(m[1]));

  const [c1, c2] = await Promise.all([ffmpegSrtp(t, ulFile, offered1, p1), ffmpegSrtp(t, ulFile, wrong2, p2)]);
  t.equal(c1, 0, 'ffmpeg sent leg 1');
  t.equal(c2, 0, 'ffmpeg sent leg 2');
  const run = await sipp;
  t.equal(run.code, 0, `sipp: ${run.stderr.slice(-300)}`);
  t.ok(await waitFor(() => ended === 1), 'BYE ended the call');

  const n = Math.ceil(src.ulaw.length / 160);
  const l1 = legs.find((l) => l.label === '1')!;
  const l2 = legs.find((l) => l.label === '2')!;
  const chunks = [...(audio.get(l1.legId) ?? [])].sort((a, b) => a.tMs - b.tMs);
  const got = new Int16Array(chunks.reduce((k, c) => k + c.samples.length, 0));
  let o = 0;
  for (const c of chunks) {
    got.set(c.samples, o);
    o += c.samples.length;
  }
  t.ok(got.length >= src.pcm.length, `all of leg 1 delivered (${got.length} ≥ ${src.pcm.length})`);
  let mismatches = 0;
  for (let i = 0; i < src.pcm.length; i++) if (got[i] !== src.pcm[i]) mismatches++;
  t.equal(mismatches, 0, 'ffmpeg’s SRTP decrypted and decoded equals sox’s decode of the source µ-law, sample for sample');
  t.same(l1.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: 0 });
  t.equal(stats.get(l1.legId)?.packets, n, 'every packet of leg 1 accepted');
  t.equal(stats.get(l1.legId)?.lost, 0);

  t.same(l2.srtp, { suite: 'AES_CM_128_HMAC_SHA1_80', authFailures: n }, 'wrong-key leg marked with every packet');
  t.equal(stats.get(l2.legId)?.srtpAuthFailures, n, 'in its stats (what calls show prints)');
  t.equal(stats.get(l2.legId)?.packets, 0, 'nothing of the wrong key reached the decoder');
  t.equal((audio.get(l2.legId) ?? []).flatMap((c) => [...c.samples]).filter((s) => s !== 0).length, 0, 'no noise decoded from ciphertext');
  t.equal(await metricValue(metrics, 'earshot_srtp_auth_failures_total'), n, 'counted in the metric');
  t.equal(await metricValue(metrics, 'earshot_rtp_dropped_total', { reason: 'srtp-auth' }), n);
  const again = await runSipp(t, dir, 'uac-options-expect-200.xml', {}, `127.0.0.1:${ingest.address().udp}`, ['-p', String(await freePort())]);
  t.equal(again.code, 0, 'the SRS still answers');
});
