// The import ledger port: one row per imported file (keyed by its sha256), so a file imported
// twice gives one call and a crashed import is redone. The store implements it over the
// `imports` table; `createMemoryLedger` is for one-off CLI runs and tests.

export type ImportState = 'running' | 'done' | 'failed';

export interface ImportRecord {
  sha256: string;
  callId: string | null;
  fileName: string;
  state: ImportState;
  progressMs: number;
}

export interface ImportLedger {
  find(sha: string): ImportRecord | undefined;
  /** Insert or replace the row as `running`, progress 0, for the call just opened. */
  start(sha: string, fileName: string, callId: string): void;
  progress(sha: string, ms: number): void;
  finish(sha: string, ok: boolean, error?: string): void;
  /**
   * Forget a partial import before redoing it: delete the call(s) with ingest 'import' and
   * external_id = sha (their legs, utterances and events cascade) and the ledger row. Called
   * before re-opening the call, because calls(ingest, external_id) is unique.
   */
  discard(sha: string): void;
}

export function createMemoryLedger(): ImportLedger & { rows: Map<string, ImportRecord> } {
  const rows = new Map<string, ImportRecord>();
  return {
    rows,
    find: (sha) => rows.get(sha),
    start: (sha, fileName, callId) => void rows.set(sha, { sha256: sha, fileName, callId, state: 'running', progressMs: 0 }),
    progress: (sha, ms) => {
      const r = rows.get(sha);
      if (r) r.progressMs = ms;
    },
    finish: (sha, ok) => {
      const r = rows.get(sha);
      if (r) r.state = ok ? 'done' : 'failed';
    },
    discard: (sha) => void rows.delete(sha),
  };
}

/** The store's `imports` table methods, as the ledger port (the shapes differ only slightly). */
export interface ImportStore {
  findImport(sha256: string): { sha256: string; callId?: string; fileName: string; state: ImportState; progressMs: number } | undefined;
  startImport(sha256: string, fileName: string, callId?: string): unknown;
  progressImport(sha256: string, progressMs: number): void;
  finishImport(sha256: string, result: { callId?: string; error?: string }): unknown;
  discardImport(sha256: string): number;
}

export function storeImportLedger(store: ImportStore): ImportLedger {
  return {
    find: (sha) => {
      const r = store.findImport(sha);
      return r && { sha256: r.sha256, callId: r.callId ?? null, fileName: r.fileName, state: r.state, progressMs: r.progressMs };
    },
    start: (sha, fileName, callId) => void store.startImport(sha, fileName, callId),
    progress: (sha, ms) => store.progressImport(sha, ms),
    finish: (sha, ok, error) => void store.finishImport(sha, ok ? {} : { error: (error ?? 'failed').slice(0, 200) }),
    discard: (sha) => void store.discardImport(sha),
  };
}
