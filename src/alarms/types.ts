import type { AlarmRow } from '../store/types.js';

/** What the web API needs from the alarm stage; the lifecycle (audit, webhooks, live push) lives behind it. */
export interface AlarmService {
  ack(id: number, user: string, comment?: string): AlarmRow;
  resolve(id: number, user: string, comment?: string): AlarmRow;
}
