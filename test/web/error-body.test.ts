// The API's one error body {error:{code,message,details?}} from the shared handler on a real
// Fastify instance: coded stage errors keep code and status, schema validation gets details,
// an unknown exception is a bare 500 that quotes nothing of what it carried.
import t, { type Test } from 'tap';
import Fastify from 'fastify';
import { ERRORS, EarshotError } from '../../src/errors.js';
import { UserError } from '../../src/web/auth/users.js';
import { WavError } from '../../src/speech/wav.js';
import { createMetrics } from '../../src/metrics/registry.js';
import { apiErrorHandler } from '../../src/web/errors.js';

async function app(t: Test) {
  const metrics = createMetrics();
  const a = Fastify({ logger: false });
  a.setErrorHandler(apiErrorHandler(metrics));
  a.get('/coded/:code', async (req) => {
    throw new EarshotError((req.params as { code: keyof typeof ERRORS }).code, 'detail');
  });
  a.get('/user', async () => {
    throw new UserError('EARSHOT_ERR_USER_EXISTS', 'user exists');
  });
  a.get('/wav', async () => {
    throw new WavError('not a RIFF/WAVE file');
  });
  a.get('/boom', async () => {
    throw new Error('SQLITE_CONSTRAINT at /var/lib/earshot/earshot.db caller +4915550123');
  });
  a.post('/typed', { schema: { body: { type: 'object', required: ['n'], properties: { n: { type: 'integer' } } } } }, async () => ({ ok: true }));
  t.teardown(() => a.close());
  await a.ready();
  return { a, metrics };
}

const shape = (t: Test, body: unknown, code: string) => {
  const b = body as { error: { code: string; message: string } };
  t.equal(b.error.code, code, `code ${code}`);
  t.type(b.error.message, 'string');
  t.same(Object.keys(b), ['error'], 'only the error key');
};

t.test('coded errors answer their table status with the one body', async (t) => {
  const { a } = await app(t);
  for (const code of ['EARSHOT_ERR_BAD_INPUT', 'EARSHOT_ERR_UNAUTHENTICATED', 'EARSHOT_ERR_FORBIDDEN', 'EARSHOT_ERR_NOT_FOUND', 'EARSHOT_ERR_CONFLICT', 'EARSHOT_ERR_RULES'] as const) {
    const r = await a.inject(`/coded/${code}`);
    t.equal(r.statusCode, ERRORS[code].http, `${code} → ${ERRORS[code].http}`);
    shape(t, r.json(), code);
  }
  const u = await a.inject('/user');
  t.equal(u.statusCode, 409, 'a stage subclass (UserError) keeps its status');
  shape(t, u.json(), 'EARSHOT_ERR_USER_EXISTS');
  const w = await a.inject('/wav');
  t.equal(w.statusCode, 415);
  t.equal(w.json().error.message, 'not a RIFF/WAVE file', "a subclass's own message is kept");
});

t.test('schema validation: 400 with the one body and located details, no values', async (t) => {
  const { a } = await app(t);
  const r = await a.inject({ method: 'POST', url: '/typed', payload: { n: 'secret-4915550123' } });
  t.equal(r.statusCode, 400);
  const b = r.json();
  shape(t, b, 'EARSHOT_ERR_BAD_INPUT');
  t.equal(b.error.details.context, 'body');
  t.match(b.error.details.problems, [{ path: '/n', keyword: 'type' }]);
  t.notMatch(r.body, '4915550123', 'the offending value is not echoed');
});

t.test('an unknown exception is a 500 that leaks nothing', async (t) => {
  const { a } = await app(t);
  const r = await a.inject('/boom');
  t.equal(r.statusCode, 500);
  t.same(r.json(), { error: { code: 'EARSHOT_ERR_INTERNAL', message: ERRORS.EARSHOT_ERR_INTERNAL.message } });
  for (const leak of ['SQLITE', '/var/lib', '4915550123', 'at ']) t.notMatch(r.body, leak, `no ${leak}`);
});
