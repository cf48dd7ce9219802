// A SIPREC INVITE the SRC (sipp) CANCELs before, as far as it knows, the answer: the SRS may
// answer 487 or (the answer won the race) 200, and one scenario takes both without failing.
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { INVITE_BODY, runBounded, type SippResult } from './sipp.js';

export interface CancelOptions {
  /**
   * How long after the 100 Trying the SRC waits for an answer before it CANCELs: 0 = at once
   * (487 on an Opus offer), a few ms = a real race, a few hundred ms = the answer wins and the
   * CANCEL crosses the 200, as when an SBC gives up just as the SRS answers.
   */
  cancelAfterMs: number;
  /** Answered despite the CANCEL: how long the SRC keeps the dialog before its BYE. */
  holdMs?: number;
  /**
   * Offer Opus instead of PCMU. Earshot answers a PCMU offer in well under a millisecond, before
   * any CANCEL sent after the 100 can reach it; an Opus decoder takes a few ms to build, so a
   * CANCEL sent at once usually wins (487).
   */
  opus?: boolean;
}

/** How the SRS answered a CANCELled INVITE, as the SRC saw it. */
export type CancelOutcome = 'rejected-487' | 'answered-200';

// Labels for the outcome, written by sipp's <log> action (-trace_logs) and read back by the runner.
const OUTCOME = (o: CancelOutcome) => `<nop><action><log message="earshot-outcome ${o}"/></action></nop>`;
// The INVITE's transaction: the CANCEL and a non-2xx ACK must carry its branch (RFC 3261 §9.1, §17.1.1.3).
const INVITE_BRANCH = 'z9hG4bK-ecx-[pid]-[call_number]';
// The whole "tag=…" parameter: sipp refuses a variable assigned and never used (a capture group's
// whole-match variable would be one).
const TOTAG = '<ereg regexp="tag=[^;> ]+" search_in="hdr" header="To:" assign_to="totag"/>';

const cancelReq = `<send retrans="500"><![CDATA[
      CANCEL sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 CANCEL
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>`;

/**
 * A SIPREC INVITE the SRC CANCELs before (as far as it knows) the answer. The SRS may answer
 * either way and the scenario takes both without failing: 200 to the CANCEL then 487 to the
 * INVITE (ACKed on the INVITE's branch), or a 200 to the INVITE that won the race (ACK, then BYE).
 * The two 200s (CANCEL's, INVITE's) come in either order, and both are awaited by recvs placed
 * back to back: sipp drops a call on any response that arrives while it stands on a send or nop.
 * With cancelAfterMs > 0 the SRS must send 100 Trying first (Earshot always does); both 200s
 * must carry the same To tag (RFC 3261 §9.2; Earshot's do).
 */
export function cancelScenario(o: CancelOptions): string {
  // The SRC CANCELs once the 100 Trying is in, at once or after waiting cancelAfterMs for an answer.
  // (sipp does not put two sends on the wire back to back, and a response reaching it between
  // them fails the call: so the CANCEL waits for the 100.)
  const start = o.cancelAfterMs > 0
    ? `<recv response="100"/>
  <recv response="200" timeout="${o.cancelAfterMs}" ontimeout="cancel" next="crossed"><action>${TOTAG}</action></recv>
  <label id="cancel"/>
  ${cancelReq}`
    : `<recv response="100"/>
  ${cancelReq}`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="earshot load siprec cancel">
  <send retrans="500"><![CDATA[
      INVITE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
      Contact: <sip:src@[local_ip]:[local_port]>;+sip.src
      Max-Forwards: 70
      ${o.opus ? INVITE_BODY.replace(/RTP\/AVP 0 101/g, 'RTP/AVP 111 101').replace(/a=rtpmap:0 PCMU\/8000/g, 'a=rtpmap:111 opus/48000/2') : INVITE_BODY}
    ]]></send>
  ${start}
  <recv response="200"><action>${TOTAG}</action></recv>
  <recv response="487" optional="true" next="rejected"/>
  <recv response="200" next="answered"><action>${TOTAG}</action></recv>
  <label id="rejected"/>
  ${OUTCOME('rejected-487')}
  <send next="done"><![CDATA[
      ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=${INVITE_BRANCH}
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <label id="crossed"/>
  ${cancelReq}
  <recv response="200"/>
  <label id="answered"/>
  ${OUTCOME('answered-200')}
  <send><![CDATA[
      ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>;[$totag]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <pause milliseconds="${o.holdMs ?? 500}"/>
  <send retrans="500"><![CDATA[
      BYE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>;[$totag]
      Call-ID: [call_id]
      CSeq: 2 BYE
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>
  <recv response="200"/>
  <label id="done"/>
  <nop><action><log message="earshot-done"/></action></nop>
</scenario>
`;
}

export interface CancelResult extends SippResult {
  /** undefined when sipp failed before either outcome. */
  outcome?: CancelOutcome;
}

/** Runs one CANCELled SIPREC call; the outcome is read from sipp's log file. */
export async function runCancelCall(dir: string, name: string, target: string, ports: { sip: number; media: number }, o: CancelOptions): Promise<CancelResult> {
  const file = path.join(dir, `${name}.xml`);
  const logFile = path.join(dir, `${name}.log`);
  writeFileSync(file, cancelScenario(o));
  const limitS = Math.ceil((o.cancelAfterMs + (o.holdMs ?? 500)) / 1000) + 20;
  const args = ['-sf', file, '-m', '1', '-i', '127.0.0.1', '-p', String(ports.sip), '-mp', String(ports.media), '-timeout', `${limitS}s`, '-timeout_error', '-nostdin', '-trace_logs', '-log_file', logFile, target];
  const r = await runBounded(dir, args, limitS);
  let log = '';
  try {
    log = readFileSync(logFile, 'utf8');
  } catch {
    // sipp died before logging anything
  }
  const outcome = /earshot-outcome (rejected-487|answered-200)/.exec(log)?.[1] as CancelOutcome | undefined;
  return { ...r, outcome };
}
