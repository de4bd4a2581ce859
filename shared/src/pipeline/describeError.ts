import { redactSecrets, urlWithoutQuery } from './secrets';

interface RestErrorLike {
  name: string;
  message: string;
  statusCode?: number;
  code?: string;
  request?: { method?: string; url?: string };
  response?: { bodyAsText?: string | null };
}

/**
 * One readable line for an error that is not a TaskError: Azure SDK RestErrors get their method, URL (without
 * query: it may hold a SAS), status and service error code. Registered secrets are masked.
 */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const rest = error as unknown as RestErrorLike;
    if (rest.name === 'RestError') {
      const parts: string[] = [];
      if (rest.request?.method && rest.request.url) parts.push(`${rest.request.method} ${urlWithoutQuery(rest.request.url)}`);
      if (rest.statusCode !== undefined) parts.push(`answered ${rest.statusCode}`);
      const code = rest.code && rest.code !== 'REQUEST_SEND_ERROR' ? ` ${rest.code}` : '';
      const head = parts.length > 0 ? `${parts.join(' ')}${code}: ` : '';
      return redactSecrets(`${head}${stripUrlQueries(rest.message)}`);
    }
    const message = error.message || error.name;
    return redactSecrets(stripUrlQueries(message));
  }
  return redactSecrets(stripUrlQueries(String(error)));
}

/** Drops query strings from URLs inside free text (SDK messages quote request URLs). */
export function stripUrlQueries(text: string): string {
  return text.replace(/(https?:\/\/[^\s?'"<>]+)\?[^\s'"<>]*/g, '$1');
}
