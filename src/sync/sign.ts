import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import canonicalize from 'canonicalize';

// RFC 8785 canonical JSON: both ends serialise the same value to the same bytes, so the signature
// survives a proxy or a JSON library that reorders keys or changes whitespace.

export const SIGNATURE_HEADER = 'x-earshot-signature';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be serialised as JSON');
  return text;
}

/** `sha256=<hex>` over the canonical JSON text. */
export function signBody(canonicalText: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(canonicalText, 'utf8').digest('hex')}`;
}

/** Constant-time check of a `sha256=<hex>` header against the canonical text. */
export function verifySignature(canonicalText: string, secret: string, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const want = Buffer.from(signBody(canonicalText, secret), 'utf8');
  const got = Buffer.from(header, 'utf8');
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * The idempotency key of a batch: a hash of site and period only, so rebuilding the same period
 * (after a restart, or with fresh noise) yields the same id and the collector keeps one copy.
 */
export function batchIdFor(siteId: string, fromMs: number, toMs: number): string {
  return createHash('sha256').update(`earshot-sync-v1|${siteId}|${fromMs}|${toMs}`, 'utf8').digest('hex');
}
