// Probe: RFC 4028 session timers with the SRC. sipp asks for a 3 s session (refresher: itself) and
// never refreshes: the 200 carries Session-Expires (refresher=uac) and Require: timer, and the SRS
// ends the session with its own BYE before it expires (interval − min(32, interval/3)); the call is
// stored with end reason session-expired. An interval below Min-SE gets 422 with Min-SE.
// Min-SE is lowered to 2 s for the test (the default and RFC floor is 90 s).
import t from 'tap';
import { runSipp } from '../fixtures/sipp/harness.js';
import { eventually, sippPorts, startProbe } from './rig.js';

t.test('a session timer the SRC never refreshes ends the call with session-expired', { timeout: 60_000 }, async (t) => {
  const p = await startProbe(t, (c) => (c.sip.minSessionExpiresSeconds = 2));
  const target = `127.0.0.1:${p.appliance.sip!.udp}`;
  const started = Date.now();
  const run = await runSipp(t, p.dir, 'uac-siprec-session-timer-expect-srs-bye.xml', { SE: '3', BYE_WITHIN: '5000' }, target, await sippPorts());
  t.equal(run.code, 0, `200 with Session-Expires and Require: timer; the SRS's BYE came: ${run.stderr.slice(-300)}`);
  const took = Date.now() - started;
  t.ok(took >= 1800 && took < 3000, `BYE before the 3 s session expired (${took} ms)`);
  await eventually(() => p.storedCalls()[0]?.state === 'interrupted', 'call stored');
  t.equal(p.storedCalls()[0].end_reason, 'session-expired');

  const small = await runSipp(t, p.dir, 'uac-siprec-session-too-small-expect-422.xml', { SE: '1' }, target, await sippPorts());
  t.equal(small.code, 0, `422 with Min-SE: ${small.stderr.slice(-300)}`);
  t.equal(await p.bad('sip', 'session-interval-too-small'), 1);
  t.equal(p.storedCalls().length, 1, 'no call for the refused INVITE');
});
