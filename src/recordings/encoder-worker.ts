// The encoder thread: Opus encoding, sealing and file writes, off the RTP event loop.
import { closeSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { parentPort } from 'node:worker_threads';
import { SealedWriter } from './container.js';
import { LegEncoder } from './opus.js';
import { FRAMES_PER_CHUNK, type FromEncoder, type ToEncoder } from './protocol.js';

interface Leg {
  fd: number;
  path: string;
  enc: LegEncoder;
  sealed: SealedWriter;
}

const legs = new Map<string, Leg>();
const port = parentPort!;
const send = (m: FromEncoder) => port.postMessage(m);

function fail(id: string, code: 'EARSHOT_ERR_RECORDING_IO' | 'EARSHOT_ERR_INTERNAL'): void {
  const leg = legs.get(id);
  legs.delete(id);
  if (leg) {
    try {
      closeSync(leg.fd);
    } catch {
      // already closed
    }
    rmSync(leg.path, { force: true });
  }
  send({ t: 'error', id, code });
}

const ioCode = (err: unknown) => (typeof (err as { code?: unknown })?.code === 'string' && /^E[A-Z]+$/u.test((err as { code: string }).code) ? 'EARSHOT_ERR_RECORDING_IO' : 'EARSHOT_ERR_INTERNAL');

port.on('message', (m: ToEncoder) => {
  try {
    if (m.t === 'open') {
      mkdirSync(dirname(m.path), { recursive: true, mode: 0o700 });
      const fd = openSync(m.path, 'wx', 0o600);
      const enc = new LegEncoder(m.rate, m.bitrate, (p) => leg.sealed.add(p));
      const leg: Leg = { fd, path: m.path, enc, sealed: undefined as unknown as SealedWriter };
      legs.set(m.id, leg);
      leg.sealed = new SealedWriter((b) => writeSync(fd, b), m.keyId, Buffer.from(m.key), { sampleRate: enc.rate, frameSamples: enc.frame, framesPerChunk: FRAMES_PER_CHUNK });
      return;
    }
    const leg = legs.get(m.id);
    if (!leg) return;
    if (m.t === 'pcm') leg.enc.push(m.samples);
    else if (m.t === 'abort') fail(m.id, 'EARSHOT_ERR_RECORDING_IO');
    else {
      leg.enc.close();
      leg.sealed.close();
      closeSync(leg.fd);
      legs.delete(m.id);
      send({ t: 'closed', id: m.id, bytes: leg.sealed.bytes, frames: leg.sealed.frames, rate: leg.enc.rate, frame: leg.enc.frame });
    }
  } catch (err) {
    fail(m.id, ioCode(err));
  }
});
