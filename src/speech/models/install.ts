// Download, checksum and unpack of model archives. Everything lands in a temporary directory
// next to the destination and is renamed into place only after it validates, so a failed or
// interrupted install never leaves a half-model where the stage would load it.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, type Dispatcher, ProxyAgent, request } from 'undici';
import { type ModelManifest, ModelError, validateModelDir } from './manifest.js';

export interface ModelProgress {
  phase: 'download' | 'checksum' | 'unpack' | 'validate' | 'done';
  bytes?: number;
  total?: number;
}
export type OnProgress = (p: ModelProgress) => void;

const TAR_TIMEOUT_MS = 10 * 60 * 1000;
const IDLE_TIMEOUT_MS = 60 * 1000;
export const INSTALL_RECORD = '.earshot-model.json';

function hashing(onBytes: (n: number) => void): { t: Transform; digest: () => string } {
  const h = createHash('sha256');
  let n = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      h.update(chunk);
      n += chunk.length;
      onBytes(n);
      cb(null, chunk);
    },
  });
  return { t, digest: () => h.digest('hex') };
}

export async function sha256File(path: string, onProgress?: OnProgress): Promise<string> {
  const total = statSync(path).size;
  const { t, digest } = hashing((bytes) => onProgress?.({ phase: 'checksum', bytes, total }));
  await pipeline(createReadStream(path), t, async (src: AsyncIterable<Buffer>) => {
    for await (const chunk of src) void chunk;
  });
  return digest();
}

export interface DownloadOptions {
  onProgress?: OnProgress;
  /** More CA certificates (PEM) to trust besides the system's (NODE_EXTRA_CA_CERTS also works). */
  ca?: string | Buffer;
  /** Reconnects after a dropped connection, each resuming with a Range request. */
  retries?: number;
  /** Proxy settings come from here (HTTPS_PROXY, HTTP_PROXY, NO_PROXY; lower case too). */
  env?: NodeJS.ProcessEnv;
  /** Free space needed besides the download, per byte of archive (its unpacked model). */
  unpackFactor?: number;
}

/** What a partial download was fetched from, so a resume asks for the same bytes (If-Range). */
interface PartMeta {
  url: string;
  validator: string;
  total: number;
}

const TLS_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);
export const UNPACK_FACTOR = 3; // int8 ONNX barely compresses; room for the unpacked copy and slack

function noProxy(host: string, env: NodeJS.ProcessEnv): boolean {
  const list = (env.no_proxy ?? env.NO_PROXY ?? '').split(/[\s,]+/).filter(Boolean);
  return list.some((e) => e === '*' || host === e.replace(/^\./, '') || host.endsWith(e.startsWith('.') ? e : `.${e}`));
}

/** An undici dispatcher for `url`: through HTTPS_PROXY (or HTTP_PROXY for http URLs) unless NO_PROXY names the host. */
export function dispatcherFor(url: string, opts: Pick<DownloadOptions, 'ca' | 'env'> = {}): { dispatcher: Dispatcher; proxy?: string } {
  const env = opts.env ?? process.env;
  const u = new URL(url);
  const tls = opts.ca ? { ca: opts.ca } : undefined;
  const proxy = u.protocol === 'https:' ? (env.https_proxy ?? env.HTTPS_PROXY) : (env.http_proxy ?? env.HTTP_PROXY);
  if (proxy && !noProxy(u.hostname, env)) return { dispatcher: new ProxyAgent({ uri: proxy, requestTls: tls, proxyTls: tls }), proxy: new URL(proxy).host };
  return { dispatcher: new Agent({ connect: tls }) };
}

/** Refuses early when the disk holding `dir` cannot take `need` more bytes. Synchronous: it runs
 *  between a response's headers and its body, where nothing may await. */
export function checkDiskSpace(dir: string, need: number, what: string): void {
  const st = statfsSync(dir);
  const free = st.bavail * st.bsize;
  if (free < need) {
    const mb = (n: number) => `${Math.ceil(n / 1048576)} MB`;
    throw new ModelError('EARSHOT_ERR_MODEL_DISK_SPACE', `${what} needs about ${mb(need)} free in ${dir}, only ${mb(free)} left; free some space (or move dataDir) and run it again`);
  }
}

function errText(err: unknown): string {
  const e = err as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  return [e.message, e.code, e.cause?.message, e.cause?.code].filter(Boolean).join(': ');
}

/**
 * Downloads `url` into `dest`, resuming a partial `dest` left by an earlier attempt when the server
 * still has the same file (Range + If-Range on its ETag / Last-Modified), and reconnecting with a
 * Range request when the connection drops mid-body. Checks free space once the size is known.
 * Leaves `dest` (and `dest`.json) in place on failure so the next run resumes.
 */
export async function download(url: string, dest: string, opts: DownloadOptions = {}): Promise<{ bytes: number; resumedFrom: number }> {
  const { dispatcher, proxy } = dispatcherFor(url, opts);
  const metaPath = `${dest}.json`;
  const readMeta = (): PartMeta | undefined => {
    try {
      return JSON.parse(readFileSync(metaPath, 'utf8')) as PartMeta;
    } catch {
      return undefined;
    }
  };
  const retries = opts.retries ?? 5;
  const via = proxy ? ` via proxy ${proxy}` : '';
  let resumedFrom = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) await sleep(Math.min(8000, 250 * 2 ** attempt)); // a flapping link gets a moment
      const meta = readMeta();
      let have = existsSync(dest) ? statSync(dest).size : 0;
      const resume = have > 0 && meta?.url === url && Boolean(meta.validator) && have < meta.total;
      if (!resume) have = 0;
      if (resume && attempt === 0) resumedFrom = have;
      const headers: Record<string, string> = { 'user-agent': 'earshot-models' };
      if (resume && meta) Object.assign(headers, { range: `bytes=${have}-`, 'if-range': meta.validator });
      let res: Dispatcher.ResponseData;
      try {
        res = await request(url, { dispatcher, headers, maxRedirections: 5, headersTimeout: IDLE_TIMEOUT_MS, bodyTimeout: IDLE_TIMEOUT_MS });
      } catch (err) {
        const code = (err as { code?: string }).code ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
        if (TLS_CODES.has(code)) {
          throw new ModelError('EARSHOT_ERR_MODEL_TLS', `download of ${url}${via}: certificate not trusted (${code}); if the site uses its own CA, point NODE_EXTRA_CA_CERTS at it`);
        }
        if (attempt < retries) continue;
        throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `download of ${url}${via} failed: ${errText(err)}`);
      }
      // The connection can die while we look at the headers (disk check below): keep that error
      // for the pipeline to report rather than as an unhandled 'error' event.
      res.body.on('error', () => {});
      if (res.statusCode === 416 && resume) {
        // The server has no bytes past ours: start over rather than trust the partial file.
        await res.body.dump();
        rmSync(dest, { force: true });
        rmSync(metaPath, { force: true });
        continue;
      }
      if (res.statusCode !== 200 && res.statusCode !== 206) {
        await res.body.dump();
        if (res.statusCode >= 500 && attempt < retries) continue;
        const hint = res.statusCode === 407 ? ' (the proxy wants credentials: put them in HTTPS_PROXY as http://user:pass@host:port)' : '';
        throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `download of ${url}${via} failed: HTTP ${res.statusCode}${hint}`);
      }
      let total: number;
      if (res.statusCode === 206) {
        const m = /^bytes (\d+)-\d+\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''));
        if (!m || Number(m[1]) !== have) {
          // A range we did not ask for: drop the partial file and fetch it whole.
          await res.body.dump();
          rmSync(dest, { force: true });
          rmSync(metaPath, { force: true });
          continue;
        }
        total = Number(m[2]);
      } else {
        have = 0; // a 200 answers with the whole file (changed upstream, or no range support)
        total = Number(res.headers['content-length']) || 0;
      }
      const validator = String(res.headers.etag ?? res.headers['last-modified'] ?? '');
      writeFileSync(metaPath, JSON.stringify({ url, validator, total } satisfies PartMeta));
      if (total) checkDiskSpace(dirname(dest), total - have + total * (opts.unpackFactor ?? UNPACK_FACTOR), `downloading ${url}`);
      let got = have;
      // Each chunk is written synchronously as it arrives: undici drops a body's buffered chunks
      // when the connection dies, so nothing may wait in a buffer that the resume then misses.
      const fd = openSync(dest, have ? 'a' : 'w');
      let broke: unknown;
      try {
        await new Promise<void>((resolve, reject) => {
          res.body.on('data', (chunk: Buffer) => {
            writeSync(fd, chunk);
            got += chunk.length;
            opts.onProgress?.({ phase: 'download', bytes: got, total: total || undefined });
          });
          res.body.on('end', resolve);
          res.body.on('error', reject);
          res.body.on('close', () => reject(new Error('connection closed')));
        });
      } catch (err) {
        broke = err;
      } finally {
        closeSync(fd);
      }
      if (broke !== undefined) {
        if (attempt < retries) continue; // resumes from what arrived (restarts without an ETag)
        throw new ModelError(
          'EARSHOT_ERR_MODEL_DOWNLOAD',
          `download of ${url}${via} broke off after ${got} of ${total || '?'} bytes (${errText(broke)}); run the same command again to resume`,
        );
      }
      if (total && got !== total) {
        if (attempt < retries) continue;
        throw new ModelError('EARSHOT_ERR_MODEL_DOWNLOAD', `download of ${url}${via} ended at ${got} of ${total} bytes; run the same command again to resume`);
      }
      return { bytes: got, resumedFrom };
    }
  } finally {
    // destroy, not close: a response we refused (disk space) must not be waited for.
    await dispatcher.destroy().catch(() => {});
  }
}

function untar(archive: string, into: string): Promise<void> {
  return new Promise((resolve, reject) => {
    // GNU tar detects the compression, strips leading "/" and refuses ".." members by itself.
    const child = spawn('tar', ['-xf', archive, '-C', into, '--no-same-owner', '--no-same-permissions'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), TAR_TIMEOUT_MS);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new ModelError('EARSHOT_ERR_MODEL_UNPACK', `cannot run tar: ${e.message}`));
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new ModelError('EARSHOT_ERR_MODEL_UNPACK', `${archive} is not a readable tar archive: ${err.trim().split('\n')[0] ?? `tar exit ${code}`}`));
    });
  });
}

/** Unpacks a verified archive into `<modelsDir>/<name>`, replacing an older install only on success. */
export async function installArchive(
  archive: string,
  sha256: string,
  manifest: ModelManifest,
  modelsDir: string,
  onProgress?: OnProgress,
  record: Record<string, string> = {},
): Promise<string> {
  mkdirSync(modelsDir, { recursive: true });
  checkDiskSpace(modelsDir, statSync(archive).size * (UNPACK_FACTOR - 1), `unpacking ${archive}`);
  const tmp = await mkdtemp(join(modelsDir, `.unpack-${manifest.name}-`));
  try {
    onProgress?.({ phase: 'unpack' });
    await untar(archive, tmp);
    // Upstream archives hold one top-level directory named after the release.
    const entries = readdirSync(tmp);
    const root = entries.length === 1 && statSync(join(tmp, entries[0])).isDirectory() ? join(tmp, entries[0]) : tmp;
    onProgress?.({ phase: 'validate' });
    validateModelDir(root, manifest);
    writeFileSync(join(root, INSTALL_RECORD), JSON.stringify({ name: manifest.name, archiveSha256: sha256, ...record, installedAt: new Date().toISOString() }, null, 2));
    const dest = join(modelsDir, manifest.name);
    const old = `${dest}.old-${Date.now()}`;
    if (existsSync(dest)) renameSync(dest, old);
    renameSync(root, dest);
    rmSync(old, { recursive: true, force: true });
    onProgress?.({ phase: 'done' });
    return dest;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
