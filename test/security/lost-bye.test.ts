// Probe: a SIPREC call whose BYE never comes. sipp plays an SRC that puts the recording on hold
// (re-INVITE a=inactive) for longer than the inactivity timeout, resumes, and then sends neither RTP
// nor BYE. The hold must not end the call (sipp fails on a BYE it does not expect there); after the
// resume, rtp.inactivitySeconds without RTP end it: the SRS sends its own BYE (sipp answers 200) and
// the call is stored as interrupted with end_reason rtp-inactivity. Its RTP ports are released.
import t from 'tap';
import { runSipp } from '../fixtures/sipp/harness.js';
import { eventually, sippPorts, startProbe } from './rig.js';

const INACTIVITY_S = 2;
const HOLD_MS = 3500; // longer than the timeout: a clock that kept running on hold would fire in it

t.test('a SIPREC call whose BYE is lost ends after rtp.inactivitySeconds, not while on hold', { timeout: 120_000 }, async (t) => {
  const p = await startProbe(t, (c) => (c.rtp.inactivitySeconds = INACTIVITY_S));
  let resumedAt = 0;
  let endedAt = 0;
  const bus = p.appliance.pipeline.bus;
  bus.on('call.event', (e) => void (e.kind === 'resume' && (resumedAt = Date.now())));
  bus.on('call.ended', () => void (endedAt = Date.now()));

  const run = await runSipp(t, p.dir, 'uac-siprec-hold-then-silence-expect-srs-bye.xml', { HOLD: String(HOLD_MS), BYE_WITHIN: String((INACTIVITY_S + 4) * 1000) }, `127.0.0.1:${p.appliance.sip!.udp}`, await sippPorts());
  t.equal(run.code, 0, `no BYE during the hold; the SRS's BYE after it: ${run.stderr.slice(-400)}`);

  await eventually(() => p.storedCalls()[0]?.state === 'interrupted', 'the call stored as ended');
  const [call] = p.storedCalls();
  t.equal(call.ingest, 'siprec');
  t.equal(call.end_reason, 'rtp-inactivity', 'stored with its reason');
  t.ok(resumedAt > 0, 'the resume was seen');
  const afterResume = endedAt - resumedAt;
  t.ok(afterResume >= INACTIVITY_S * 1000 - 100 && afterResume < (INACTIVITY_S + 2) * 1000, `ended ${afterResume} ms after the resume (timeout ${INACTIVITY_S} s)`);
  t.equal(p.appliance.pipeline.calls.size, 0, 'the call slot is free');
  t.equal(await p.bad('rtp', 'inactivity'), 1, 'counted');
});
