import * as taskLibInternal from 'azure-pipelines-task-lib/internal';
import * as tl from 'azure-pipelines-task-lib/task';

/** The agent's proxy settings as task-lib reports them (`Agent.ProxyUrl`, `Agent.ProxyBypassList`, ...). */
export interface AgentProxyConfiguration {
  readonly proxyUrl: string;
  readonly proxyUsername?: string;
  readonly proxyPassword?: string;
  /** Regular expressions, matched case-insensitively against the whole request URL. */
  readonly proxyBypassHosts: readonly string[];
}

/**
 * Everything the agent hands a task: inputs, variables, service endpoints and the proxy.
 * Product code reads them through this interface (default: task-lib) so unit tests can pass a fake
 * instead of mutating the process environment that task-lib captured at load time.
 */
export interface AgentEnvironment {
  /** The input's value, trimmed; undefined when empty. */
  getInput(name: string): string | undefined;
  getVariable(name: string): string | undefined;
  getEndpointUrl(id: string): string | undefined;
  getEndpointAuthorizationScheme(id: string): string | undefined;
  getEndpointAuthorizationParameter(id: string, key: string): string | undefined;
  getEndpointDataParameter(id: string, key: string): string | undefined;
  getProxyConfiguration(): AgentProxyConfiguration | undefined;
}

function emptyToUndefined(value: string | undefined | null): string | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

/** The real agent, through azure-pipelines-task-lib. */
export const taskLibEnvironment: AgentEnvironment = {
  getInput: (name) => emptyToUndefined(tl.getInput(name, false)),
  getVariable: (name) => emptyToUndefined(tl.getVariable(name)),
  getEndpointUrl: (id) => emptyToUndefined(tl.getEndpointUrl(id, true)),
  getEndpointAuthorizationScheme: (id) => emptyToUndefined(tl.getEndpointAuthorizationScheme(id, true)),
  // Secrets keep their exact value (no trimming): a key may legitimately end in whitespace-like padding.
  getEndpointAuthorizationParameter: (id, key) => readAuthorizationParameter(id, key),
  getEndpointDataParameter: (id, key) => emptyToUndefined(tl.getEndpointDataParameter(id, key, true)),
  getProxyConfiguration: () => {
    const config = tl.getHttpProxyConfiguration();
    if (!config || !config.proxyUrl) return undefined;
    return {
      proxyUrl: config.proxyUrl,
      proxyUsername: config.proxyUsername || undefined,
      proxyPassword: config.proxyPassword || undefined,
      proxyBypassHosts: config.proxyBypassHosts ?? [],
    };
  },
};

/**
 * An endpoint authorization parameter (a client secret, a certificate, an access token), read from task-lib's vault
 * as tl.getEndpointAuthorizationParameter does, but without its `<id> auth param <key> = <value>` debug line: that
 * line would put the secret in the task's raw output, where only the agent's masking hides it.
 */
function readAuthorizationParameter(id: string, key: string): string | undefined {
  const vault = (taskLibInternal as { _vault?: { retrieveSecret(name: string): string | undefined } })._vault;
  if (!vault) return tl.getEndpointAuthorizationParameter(id, key, true) || undefined;
  return vault.retrieveSecret(`ENDPOINT_AUTH_PARAMETER_${id}_${key.toUpperCase()}`) || undefined;
}

export function isDebugEnabled(env: AgentEnvironment = taskLibEnvironment): boolean {
  return (env.getVariable('System.Debug') ?? '').toLowerCase() === 'true';
}
