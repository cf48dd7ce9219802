import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';

// The demo contact centre's calls besides the bundled one: short scripted conversations spoken by
// different flite voices (scripts/make-call.sh: customer left, agent right, sox moods), rendered
// once into the data directory at the first demo start. Each is a kind of customer the dashboards
// should show: one who turns angry, one whose problem is solved, one who leaves for a competitor.
// Without flite/sox (or the script) the loop plays the bundled recording only.

export interface DemoScenario {
  id: string;
  /** flite voices (flite -lv): male voices are recognised best by the embedded engine. */
  customerVoice: string;
  agentVoice: string;
  /** make-call.sh turns: `<customer|agent> <mood> <gap s> <text>`. */
  turns: string;
}

export const DEMO_SCENARIOS: DemoScenario[] = [
  {
    id: 'resolved-outage',
    customerVoice: 'awb',
    agentVoice: 'kal',
    turns: `
agent calm 0.4 thank you for calling customer support this call is recorded for quality and training purposes how can i help you today
customer calm 0.5 hello my internet has been down since yesterday
agent calm 0.4 i am sorry to hear that can i have your account number please
customer annoyed 0.5 this is the third time this month and nobody fixed it
agent calm 0.4 i completely understand your frustration and i will sort it out now
agent calm 0.6 may i place you on a brief hold while i check your account
agent calm 0.4 thank you for holding i have reset the line and booked an engineer for tomorrow morning
customer calm 0.5 great it is working again thank you so much
agent calm 0.4 is there anything else i can help you with today thank you for your patience
customer calm 0.4 no that is all thanks a lot
`,
  },
  {
    id: 'churn-competitor',
    customerVoice: 'rms',
    agentVoice: 'kal16',
    turns: `
agent calm 0.4 thank you for calling this call is recorded for quality purposes how can i help
customer calm 0.5 hello i want to cancel my contract
agent calm 0.4 i am sorry to hear that may i ask why
customer annoyed 0.5 comcast offered me a better price and your service keeps dropping
agent calm 0.4 i can offer you a discount of ten percent for a year
customer annoyed 0.5 no thanks i have decided to cancel and move to comcast
agent calm 0.4 i understand i have started the cancellation for you
customer calm 0.4 fine goodbye
`,
  },
  {
    id: 'angry-delivery',
    customerVoice: 'awb',
    agentVoice: 'kal16',
    turns: `
agent calm 0.4 good morning thank you for calling how can i help you
customer calm 0.5 hello my order never arrived
agent calm 0.4 let me check that for you
customer annoyed 0.5 it was supposed to come last week and nobody called me
agent calm 0.4 one moment please
customer angry 0.4 this is ridiculous i have been waiting for two weeks
customer shout 0.5 i want to speak to your manager right now
agent calm 0.4 i am sorry i will transfer you to my manager
`,
  },
  {
    id: 'upgrade',
    customerVoice: 'rms',
    agentVoice: 'kal',
    turns: `
agent calm 0.4 thank you for calling sales this call is recorded for training how can i help you today
customer calm 0.5 hello i would like to upgrade my plan to the faster one
agent calm 0.4 of course the faster plan is ten dollars more per month
customer calm 0.5 that sounds good please go ahead
agent calm 0.4 done your new plan starts tomorrow is there anything else
customer calm 0.4 no that is great thank you
`,
  },
];

/** scripts/make-call.sh from the source tree or from dist/. */
function makeCallScript(): string | undefined {
  for (const rel of ['../../../scripts/make-call.sh', '../../../../scripts/make-call.sh']) {
    const p = fileURLToPath(new URL(rel, import.meta.url));
    if (existsSync(p)) return p;
  }
  return undefined;
}

const key = (s: DemoScenario) => createHash('sha256').update(`${s.customerVoice}\n${s.agentVoice}\n${s.turns}`).digest('hex').slice(0, 12);

/** One scenario rendered (bounded: killed with its flite/sox children after 60 s). */
function render(script: string, s: DemoScenario, out: string, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', [script, out, s.customerVoice, s.agentVoice], { stdio: ['pipe', 'ignore', 'pipe'], detached: true });
    let err = '';
    const kill = () => {
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(kill, 60_000);
    signal?.addEventListener('abort', kill, { once: true });
    child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-300)));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', kill);
      if (code === 0) resolve();
      else reject(new Error(`make-call.sh exited ${code}: ${err}`));
    });
    child.stdin.end(s.turns);
  });
}

/**
 * The scenario recordings in `dir` (rendered now if missing: a content hash in the name, so an
 * edited script is rendered again). Returns the files that exist; failures are logged, not thrown.
 */
export async function demoCalls(dir: string, log: Logger, signal?: AbortSignal): Promise<string[]> {
  const script = makeCallScript();
  const files = DEMO_SCENARIOS.map((s) => ({ s, file: join(dir, `${s.id}-${key(s)}.wav`) }));
  const missing = files.filter((f) => !existsSync(f.file));
  if (missing.length && !script) log.warn('scripts/make-call.sh not found: the demo plays its bundled call only');
  if (missing.length && script) {
    mkdirSync(dir, { recursive: true });
    // Two at a time: flite and sox are quick, and the machine is also starting the appliance.
    for (let i = 0; i < missing.length && !signal?.aborted; i += 2) {
      await Promise.all(
        missing.slice(i, i + 2).map(async ({ s, file }) => {
          try {
            await render(script, s, `${file}.part.wav`, signal);
            renameSync(`${file}.part.wav`, file);
          } catch (err) {
            if (!signal?.aborted) log.warn({ scenario: s.id, err: (err as Error).message }, 'demo call not rendered (flite and sox installed?)');
          }
        }),
      );
    }
  }
  return files.filter((f) => existsSync(f.file)).map((f) => f.file);
}
