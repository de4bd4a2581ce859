import { escapeData } from './agentCommands';

/**
 * The agent's secret masker: every registered value (and the encodings it could appear in: JSON string, URL
 * component, logging-command escaping) is replaced by `***` in what the agent shows. A multi-line secret (a PEM
 * certificate) is also masked line by line, since the log is read a line at a time.
 */
export class SecretMasker {
  private readonly secrets = new Set<string>();
  private readonly patterns = new Set<string>();
  private sorted: string[] = [];

  add(value: string | undefined): void {
    if (value === undefined || value.trim() === '' || this.secrets.has(value)) return;
    this.secrets.add(value);
    const candidates = [value, escapeData(value), JSON.stringify(value).slice(1, -1), encodeURIComponent(value)];
    if (/[\r\n]/.test(value)) {
      candidates.push(...value.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length >= 8));
    }
    for (const candidate of candidates) {
      if (candidate.trim() !== '') this.patterns.add(candidate);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.sorted = [...this.patterns].sort((a, b) => b.length - a.length);
  }

  mask(text: string): string {
    let masked = text;
    for (const pattern of this.sorted) {
      if (masked.includes(pattern)) masked = masked.split(pattern).join('***');
    }
    return masked;
  }

  /** The registered values, as given. */
  values(): string[] {
    return [...this.secrets];
  }
}

/**
 * Endpoint authorization parameters the agent does not mask (MaskingUtil.IsEndpointAuthorizationParametersSecret in
 * microsoft/azure-pipelines-agent); every other parameter value is a secret.
 */
const NON_SECRET_AUTH_PARAMETERS = new Set(
  [
    'idToken', 'role', 'scope', 'tenantId', 'issuedAt', 'expiresAt', 'expiresIn', 'audience', 'authenticationType',
    'authorizationType', 'accessTokenType', 'accessTokenFetchingMethod', 'useWindowsSecurity', 'unsecured',
    'oAuthAccessTokenIsSupplied', 'completeCallbackPayload', 'acceptUntrustedCertificates',
  ].map((name) => name.toUpperCase()),
);

/**
 * Values of the task environment the agent masks from the start: endpoint authorization parameters
 * (`ENDPOINT_AUTH_PARAMETER_<id>_<KEY>`) except the non-secret ones, and System.AccessToken.
 */
export function secretsInEnvironment(env: Readonly<Record<string, string>>): string[] {
  const secrets: string[] = [];
  for (const [key, value] of Object.entries(env)) {
    const upper = key.toUpperCase();
    if (upper === 'SYSTEM_ACCESSTOKEN' || upper === 'SECRET_SYSTEM_ACCESSTOKEN') {
      secrets.push(value);
    } else if (upper.startsWith('ENDPOINT_AUTH_PARAMETER_')) {
      const parameter = upper.slice(upper.lastIndexOf('_') + 1);
      if (!NON_SECRET_AUTH_PARAMETERS.has(parameter)) secrets.push(value);
    }
  }
  return secrets;
}
