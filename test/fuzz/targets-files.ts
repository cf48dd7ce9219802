// Fuzz targets for what arrives as files: analysis rule packs (YAML), the configuration file and
// environment, and recorded calls for import (WAV and pcap/pcapng, read as the importer does).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { parseRuleSource } from '../../src/analysis/rules/parse.js';
import { parseAlarmRules } from '../../src/alarms/rules.js';
import { probe } from '../../src/ingest/import/format.js';
import { fileReader } from '../../src/ingest/import/wav-reader.js';
import { readPackets } from '../../src/ingest/import/pcap.js';
import { udpOf } from '../../src/ingest/import/net.js';
import { DialogTracker } from '../../src/ingest/import/sip-dialogs.js';
import { decodeRtp } from '../../src/ingest/import/rtp-pcm.js';
import type { Target } from './engine.js';

const B = (s: string) => Buffer.from(s);

export function ruleTarget(REPO: string): Target {
  const dir = path.join(REPO, 'config/rules');
  const seeds = readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(path.join(dir, f)));
  return {
    name: 'rules',
    seeds,
    tokens: ['rules:', 'scorecard:', 'lists:', 'concepts:', '$', 'wait~', '排*还', 'name: { en: a, zh: 乙 }', '- id: ', 'any:', 'all:', 'not:', 'near:', 'regex: ', '*a', '&a ', '!!binary ', '{', '}', '? ', '\n  ', '\n- '],
    maxLen: 16384,
    // The parser reports problems in `errors`; it must never throw.
    expected: () => false,
    run: (b) => void parseRuleSource(b.toString('utf8'), 'fuzz.yaml'),
  };
}

/**
 * Alarm rule files as the console PUTs them: every problem, including unresolved aliases, alias
 * bombs and oversize text, must be an AlarmError (EARSHOT_ERR_RULES), never a bare ReferenceError.
 */
export function alarmRuleTarget(REPO: string): Target {
  const dir = path.join(REPO, 'config/alarms');
  const seeds = [
    ...readdirSync(dir).filter((f) => f.endsWith('.yaml')).map((f) => readFileSync(path.join(dir, f))),
    B('version: 1\nrules:\n  - &r { id: a, kind: silence, seconds: 30 }\n  - *r\n'),
    B('version: 1\na: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nrules: [*b, *b]\n'),
    B('version: 1\nrules:\n  - *missing\n'),
  ];
  return {
    name: 'alarm-rules',
    seeds,
    tokens: ['version: 1', 'rules:', '- id: ', 'kind: ', 'silence', 'negative-streak', 'category', 'agent-daily', '*a', '&a ', '*b', '&b ', '<<: *a', '[*a, *a, *a]', '{', '}', '\n  ', '\n- '],
    maxLen: 16384,
    run: (b) => void parseAlarmRules(b.toString('utf8'), 'fuzz.yaml'),
  };
}

/** loadConfig reads a YAML file: give it one (rewritten per input) and an empty environment. */
export function configTarget(REPO: string, tmp: string): Target {
  const file = path.join(tmp, 'fuzz-config.yaml');
  const seeds = [readFileSync(path.join(REPO, 'config/earshot.example.yaml')), B('http:\n  port: 0\nsip:\n  agentPattern: "^1\\\\d+"\n'), B('{}\n')];
  const env: Record<string, string>[] = [{}, { EARSHOT_HTTP_PORT: '8080' }, { EARSHOT_SIP_ALLOW: '10.0.0.0/8,::1' }];
  let i = 0;
  return {
    name: 'config',
    seeds,
    tokens: ['port: ', 'dataDir: ', '- ', ': [', ']', '!!js/function ', '<<: *a', '&a ', 'true', '~', '0x10', '1e5'],
    maxLen: 16384,
    run(b) {
      writeFileSync(file, b);
      loadConfig({ file, env: env[i++ % env.length] });
    },
  };
}

const wav = (fmtTag: number, channels: number, rate: number, bits: number, dataBytes: number, extra: Buffer = Buffer.alloc(0)) => {
  const fmtLen = 16 + extra.length;
  const h = Buffer.alloc(12 + 8 + fmtLen + 8);
  h.write('RIFF', 0);
  h.writeUInt32LE(4 + 8 + fmtLen + 8 + dataBytes, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(fmtLen, 16);
  h.writeUInt16LE(fmtTag, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  extra.copy(h, 36);
  h.write('data', 36 + extra.length);
  h.writeUInt32LE(dataBytes, 40 + extra.length);
  return Buffer.concat([h, Buffer.from(Array.from({ length: dataBytes }, (_, i) => (i * 13) & 0xff))]);
};

/** An in-memory FileHandle with what the import reader calls (stat, read). */
const memFile = (b: Buffer): FileHandle =>
  ({
    stat: async () => ({ size: b.length }),
    read: async (buf: Buffer, off: number, len: number, pos: number) => {
      const n = Math.max(0, Math.min(len, b.length - pos));
      if (n > 0) b.copy(buf, off, pos, pos + n);
      return { bytesRead: n, buffer: buf };
    },
    readFile: async () => b,
  }) as unknown as FileHandle;

export function importTargets(REPO: string): Target[] {
  const ext = Buffer.alloc(24);
  ext.writeUInt16LE(22, 0);
  ext.writeUInt16LE(16, 2);
  ext.writeUInt32LE(3, 4);
  ext.writeUInt16LE(1, 8); // KSDATAFORMAT_SUBTYPE_PCM's first field
  // Whole pcap from the fixture, thinned to its SIP and the first RTP packets so a mutation is cheap.
  const fixture = readFileSync(path.join(REPO, 'test/fixtures/audio/two-calls.pcap'));
  const small = thinPcap(fixture, 30);
  return [
    {
      name: 'import-wav',
      seeds: [wav(1, 1, 8000, 16, 640), wav(1, 2, 16000, 16, 128), wav(7, 1, 8000, 8, 160), wav(3, 1, 8000, 32, 64), wav(0xfffe, 2, 8000, 16, 64, ext), wav(1, 1, 8000, 24, 30)],
      maxLen: 4096,
      async run(b) {
        const fh = memFile(b);
        const fmt = await probe(fh, 'fuzz.wav', {});
        const read = fileReader(fh, fmt);
        for (let k = 0; k < 4 && (await read(800)); k++);
      },
    },
    {
      name: 'import-pcap',
      seeds: [small, Buffer.concat([small.subarray(0, 24), small.subarray(24, 24 + 16 + 200)])],
      maxLen: 65536,
      run(b) {
        const tracker = new DialogTracker();
        const rtp = [];
        for (const pkt of readPackets(b)) {
          const d = udpOf(pkt.linktype, pkt.data, pkt.tsMs);
          if (typeof d !== 'string' && !tracker.feed(d)) rtp.push(d);
        }
        decodeRtp(tracker, rtp);
      },
    },
  ];
}

/** Keeps a pcap's global header, its SIP packets and the first `rtp` others (classic LE pcap). */
function thinPcap(buf: Buffer, rtp: number): Buffer {
  const out = [buf.subarray(0, 24)];
  let pos = 24;
  let kept = 0;
  while (pos + 16 <= buf.length) {
    const len = buf.readUInt32LE(pos + 8);
    const rec = buf.subarray(pos, pos + 16 + len);
    const udp = rec.subarray(16 + 14 + 20 + 8);
    const isSip = /^(SIP\/2\.0|[A-Z]+ sip:)/.test(udp.subarray(0, 16).toString('latin1'));
    if (isSip || kept++ < rtp) out.push(rec);
    pos += 16 + len;
  }
  return Buffer.concat(out);
}
