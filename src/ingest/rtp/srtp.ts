// SRTP with SDES keys (RFC 4568, RFC 3711, RFC 7714) for the recording leg. The crypto itself is
// werift-rtp's SRTP context (maintained, pure JS on node:crypto, verifies the auth tag in
// constant time); this file parses a=crypto, picks a suite we can do, and makes our answer key.
import { randomBytes } from 'node:crypto';
import { ProtectionProfileAeadAes128Gcm, ProtectionProfileAes128CmHmacSha1_80, SrtpAuthenticationError, SrtpSession } from 'werift-rtp';
import { EarshotError } from '../../errors.js';

/**
 * Suites we decrypt, in our preference order. AES_CM_128_HMAC_SHA1_32 is not here: werift's
 * AES-CM cipher has a fixed 80-bit tag, so a _32 packet would fail authentication every time.
 */
export const SRTP_SUITES = {
  AES_CM_128_HMAC_SHA1_80: { profile: ProtectionProfileAes128CmHmacSha1_80, keyLen: 16, saltLen: 14 },
  AEAD_AES_128_GCM: { profile: ProtectionProfileAeadAes128Gcm, keyLen: 16, saltLen: 12 },
} as const;
export type SrtpSuite = keyof typeof SRTP_SUITES;

export class CryptoAttributeError extends EarshotError {
  declare readonly code: 'EARSHOT_ERR_SDP';
  constructor(readonly reason: string) {
    super('EARSHOT_ERR_SDP', undefined, { message: `bad a=crypto: ${reason}` });
    this.name = 'CryptoAttributeError';
  }
}

export interface CryptoOffer {
  tag: number;
  suite: string;
  /** Master key and salt; only for suites we support (others are kept by name only). */
  key?: Buffer;
  salt?: Buffer;
}

/**
 * One a=crypto value (without "a=crypto:"): `<tag> <suite> inline:<base64>[|lifetime][|MKI:len] [params]`.
 * Throws CryptoAttributeError for a malformed line of a supported suite; an unknown suite is
 * returned without key material (the offer may hold a supported one too).
 */
export function parseCrypto(value: string): CryptoOffer {
  const m = /^(\d{1,9})\s+([A-Za-z0-9_]+)\s+(\S+)(?:\s+.*)?$/.exec(value.trim());
  if (!m) throw new CryptoAttributeError('syntax');
  const tag = Number(m[1]);
  const suite = m[2].toUpperCase();
  const spec = SRTP_SUITES[suite as SrtpSuite];
  if (!spec) return { tag, suite };
  // Several key params (`;`-separated) mean MKIs: we take one key only and do not do MKI.
  const params = m[3].split(';');
  if (params.length !== 1) throw new CryptoAttributeError('multiple-keys');
  const km = /^inline:([A-Za-z0-9+/]+={0,2})(\|[^|]*)?(\|[^|]*)?$/.exec(params[0]);
  if (!km) throw new CryptoAttributeError('key-params');
  // A `|MKI:len` part means an MKI field in every packet: unsupported.
  if ([km[2], km[3]].some((p) => p && p.includes(':'))) throw new CryptoAttributeError('mki');
  const raw = Buffer.from(km[1], 'base64');
  if (raw.length !== spec.keyLen + spec.saltLen) throw new CryptoAttributeError('key-length');
  return { tag, suite, key: raw.subarray(0, spec.keyLen), salt: raw.subarray(spec.keyLen) };
}

/** The first offered crypto line we can use, in the SRC's order (RFC 4568 §7.1.1). */
export function chooseCrypto(offers: CryptoOffer[]): CryptoOffer | undefined {
  return offers.find((o) => o.key && o.salt);
}

/** Our side of an SDES exchange: a fresh random key per stream, kept in memory only. */
export class SrtpKey {
  readonly key: Buffer;
  readonly salt: Buffer;
  constructor(readonly suite: SrtpSuite) {
    const s = SRTP_SUITES[suite];
    this.key = randomBytes(s.keyLen);
    this.salt = randomBytes(s.saltLen);
  }
  /** The answer's a=crypto value for the offer's tag. */
  attribute(tag: number): string {
    return `${tag} ${this.suite} inline:${Buffer.concat([this.key, this.salt]).toString('base64')}`;
  }
  /** Never serialise key material (logs, JSON). */
  toJSON(): string {
    return `[srtp ${this.suite}]`;
  }
}

export type UnprotectResult = { ok: true; packet: Buffer } | { ok: false; reason: 'auth' | 'malformed' };

/** Receive side: authenticates and decrypts the SRC's SRTP with the key it offered. */
export class SrtpReceiver {
  readonly #session: SrtpSession;
  constructor(remote: CryptoOffer, local: SrtpKey) {
    const spec = SRTP_SUITES[remote.suite as SrtpSuite];
    if (!spec || !remote.key || !remote.salt) throw new CryptoAttributeError('unsupported-suite');
    this.#session = new SrtpSession({
      profile: spec.profile,
      keys: { localMasterKey: local.key, localMasterSalt: local.salt, remoteMasterKey: remote.key, remoteMasterSalt: remote.salt },
    });
  }
  unprotect(buf: Buffer): UnprotectResult {
    // Shorter than an RTP header plus the smallest tag: not SRTP at all.
    if (buf.length < 12 + 10 || buf[0] >> 6 !== 2) return { ok: false, reason: 'malformed' };
    try {
      return { ok: true, packet: this.#session.decrypt(buf) };
    } catch (err) {
      return { ok: false, reason: err instanceof SrtpAuthenticationError ? 'auth' : 'malformed' };
    }
  }
  toJSON(): string {
    return '[srtp receiver]';
  }
}
