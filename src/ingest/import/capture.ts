import type { FileHandle } from 'node:fs/promises';
import type { Role } from '../../call/types.js';
import type { Metrics } from '../../metrics/registry.js';
import { ImportFormatError } from './format.js';
import { type Datagram, udpOf } from './net.js';
import { isCaptureMagic, readPackets } from './pcap.js';
import { memoryReader } from './pump.js';
import { decodeRtp } from './rtp-pcm.js';
import { type RunDeps, type RunOptions, runImport } from './run.js';
import { DialogTracker } from './sip-dialogs.js';

// A pcap/pcapng capture of SIP + RTP (SPAN port, VoIPmonitor-style tap) → one call per SIP
// dialog that carried G.711 audio, each with a caller and a callee leg. The file is read whole:
// captures of a few calls are small, and pairing RTP needs the SDP of both directions first.

export async function isCapture(fh: FileHandle): Promise<boolean> {
  const head = Buffer.alloc(4);
  const { bytesRead } = await fh.read(head, 0, 4, 0);
  return bytesRead === 4 && isCaptureMagic(head);
}

export interface CaptureOptions extends RunOptions {
  /** Roles of [caller, callee]; default the caller is the customer (inbound contact centre). */
  channels?: Role[];
}

export async function importCapture(
  deps: RunDeps & { metrics: Metrics },
  fh: FileHandle,
  fileName: string,
  fileKey: string,
  opts: CaptureOptions,
): Promise<{ callId: string; duplicate: boolean; calls: { callId: string; duplicate: boolean }[] }> {
  const [callerRole, calleeRole] = opts.channels?.length === 2 ? opts.channels : (['customer', 'agent'] as Role[]);
  const buf = await fh.readFile();
  const tracker = new DialogTracker();
  const rtp: Datagram[] = [];
  const skipped: Record<string, number> = {};
  for (const pkt of readPackets(buf)) {
    const d = udpOf(pkt.linktype, pkt.data, pkt.tsMs);
    if (typeof d === 'string') skipped[d] = (skipped[d] ?? 0) + 1;
    else if (!tracker.feed(d)) rtp.push(d);
  }
  const { calls, stats } = decodeRtp(tracker, rtp);
  deps.log.info({ dialogs: tracker.dialogs.length, withAudio: calls.length, ...stats, skipped }, 'capture scanned');
  if (stats.unsupportedCodec > 0) deps.metrics.badInput('import', 'unsupported-codec');
  if (calls.length === 0) {
    throw new ImportFormatError('no-calls', tracker.dialogs.length ? 'the capture has SIP calls but no G.711 RTP for them' : 'no SIP INVITE found in the capture');
  }
  const results: { callId: string; duplicate: boolean }[] = [];
  for (const c of calls) {
    const tracks = [c.caller.pcm, c.callee.pcm];
    const samples = Math.max(...tracks.map((t) => t.length));
    const spec = {
      key: `${fileKey}:${c.dialog.index}`,
      fileName,
      legs: [
        { role: callerRole, label: 'caller', codec: c.caller.codec ?? c.callee.codec ?? 'pcmu' },
        { role: calleeRole, label: 'callee', codec: c.callee.codec ?? c.caller.codec ?? 'pcmu' },
      ],
      sampleRate: 8000,
      totalMs: (samples * 1000) / 8000,
      startedAt: Math.round(c.dialog.startMs),
      legStats: [c.caller.stats, c.callee.stats],
      dtmf: c.dtmf.map((k) => ({ leg: k.side === 'caller' ? 0 : 1, tMs: k.tMs })),
    };
    results.push(await runImport(deps, spec, () => memoryReader(tracks), opts));
  }
  return { callId: results[0].callId, duplicate: results.every((r) => r.duplicate), calls: results };
}
