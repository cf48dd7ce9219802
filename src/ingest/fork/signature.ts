import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// AudioHook upgrade requests carry an HTTP Message Signature (RFC 9421): HMAC-SHA256 keyed with the
// client secret of the API key, over components such as "@request-target", "@authority" and the
// Audiohook-* headers. This is the subset AudioHook uses: one signature, string components, the
// covered list and parameters taken verbatim from Signature-Input as the signature base's last line.

const MAX_SKEW_S = 5;
export type SignatureFailure = 'unsigned' | 'bad-signature-input' | 'bad-keyid' | 'expired' | 'unsupported-alg' | 'signature-mismatch';

/** Dictionary member `label=value` of a structured header; values may contain ';' and quoted text. */
function member(field: string, label?: string): { label: string; value: string } | undefined {
  const m = /^\s*([a-z*][a-z0-9_.*-]*)=(.*)$/s.exec(field);
  if (!m) return undefined;
  // Only the first member is used: AudioHook sends one signature.
  const value = m[2].replace(/,\s*[a-z*][a-z0-9_.*-]*=.*$/s, '').trim();
  if (label && m[1] !== label) return undefined;
  return { label: m[1], value };
}

function one(h: string | string[] | undefined): string | undefined {
  return Array.isArray(h) ? h.join(', ') : h;
}

export interface SignedRequest {
  method: string;
  url: string; // path and query as requested
  headers: IncomingHttpHeaders;
}

/** Verifies the request's signature with `secret` (base64, as Genesys issues it). */
export function verifySignature(req: SignedRequest, apiKey: string, secretBase64: string, nowS = Date.now() / 1000): true | SignatureFailure {
  const input = one(req.headers['signature-input']);
  const sig = one(req.headers['signature']);
  if (!input || !sig) return 'unsigned';
  const inp = member(input);
  if (!inp) return 'bad-signature-input';
  const sg = member(sig, inp.label);
  const sigBytes = sg && /^:([A-Za-z0-9+/=]+):$/.exec(sg.value);
  const list = /^\(([^)]*)\)(.*)$/s.exec(inp.value);
  if (!sigBytes || !list) return 'bad-signature-input';
  const components = [...list[1].matchAll(/"([^"]+)"/g)].map((x) => x[1]);
  const params = new Map([...list[2].matchAll(/;([a-z]+)=("([^"]*)"|\d+)/g)].map((x) => [x[1], x[3] ?? x[2]]));
  if (params.get('keyid') !== apiKey) return 'bad-keyid';
  if ((params.get('alg') ?? 'hmac-sha256') !== 'hmac-sha256') return 'unsupported-alg';
  const created = Number(params.get('created') ?? NaN);
  const expires = Number(params.get('expires') ?? NaN);
  if (created > nowS + MAX_SKEW_S || expires < nowS - MAX_SKEW_S) return 'expired';

  const lines: string[] = [];
  for (const name of components) {
    const value = componentValue(req, name);
    if (value === undefined) return 'bad-signature-input';
    lines.push(`"${name}": ${value}`);
  }
  lines.push(`"@signature-params": ${inp.value}`);
  const expected = createHmac('sha256', Buffer.from(secretBase64, 'base64')).update(lines.join('\n')).digest();
  const given = Buffer.from(sigBytes[1], 'base64');
  return given.length === expected.length && timingSafeEqual(given, expected) ? true : 'signature-mismatch';
}

function componentValue(req: SignedRequest, name: string): string | undefined {
  const q = req.url.indexOf('?');
  switch (name) {
    case '@method':
      return req.method.toUpperCase();
    case '@authority':
      return one(req.headers.host)?.toLowerCase();
    case '@request-target':
      return req.url;
    case '@path':
      return q < 0 ? req.url : req.url.slice(0, q);
    case '@query':
      return q < 0 ? '?' : req.url.slice(q);
    default: {
      if (name.startsWith('@')) return undefined;
      const v = one(req.headers[name]);
      return v === undefined ? undefined : v.trim().replace(/[ \t]*\r\n[ \t]+/g, ' ');
    }
  }
}
