import type { RecordedExchange } from '../api';

/**
 * Every exchange the emulator answered, kept in memory for assertions and contract validation. Nothing is redacted
 * here (tests need the real values), so nothing from it may be printed.
 */
export class TrafficRecorder {
  /** The same array for the emulator's whole life: `clear` empties it in place so held references stay live. */
  readonly exchanges: RecordedExchange[] = [];

  record(exchange: RecordedExchange): void {
    this.exchanges.push(exchange);
  }

  clear(): void {
    this.exchanges.length = 0;
  }
}

/** Request or response body as recorded: JSON parsed, form fields as an object, text as a string, else the bytes. */
export function recordableBody(body: Buffer, contentType: string | undefined): unknown {
  if (body.length === 0) return undefined;
  const type = (contentType ?? '').toLowerCase();
  const text = body.toString('utf8');
  if (type.includes('json') || (!type && /^\s*[[{]/.test(text))) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (type.includes('application/x-www-form-urlencoded')) return Object.fromEntries(new URLSearchParams(text));
  if (type.startsWith('text/') || type.includes('xml')) return text;
  return Buffer.from(body);
}
