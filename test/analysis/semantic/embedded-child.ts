// Run by embedded.test.ts as a separate process: starts the embedded server, prints its pid, then
// waits to be killed (the test SIGKILLs this process and checks the server goes with it).
import { EmbeddedServer } from '../../../src/analysis/semantic/index.js';

const s = new EmbeddedServer();
await s.ready(60_000);
process.stdout.write(`${s.pid}\n`);
setInterval(() => {}, 1000);
