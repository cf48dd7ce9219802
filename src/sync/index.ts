// Upstream sync: privacy-safe hourly aggregates, signed and delivered through the durable outbox,
// plus the reference collector that receives them.
export { createSync, type Sync, type SyncDeps, type SyncOptions } from './upstream.js';
export { buildBatch, type BuildOptions, type SyncConfig } from './aggregate.js';
export { syncPreview, periodAt, type SyncPreview } from './preview.js';
export { createCollector, secretLookup, type CollectorOptions } from './collector.js';
export { batchIdFor, canonicalJson, signBody, verifySignature, SIGNATURE_HEADER, IDEMPOTENCY_HEADER } from './sign.js';
export type { SyncBatch, SyncCell } from './payload.js';
