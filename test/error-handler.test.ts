// One error model: every stage error is an EarshotError with a table code and status, one fastify
// handler set once per root server (console/API and sync collector), one body {error:{code,message,details?}}.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Fastify from 'fastify';
import { pino } from 'pino';
import t from 'tap';
import { AlarmError } from '../src/alarms/errors.js';
import { SerModelError } from '../src/analysis/emotion/ser.js';
import { RulesError } from '../src/analysis/rules/load.js';
import { SemanticError } from '../src/analysis/semantic/types.js';
import { installErrorHandling } from '../src/error-handler.js';
import { ERRORS, EarshotError } from '../src/errors.js';
import { RtpParseError } from '../src/ingest/rtp/packet.js';
import { PortPoolExhaustedError } from '../src/ingest/rtp/port-pool.js';
import { CryptoAttributeError } from '../src/ingest/rtp/srtp.js';
import { SipParseError } from '../src/ingest/sip/message.js';
import { BodyError } from '../src/ingest/siprec/body.js';
import { MetadataError } from '../src/ingest/siprec/metadata.js';
import { SdpError } from '../src/ingest/siprec/sdp.js';
import { NothingDecodableError, OfferCancelledError } from '../src/ingest/siprec/session.js';
import { createMetrics } from '../src/metrics/registry.js';
import { EngineError } from '../src/speech/engines/engine.js';
import { ModelError } from '../src/speech/models/manifest.js';
import { StoreError } from '../src/store/errors.js';
import { createCollector } from '../src/sync/collector.js';

const SRC = new URL('../src/', import.meta.url).pathname;
const sources = (): [string, string][] =>
  readdirSync(SRC, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f, readFileSync(join(SRC, f), 'utf8')]);

t.test('every stage error is an EarshotError with a table code, its status and its own class', async (t) => {
  const cases: [Error, new (...a: never[]) => Error, string][] = [
    [new EngineError('EARSHOT_ERR_ASR_ADDON', 'no addon'), EngineError, 'EARSHOT_ERR_ASR_ADDON'],
    [new ModelError('EARSHOT_ERR_MODEL_UNKNOWN', 'no such model'), ModelError, 'EARSHOT_ERR_MODEL_UNKNOWN'],
    [new AlarmError('EARSHOT_ERR_RULES', ['bad rule'], 'yaml'), AlarmError, 'EARSHOT_ERR_RULES'],
    [new NothingDecodableError('nothing'), NothingDecodableError, 'EARSHOT_ERR_NOT_ACCEPTABLE'],
    [new OfferCancelledError('cancelled'), OfferCancelledError, 'EARSHOT_ERR_OFFER_CANCELLED'],
    [new BodyError('no-parts'), BodyError, 'EARSHOT_ERR_SIP_BODY'],
    [new MetadataError('malformed'), MetadataError, 'EARSHOT_ERR_RS_METADATA'],
    [new SdpError('no-media'), SdpError, 'EARSHOT_ERR_SDP'],
    [new SipParseError('cseq'), SipParseError, 'EARSHOT_ERR_SIP_PARSE'],
    [new PortPoolExhaustedError('full'), PortPoolExhaustedError, 'EARSHOT_ERR_RTP_PORTS'],
    [new RtpParseError('short'), RtpParseError, 'EARSHOT_ERR_RTP'],
    [new CryptoAttributeError('syntax'), CryptoAttributeError, 'EARSHOT_ERR_SDP'],
    [new StoreError('EARSHOT_ERR_STORE_CLOSED', 'closed'), StoreError, 'EARSHOT_ERR_STORE_CLOSED'],
    [new SemanticError('timeout', 'slow'), SemanticError, 'EARSHOT_ERR_SEMANTIC'],
    [new RulesError(['a', 'b']), RulesError, 'EARSHOT_ERR_RULES'],
    [new SerModelError('no model'), SerModelError, 'EARSHOT_ERR_MODEL_MISSING'],
  ];
  for (const [e, cls, code] of cases) {
    t.ok(e instanceof EarshotError, `${cls.name} is an EarshotError`);
    t.ok(e instanceof cls, `${cls.name} keeps its own instanceof`);
    t.equal(e.name, cls.name);
    const coded = e as EarshotError;
    t.equal(coded.code, code, `${cls.name}.code`);
    t.equal(coded.statusCode, ERRORS[coded.code].http, `${cls.name} answers its table status`);
  }
  // Messages and bounded reasons callers and metrics read are unchanged.
  t.equal(new SipParseError('cseq').message, 'bad SIP message: cseq');
  t.equal(new SipParseError('cseq').reason, 'cseq');
  t.equal(new RtpParseError('short').message, 'bad RTP packet: short');
  t.equal(new AlarmError('EARSHOT_ERR_RULES', ['x', 'y']).message, '2 problems:\n  - x\n  - y');
  t.equal(new SemanticError('timeout', 'slow').message, 'embeddings timeout: slow');
  t.same(new RulesError(['a']).errors, ['a']);
  const cause = new Error('disk');
  t.equal(new StoreError('EARSHOT_ERR_MIGRATIONS', 'm', { cause }).cause, cause);
});

t.test('no error class in src/ extends plain Error except EarshotError itself', async (t) => {
  const bad = sources().filter(([f, s]) => f !== 'errors.ts' && /class\s+\w+\s+extends\s+Error\b/u.test(s)).map(([f]) => f);
  t.same(bad, []);
});

t.test('one error handler: set only by installErrorHandling, once per root server', async (t) => {
  const all = sources();
  const setters = all.filter(([, s]) => s.includes('setErrorHandler(')).map(([f]) => f);
  t.same(setters, ['error-handler.ts']);
  const roots = all.filter(([f, s]) => f !== 'error-handler.ts' && s.includes('installErrorHandling(')).map(([f]) => f).sort();
  t.same(roots, ['sync/collector.ts', 'web/index.ts']);
});

t.test('a plugin inherits the root handler; routes with schemas get the error body as 4xx/5xx schema', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const app = Fastify({ logger: false });
  installErrorHandling(app, metrics);
  const schemas: unknown[] = [];
  await app.register(
    async (p) => {
      p.addHook('onRoute', (r) => void (r.method !== 'HEAD' && schemas.push(r.schema?.response)));
      p.post('/typed', { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } }, async () => ({ ok: true }));
      p.get('/alarm', async () => {
        throw new AlarmError('EARSHOT_ERR_RULES', ['rule x: bad'], 'shape', [{ code: 'shape', message: 'rule x: bad', source: 'a.yaml', line: 3, col: 5 }]);
      });
      p.get('/sip', async () => {
        throw new SipParseError('cseq');
      });
      p.get('/closed', { schema: { querystring: { type: 'object', properties: { q: { type: 'string' } } } } }, async () => {
        throw new StoreError('EARSHOT_ERR_STORE_CLOSED', 'the store is closed at /var/lib/earshot');
      });
      p.get('/plain', async () => 'no schema');
    },
    { prefix: '/api/v1' },
  );
  t.teardown(() => app.close());
  await app.ready();

  const typed = await app.inject({ method: 'POST', url: '/api/v1/typed', payload: { n: 'x' } });
  t.equal(typed.statusCode, 400);
  t.equal(typed.json().error.code, 'EARSHOT_ERR_BAD_INPUT');
  t.equal(typed.json().error.details.problems[0].path, '/n');

  const alarm = await app.inject('/api/v1/alarm');
  t.equal(alarm.statusCode, 422, 'AlarmError keeps its status in a child plugin');
  t.same(alarm.json(), { error: { code: 'EARSHOT_ERR_RULES', message: 'rule x: bad', details: { problems: [{ code: 'shape', message: 'rule x: bad', source: 'a.yaml', line: 3, col: 5 }], errors: ['rule x: bad'] } } });

  const sip = await app.inject('/api/v1/sip');
  t.equal(sip.statusCode, 400, 'a SipParseError thrown anywhere is a 400, not a 500');
  t.equal(sip.json().error.code, 'EARSHOT_ERR_SIP_PARSE');

  const closed = await app.inject('/api/v1/closed');
  t.equal(closed.statusCode, 503);
  t.same(closed.json(), { error: { code: 'EARSHOT_ERR_STORE_CLOSED', message: ERRORS.EARSHOT_ERR_STORE_CLOSED.message } }, 'a 5xx says only the table sentence');

  const withSchema = schemas.filter(Boolean) as Record<string, { properties: { error: { properties: { code: { enum: string[] } } } } }>[];
  t.equal(withSchema.length, 2, 'only the routes that declare a schema');
  for (const r of withSchema) {
    t.ok(r['4xx'] && r['5xx'], 'error response schemas');
    t.ok(r['4xx'].properties.error.properties.code.enum.includes('EARSHOT_ERR_RULES'));
  }
  t.ok(await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get().then((m) => m.values.some((v) => v.labels.parser === 'api' && v.labels.reason === 'cseq')), 'counted with its bounded reason');
});

t.test('the sync collector answers refusals with the same body; its metrics keep their reasons', async (t) => {
  const metrics = createMetrics({ defaults: false });
  const app = createCollector({ secrets: { 'site-a': 'a-very-secret-shared-key' }, dbPath: join(t.testdir(), 'c.db'), log: pino({ level: 'silent' }), metrics, bodyLimit: 1024 });
  await app.listen({ host: '127.0.0.1', port: 0 });
  t.teardown(() => app.close());
  const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/batches`;
  const post = async (body: string, type = 'application/json') => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': type }, body });
    return { status: r.status, body: (await r.json()) as { error: { code: string; message: string; details?: { reason?: string } } } };
  };
  const notJson = await post('{"v":1,');
  t.equal(notJson.status, 400);
  t.equal(notJson.body.error.code, 'EARSHOT_ERR_BAD_INPUT');
  t.equal(notJson.body.error.details?.reason, 'not-json');
  const unsigned = await post('{"v":1,"batchId":"b","siteId":"site-a","period":{"from":0,"to":1},"cells":[]}');
  t.equal(unsigned.status, 401);
  t.equal(unsigned.body.error.code, 'EARSHOT_ERR_UNAUTHENTICATED');
  const big = await post(`{"pad":"${'x'.repeat(4096)}"}`);
  t.equal(big.status, 413);
  t.equal(big.body.error.code, 'EARSHOT_ERR_TOO_LARGE', "fastify's own refusal goes through the one handler");
  const text = await post('hello', 'text/plain');
  t.equal(text.status, 415);
  t.equal(text.body.error.code, 'EARSHOT_ERR_MEDIA_TYPE');
  const bad = (await metrics.registry.getSingleMetric('earshot_bad_input_total')!.get()).values.filter((v) => v.labels.parser === 'sync-collector').map((v) => v.labels.reason).sort();
  t.same(bad, ['bad-signature', 'body-too-large', 'content-type', 'not-json'], "counted under the collector's own reasons");
});
