// Server transactions (RFC 3261 §17.2): absorb request retransmissions by replaying the last
// response, and over UDP retransmit final INVITE responses (T1 doubling to T2) until the ACK.

export const T1 = 500;
export const T2 = 4000;
export const TIMER_H = 64 * T1; // give up waiting for an ACK, and forget a transaction

export interface ServerTx {
  key: string;
  method: string;
  last?: Buffer;
  final: boolean;
  /** Our To tag in the responses (INVITE), reused in a CANCEL's 200. */
  toTag?: string;
  send(buf: Buffer): void;
  timer?: NodeJS.Timeout;
  expiry?: NodeJS.Timeout;
}

export class TransactionTable {
  readonly #txs = new Map<string, ServerTx>();
  /** INVITE transactions awaiting ACK, by `${callId}|${cseq}` (a 2xx ACK has its own branch). */
  readonly #awaitingAck = new Map<string, ServerTx>();

  constructor(
    private readonly onAckTimeout: (tx: ServerTx, ackKey: string) => void,
    private readonly timerH = TIMER_H,
  ) {}

  get(key: string): ServerTx | undefined {
    return this.#txs.get(key);
  }

  create(key: string, method: string, send: (b: Buffer) => void): ServerTx {
    const tx: ServerTx = { key, method, final: false, send };
    this.#txs.set(key, tx);
    return tx;
  }

  /** Sends (and remembers) a response; final INVITE responses over UDP are retransmitted until ACK. */
  respond(tx: ServerTx, buf: Buffer, status: number, o: { reliable: boolean; ackKey?: string }): void {
    tx.last = buf;
    tx.send(buf);
    if (status < 200) return;
    tx.final = true;
    if (tx.method === 'INVITE' && o.ackKey) {
      this.#awaitingAck.set(o.ackKey, tx);
      if (!o.reliable) {
        let interval = T1;
        const again = () => {
          tx.send(buf);
          interval = Math.min(interval * 2, T2);
          tx.timer = setTimeout(again, interval).unref();
        };
        tx.timer = setTimeout(again, interval).unref();
      }
      tx.expiry = setTimeout(() => {
        clearTimeout(tx.timer);
        this.#txs.delete(tx.key);
        if (this.#awaitingAck.get(o.ackKey!) === tx) {
          this.#awaitingAck.delete(o.ackKey!);
          this.onAckTimeout(tx, o.ackKey!);
        }
      }, this.timerH).unref();
    } else {
      // Non-INVITE: keep the response for retransmitted requests (Timer J), then forget.
      tx.expiry = setTimeout(() => this.#txs.delete(tx.key), this.timerH).unref();
    }
  }

  /** An ACK arrived: stop retransmitting. False when nothing was waiting for it. */
  ack(ackKey: string): boolean {
    const tx = this.#awaitingAck.get(ackKey);
    if (!tx) return false;
    this.#awaitingAck.delete(ackKey);
    clearTimeout(tx.timer);
    clearTimeout(tx.expiry);
    tx.expiry = setTimeout(() => this.#txs.delete(tx.key), T2 * 2).unref();
    return true;
  }

  clear(): void {
    for (const tx of this.#txs.values()) {
      clearTimeout(tx.timer);
      clearTimeout(tx.expiry);
    }
    this.#txs.clear();
    this.#awaitingAck.clear();
  }
}
