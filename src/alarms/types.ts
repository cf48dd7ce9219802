import type { AlarmRow } from '../store/types.js';

/** What the web API needs from the alarm stage; the lifecycle (audit, webhooks, live push) lives behind it. */
export interface AlarmService {
  /**
   * open → acked. Throws EARSHOT_ERR_NOT_FOUND (404), EARSHOT_ERR_ALARM_TRANSITION (409),
   * EARSHOT_ERR_BAD_INPUT (400; the caller counts it, as the web API does).
   */
  ack(id: number, user: string, comment?: string): AlarmRow;
  /** open|acked → resolved. Same errors as ack. */
  resolve(id: number, user: string, comment?: string): AlarmRow;
}
