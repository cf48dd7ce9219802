import t from 'tap';
import { statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { agentIdFromAor, CallIdentity, callerKey, loadCallerSalt } from '../../src/call/identity.js';
import type { CallInfo, LegInfo } from '../../src/call/types.js';

const SALT = 'site-secret-salt-0123456789';

t.test('caller numbers reduce to their national digits; withheld ones to nothing', async (t) => {
  t.equal(callerKey('sip:+15550001111@carrier.example'), '5550001111');
  t.equal(callerKey('tel:+1-555-000-1111'), '5550001111');
  t.equal(callerKey('5550001111'), '5550001111');
  t.equal(callerKey('sip:+8613812345678@cn.example;user=phone'), '3812345678');
  t.equal(callerKey('13812345678'), '3812345678');
  t.equal(callerKey('sip:anonymous@anonymous.invalid'), undefined);
  t.equal(callerKey('sip:alice@example.com'), undefined);
  t.equal(callerKey('1234'), undefined, 'too short to be a caller');
});

t.test('the hash is keyed: same number same hash, another salt another hash, never the digits', async (t) => {
  const id = new CallIdentity(SALT);
  const a = id.customerHash('sip:+15550001111@carrier.example')!;
  t.match(a, /^[0-9a-f]{32}$/);
  t.equal(id.customerHash('5550001111'), a, 'the same caller however the number is written');
  t.not(id.customerHash('5550001112'), a);
  t.not(new CallIdentity(`${SALT}x`).customerHash('5550001111'), a, 'another site cannot match it');
  t.notMatch(a, /5550001111/);
  t.equal(id.customerHash(undefined), undefined);
  t.throws(() => new CallIdentity('short'), { code: 'EARSHOT_ERR_CONFIG' });
});

t.test('a leg tells the call its agent, queue and customer, once', async (t) => {
  const id = new CallIdentity(SALT, [{ agent: '^20\\d\\d$', queue: 'billing' }, { agent: '.', queue: 'general' }]);
  t.equal(agentIdFromAor('sip:2001@pbx.example'), '2001');
  t.equal(agentIdFromAor('sip:bad id@pbx'), undefined);
  const call: CallInfo = { callId: 'c', ingest: 'siprec', externalId: 'x', startedAt: 0 };
  const leg = (role: LegInfo['role'], aor?: string): LegInfo => ({ legId: role, callId: 'c', role, label: '1', participant: aor ? { aor } : undefined });
  t.same(id.fromLeg(call, leg('agent', 'sip:2001@pbx.example')), { agentId: '2001', queue: 'billing' });
  t.same(id.fromLeg(call, leg('agent', 'sip:3001@pbx.example')), { agentId: '3001', queue: 'general' });
  t.same(id.fromLeg({ ...call, agentId: 'known', queue: 'q' }, leg('agent', 'sip:2001@pbx')), {}, 'the source said already');
  t.same(Object.keys(id.fromLeg(call, leg('customer', 'sip:+15550001111@carrier.example'))), ['customerHash']);
  t.same(id.fromLeg(call, leg('customer')), {}, 'no participant, nothing');
});

t.test('the salt: configured wins; else made once in the data dir, private, and kept', async (t) => {
  const dir = t.testdir();
  t.equal(loadCallerSalt(dir, SALT), SALT);
  const s1 = loadCallerSalt(dir);
  t.match(s1, /^[0-9a-f]{64}$/);
  t.equal(statSync(path.join(dir, 'caller-salt')).mode & 0o777, 0o600);
  t.equal(loadCallerSalt(dir), s1, 'stable across restarts');
  writeFileSync(path.join(dir, 'caller-salt'), 'x\n');
  t.not(loadCallerSalt(dir), 'x', 'a damaged salt file is replaced');
});
