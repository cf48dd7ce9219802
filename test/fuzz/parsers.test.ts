// CI pass of the mutation fuzzer: a few thousand inputs per parser (fewer for the slow YAML
// ones), asserting that every rejection is the parser's own coded error and nothing else escapes.
// The long run (≥ 1,000,000 inputs) is `node dist/bench/fuzz.js`.
import t from 'tap';
import { fuzz } from './engine.js';
import { allTargets } from './targets.js';

const SLOW = new Set(['rules', 'alarm-rules', 'config']);

t.test('no input makes a parser throw anything but its own coded error', async (t) => {
  const targets = await allTargets(t.testdir());
  t.ok(targets.length >= 20, `${targets.length} targets`);
  const quiet = console.error;
  // opus-decoder prints every corrupt packet with console.error (see docs/endurance.md).
  console.error = () => {};
  t.teardown(() => (console.error = quiet));
  for (const target of targets) {
    const out = await fuzz(target, SLOW.has(target.name) ? 150 : 2000, 20261123);
    t.equal(out.crashCount, 0, `${target.name}: ${out.inputs} inputs, ${out.rejected} rejected, no crash`, {
      crashes: out.crashes.slice(0, 3).map((c) => ({ error: c.error, input: c.input.toString('base64') })),
    });
  }
});

t.test('the fuzzer does mutate: seeds alone are accepted, mutations get rejected', async (t) => {
  const targets = await allTargets(t.testdir());
  const sip = targets.find((x) => x.name === 'sip-udp')!;
  const seedsOnly = await fuzz(sip, sip.seeds.length);
  t.equal(seedsOnly.rejected, 0, 'every SIP seed parses');
  const mutated = await fuzz(sip, 500, 3);
  t.ok(mutated.rejected > 50, `${mutated.rejected} of 500 mutated SIP messages rejected`);
});
