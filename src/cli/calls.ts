import { Command } from 'commander';
import { join } from 'node:path';
import { EarshotError } from '../errors.js';
import { openStore, type CallRow, type SipLogRow } from '../store/index.js';
import { configFrom } from './common.js';
import { configOption } from './options.js';

const iso = (ms: number | undefined) => (ms === undefined ? '-' : new Date(ms).toISOString());
const time = (ms: number) => new Date(ms).toISOString().slice(11, 23);

/** What `calls show` prints: the call, each leg's media figures, its SIP history. No PII is stored, so none is printed. */
export function formatCall(call: CallRow | undefined, sip: SipLogRow[], sipCallId: string, roles?: { by: string[]; fallback: boolean }): string {
  const out: string[] = [];
  if (call) {
    out.push(`call ${call.callId}  ${call.ingest}${call.source ? ` from ${call.source}` : ''}  ${call.state}`);
    out.push(`  SIP Call-ID  ${call.externalId}`);
    out.push(`  started      ${iso(call.startedAt)}`);
    out.push(`  ended        ${iso(call.endedAt)}${call.durationMs !== undefined ? `  (${(call.durationMs / 1000).toFixed(1)} s)` : ''}`);
    out.push(`  end reason   ${call.endReason ?? (call.state === 'active' ? '(in progress)' : '-')}`);
    if (roles) out.push(`  roles by     ${roles.by.join(', ')}${roles.fallback ? '  (stream order: a guess; set sip.agentPattern or sip.roles, docs/sbc.md)' : ''}`);
    out.push(`legs (${call.legs.length})`);
    for (const l of call.legs) {
      const s = l.stats ?? {};
      const media = [
        `packets ${s.packets ?? 0}`,
        `lost ${s.lost ?? 0}`,
        ...(s.jitterMs !== undefined ? [`jitter ${s.jitterMs} ms`] : []),
        ...(s.mos !== undefined ? [`MOS ${s.mos}`] : []),
        ...(s.latching ? [`source ${s.latched ? 'latched' : 'as SDP'} (${s.latching})`] : []),
        ...(s.foreignDropped ? [`other-source packets dropped ${s.foreignDropped}`] : []),
        ...(s.srtpAuthFailures !== undefined ? [`SRTP auth failures ${s.srtpAuthFailures}`] : []),
      ];
      out.push(`  ${l.label.padEnd(4)} ${l.role.padEnd(8)} ${(l.codec ?? '-').padEnd(5)} ${media.join(', ')}`);
    }
  } else {
    out.push(`no call recorded for SIP Call-ID ${sipCallId} (the SRS refused it or it never completed)`);
  }
  out.push(`SIP (${sip.length})`);
  for (const r of sip) {
    const what = r.status !== undefined ? `${r.status} ${r.method}` : r.method;
    const arrow = r.dir === 'in' ? `<- ${r.peer}` : `-> ${r.peer}`;
    out.push(`  ${time(r.at)}  ${r.dir.padEnd(3)} ${what.padEnd(14)} ${arrow} ${r.transport}${r.reason ? `  ${r.reason}` : ''}`);
  }
  return out.join('\n') + '\n';
}

export function callsCommand(): Command {
  const cmd = new Command('calls').description('stored calls, for troubleshooting');
  cmd
    .command('show <id>')
    .description("a call's SIP history, media figures per leg and why it ended; <id> is the call id or the SIP Call-ID")
    .addOption(configOption())
    .option('--json', 'print JSON instead of text')
    .action((id: string, opts: { config?: string; json?: boolean }) => {
      const config = configFrom(opts);
      const store = openStore({ path: join(config.dataDir, 'earshot.db'), recover: false });
      try {
        const repo = store.repos.sipLog;
        const call = store.getCall(id) ?? store.getCall(repo.callOfDialog(id) ?? '');
        const sipCallId = call?.externalId.replace(/~[^~]*$/, '') ?? id;
        const sip = call ? repo.ofCall(call.callId, sipCallId) : repo.ofDialog(id);
        if (!call && sip.length === 0) throw new EarshotError('EARSHOT_ERR_NOT_FOUND', `no call and no SIP log for ${id}`);
        const rolesEvent = call ? store.listCallEvents(call.callId).find((e) => e.kind === 'roles') : undefined;
        const roles = rolesEvent?.data as { by: string[]; fallback: boolean } | undefined;
        process.stdout.write(opts.json ? JSON.stringify({ call: call ?? null, roles: roles ?? null, sip }, null, 2) + '\n' : formatCall(call, sip, sipCallId, roles));
      } finally {
        store.close();
      }
    });
  return cmd;
}
