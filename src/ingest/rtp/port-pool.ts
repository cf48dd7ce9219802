// RTP port allocation from config.rtp.portMin..portMax. Ports come in RFC 3550 pairs (even RTP,
// odd RTCP) and a session's streams get consecutive pairs: SBCs and sipp's pcap replay map streams
// by port spacing, so m-line k answers on base + 2k.
import dgram from 'node:dgram';
import { EarshotError } from '../../errors.js';

export interface BoundPair {
  port: number;
  rtp: dgram.Socket;
  rtcp: dgram.Socket;
}

export class PortPoolExhaustedError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_RTP_PORTS';
  constructor(message: string) {
    super('EARSHOT_ERR_RTP_PORTS', undefined, { message });
    this.name = 'PortPoolExhaustedError';
  }
}

function bindUdp(host: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4' });
    s.once('error', (err) => {
      s.close();
      reject(err);
    });
    s.bind(port, host, () => {
      s.removeAllListeners('error');
      resolve(s);
    });
  });
}

export class PortPool {
  readonly #inUse = new Set<number>();
  #next: number;
  readonly #min: number;
  readonly #max: number;

  constructor(min: number, max: number, private readonly host: string) {
    this.#min = min + (min % 2); // RTP on even ports
    this.#max = max;
    this.#next = this.#min;
  }

  get inUse(): number {
    return this.#inUse.size;
  }

  /** Binds `n` consecutive pairs; skips blocks another process holds. */
  async allocate(n: number): Promise<BoundPair[]> {
    const span = this.#max - this.#min + 1;
    const blocks = Math.floor(span / 2);
    for (let tries = 0; tries < blocks; tries++) {
      const base = this.#next;
      this.#next += 2 * n;
      if (this.#next + 1 > this.#max) this.#next = this.#min;
      if (base + 2 * n - 1 > this.#max) continue;
      let free = true;
      for (let k = 0; k < n; k++) if (this.#inUse.has(base + 2 * k)) free = false;
      if (!free) continue;
      const bound: dgram.Socket[] = [];
      try {
        for (let k = 0; k < n; k++) {
          bound.push(await bindUdp(this.host, base + 2 * k));
          bound.push(await bindUdp(this.host, base + 2 * k + 1));
        }
      } catch {
        for (const s of bound) s.close();
        continue; // port held elsewhere: try the next block
      }
      const pairs: BoundPair[] = [];
      for (let k = 0; k < n; k++) {
        this.#inUse.add(base + 2 * k);
        pairs.push({ port: base + 2 * k, rtp: bound[2 * k], rtcp: bound[2 * k + 1] });
      }
      return pairs;
    }
    throw new PortPoolExhaustedError(`no free RTP port block of ${n} in ${this.#min}-${this.#max}`);
  }

  release(pair: BoundPair): void {
    if (!this.#inUse.delete(pair.port)) return;
    for (const s of [pair.rtp, pair.rtcp]) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
  }
}
