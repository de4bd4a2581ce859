import type * as http from 'node:http';

import type { PipelinePolicy, ProxySettings } from '@azure/core-rest-pipeline';
import { HttpsProxyAgent } from 'https-proxy-agent';

import { AgentEnvironment, taskLibEnvironment } from './agentEnvironment';
import { debug, warning } from './logging';
import { registerSecret } from './secrets';

/** The agent's web proxy (Agent.ProxyUrl, Agent.ProxyUsername/Password, Agent.ProxyBypassList). */
export interface AgentProxy {
  /** Proxy URL without credentials, e.g. http://proxy.corp:8080/. */
  readonly url: URL;
  readonly username?: string;
  readonly password?: string;
  /** Requests whose full URL matches one of these (case-insensitively) go direct, as task-lib decides. */
  readonly bypass: readonly RegExp[];
}

/** Reads the agent's proxy, or undefined when the agent has none. The proxy password is registered as a secret. */
export function readAgentProxy(env: AgentEnvironment = taskLibEnvironment): AgentProxy | undefined {
  const config = env.getProxyConfiguration();
  if (!config) return undefined;
  let url: URL;
  try {
    url = new URL(config.proxyUrl);
  } catch {
    warning(`The agent's proxy URL '${config.proxyUrl}' is not a valid URL; requests go direct.`);
    return undefined;
  }
  // Credentials may be embedded in the URL instead of the separate agent settings.
  const username = config.proxyUsername ?? (url.username ? decodeURIComponent(url.username) : undefined);
  const password = config.proxyPassword ?? (url.password ? decodeURIComponent(url.password) : undefined);
  registerSecret(password);
  url.username = '';
  url.password = '';
  const bypass: RegExp[] = [];
  for (const pattern of config.proxyBypassHosts) {
    try {
      bypass.push(new RegExp(pattern, 'i'));
    } catch {
      warning(`Ignoring the agent proxy bypass entry '${pattern}': it is not a valid regular expression.`);
    }
  }
  debug(`Agent proxy: ${url.href} (${bypass.length} bypass pattern(s))`);
  return { url, username, password, bypass };
}

/** True when `requestUrl` must not go through the proxy. */
export function isProxyBypassed(proxy: AgentProxy, requestUrl: string): boolean {
  return proxy.bypass.some((pattern) => pattern.test(requestUrl));
}

/** Azure SDK proxy settings for a request to `requestUrl`, or undefined to go direct. */
export function proxySettingsFor(proxy: AgentProxy | undefined, requestUrl: string): ProxySettings | undefined {
  if (!proxy || isProxyBypassed(proxy, requestUrl)) return undefined;
  const defaultPort = proxy.url.protocol === 'https:' ? 443 : 80;
  return {
    host: `${proxy.url.protocol}//${proxy.url.hostname}`,
    port: proxy.url.port ? Number(proxy.url.port) : defaultPort,
    username: proxy.username,
    password: proxy.password,
  };
}

/**
 * Pipeline policy that applies the agent proxy per request, honouring the bypass list for each URL (a client's
 * single `proxyOptions` cannot: one client may call ARM directly and storage through the proxy).
 * Must run before the SDK's own proxy policy, which uses `request.proxySettings` when set.
 */
export function agentProxyPolicy(proxy: AgentProxy | undefined): PipelinePolicy {
  return {
    name: 'azuremlMlopsAgentProxyPolicy',
    sendRequest(request, next) {
      if (!request.proxySettings && !request.agent) {
        const settings = proxySettingsFor(proxy, request.url);
        if (settings) request.proxySettings = settings;
      }
      return next(request);
    },
  };
}

/** An https agent that tunnels through the agent proxy, for plain Node https requests; undefined to go direct. */
export function proxyAgentFor(proxy: AgentProxy | undefined, requestUrl: string): http.Agent | undefined {
  if (!proxy || isProxyBypassed(proxy, requestUrl)) return undefined;
  const withCredentials = new URL(proxy.url.href);
  if (proxy.username) withCredentials.username = encodeURIComponent(proxy.username);
  if (proxy.password) withCredentials.password = encodeURIComponent(proxy.password);
  return new HttpsProxyAgent(withCredentials);
}

/** The same proxy in azure-devops-node-api's (typed-rest-client's) form. */
export function devOpsProxyOptions(proxy: AgentProxy | undefined):
  | { proxyUrl: string; proxyUsername?: string; proxyPassword?: string; proxyBypassHosts: string[] }
  | undefined {
  if (!proxy) return undefined;
  return {
    proxyUrl: proxy.url.href,
    proxyUsername: proxy.username,
    proxyPassword: proxy.password,
    proxyBypassHosts: proxy.bypass.map((pattern) => pattern.source),
  };
}
