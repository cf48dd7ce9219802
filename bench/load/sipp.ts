// A SIPREC recording client (SRC) driven by sipp: one INVITE with two labelled PCMU m-lines and
// rs-metadata, both legs' RTP replayed from a pcap (play_pcap_audio), optionally a hold/resume
// pair of re-INVITEs, then BYE (CANCELled calls: sipp-cancel.ts). Every sipp process is bounded
// by -timeout and by a kill timer.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { legPackets, writePcap } from '../../test/fixtures/sipp/harness.js';

const HEADERS = (method: string, cseq: number, toLine: string) => `${method} sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      ${toLine}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:src@[local_ip]:[local_port]>;+sip.src
      Max-Forwards: 70`;

const sdp = (dir: string) => `v=0
      o=src 1 1 IN IP4 [media_ip]
      s=-
      c=IN IP4 [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=label:1
      a=${dir}
      m=audio [media_port+2] RTP/AVP 0 101
      a=rtpmap:0 PCMU/8000
      a=rtpmap:101 telephone-event/8000
      a=label:2
      a=${dir}`;

const METADATA = `<?xml version="1.0" encoding="UTF-8"?>
      <recording xmlns="urn:ietf:params:xml:ns:recording:1">
        <datamode>complete</datamode>
        <session session_id="s1"><sipSessionID>abc</sipSessionID></session>
        <participant participant_id="pa"><nameID aor="sip:2001@pbx.example"/></participant>
        <participant participant_id="pc"><nameID aor="sip:+15550001111@carrier.example"/></participant>
        <stream stream_id="st1" session_id="s1"><label>1</label></stream>
        <stream stream_id="st2" session_id="s1"><label>2</label></stream>
        <participantstreamassoc participant_id="pa"><send>st1</send><recv>st2</recv></participantstreamassoc>
        <participantstreamassoc participant_id="pc"><send>st2</send><recv>st1</recv></participantstreamassoc>
      </recording>`;

const ack = (cseq: number) => `<send><![CDATA[
      ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      [last_To:]
      Call-ID: [call_id]
      CSeq: ${cseq} ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]></send>`;

const reinvite = (cseq: number, dir: string) => `<send retrans="500"><![CDATA[
      ${HEADERS('INVITE', cseq, '[last_To:]')}
      Content-Type: application/sdp
      Content-Length: [len]

      ${sdp(dir)}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="200"/>
  ${ack(cseq)}`;

export interface ScenarioOptions {
  pcap: string;
  /** How long the call lasts after the ACK (the pcap should end before). */
  durationMs: number;
  /** Hold (a=inactive) at 1/3 and resume at 2/3 of the call. */
  holdResume?: boolean;
}

/** The initial INVITE's headers after Max-Forwards and its body: two PCMU m-lines plus rs-metadata. */
export const INVITE_BODY = `Require: siprec
      Content-Type: multipart/mixed;boundary=foobar
      Content-Length: [len]

      --foobar
      Content-Type: application/sdp

      ${sdp('sendonly')}
      --foobar
      Content-Type: application/rs-metadata+xml
      Content-Disposition: recording-session

      ${METADATA}
      --foobar--`;

export function siprecScenario(o: ScenarioOptions): string {
  const third = Math.round(o.durationMs / 3);
  const middle = o.holdResume
    ? `<pause milliseconds="${third}"/>\n  ${reinvite(2, 'inactive')}\n  <pause milliseconds="1000"/>\n  ${reinvite(3, 'sendonly')}\n  <pause milliseconds="${o.durationMs - third - 1000}"/>`
    : `<pause milliseconds="${o.durationMs}"/>`;
  const bye = o.holdResume ? 4 : 2;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="earshot load siprec">
  <send retrans="500"><![CDATA[
      ${HEADERS('INVITE', 1, 'To: <sip:srs@[remote_ip]:[remote_port]>')}
      ${INVITE_BODY}
    ]]></send>
  <recv response="100" optional="true"/>
  <recv response="200" rrs="true"/>
  ${ack(1)}
  <nop><action><exec play_pcap_audio="${o.pcap}"/></action></nop>
  ${middle}
  <send retrans="500"><![CDATA[
      ${HEADERS('BYE', bye, '[last_To:]')}
      Content-Length: 0
    ]]></send>
  <recv response="200"/>
</scenario>
`;
}

/** Writes the two-leg pcap (label 1 = agent on the lower port, label 2 = customer 2 above). */
export function writeTwoLegPcap(file: string, agentUlaw: Buffer, customerUlaw: Buffer): void {
  const pkts = [
    ...legPackets(agentUlaw, { ssrc: 0x1111, srcPort: 7000, dstPort: 9000, t0: 1 }),
    ...legPackets(customerUlaw, { ssrc: 0x2222, srcPort: 7002, dstPort: 9002, t0: 1.001 }),
  ].sort((a, b) => a.t - b.t);
  writePcap(file, pkts);
}

export interface SippResult {
  code: number | null;
  stderr: string;
}

/** Children still running, so a harness can kill them by PID whatever happens. */
export const running = new Set<ChildProcess>();

export function killAll(): void {
  for (const c of running) if (c.exitCode === null && c.pid) process.kill(c.pid, 'SIGKILL');
}

/** Runs one sipp call; resolves with its exit code (0 = every expected response came). */
export function runSiprecCall(dir: string, name: string, target: string, ports: { sip: number; media: number }, o: ScenarioOptions): Promise<SippResult> {
  const file = path.join(dir, `${name}.xml`);
  writeFileSync(file, siprecScenario(o));
  const limitS = Math.ceil(o.durationMs / 1000) + 30;
  const args = ['-sf', file, '-m', '1', '-i', '127.0.0.1', '-p', String(ports.sip), '-mp', String(ports.media), '-timeout', `${limitS}s`, '-timeout_error', '-nostdin', target];
  return runBounded(dir, args, limitS);
}

/** sipp bounded by its own -timeout and by a SIGKILL by PID 10 s after it. */
export function runBounded(dir: string, args: string[], limitS: number): Promise<SippResult> {
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  const killer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), (limitS + 10) * 1000);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(killer);
      running.delete(child);
      resolve({ code, stderr });
    }),
  );
}
