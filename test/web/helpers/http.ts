import { request } from 'node:http';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json(): any;
}

/**
 * One real HTTP request from a chosen loopback address (`from`, e.g. 127.0.0.2): the server sees
 * a different source per simulated client, which is what per-address back-off keys on.
 */
export function http(
  base: string,
  path: string,
  opts: { method?: string; body?: unknown; from?: string; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const payload = opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
  return new Promise((resolve, reject) => {
    const req = request(
      `${base}${path}`,
      {
        method: opts.method ?? (payload === undefined ? 'GET' : 'POST'),
        localAddress: opts.from,
        headers: { ...(payload === undefined ? {} : { 'content-type': 'application/json' }), ...opts.headers },
        timeout: 20_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer in 20 s`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/** The session cookie and CSRF token of a successful login answer. */
export function sessionOf(a: HttpAnswer): { cookie: string; csrf: string } {
  const set = [a.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('earshot_sid='));
  if (a.status !== 200 || !set) throw new Error(`login failed: ${a.status} ${a.body}`);
  return { cookie: set.split(';')[0], csrf: a.json().csrf };
}
