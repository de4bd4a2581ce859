import type { AgentEnvironment, AgentProxyConfiguration } from '@azureml-mlops/shared';

export interface FakeEndpoint {
  url?: string;
  scheme?: string;
  auth?: Record<string, string>;
  data?: Record<string, string>;
}

export interface FakeAgentOptions {
  inputs?: Record<string, string>;
  variables?: Record<string, string>;
  endpoints?: Record<string, FakeEndpoint>;
  proxy?: AgentProxyConfiguration;
}

/** An AgentEnvironment backed by plain maps; lookups are case-insensitive like the agent's. */
export function fakeAgent(options: FakeAgentOptions = {}): AgentEnvironment {
  const lower = (record: Record<string, string> | undefined) =>
    Object.fromEntries(Object.entries(record ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  const inputs = lower(options.inputs);
  const variables = lower(options.variables);
  const empty = (v: string | undefined) => (v === undefined || v.trim() === '' ? undefined : v.trim());
  const endpoint = (id: string) => options.endpoints?.[id];
  return {
    getInput: (name) => empty(inputs[name.toLowerCase()]),
    getVariable: (name) => empty(variables[name.toLowerCase()]),
    getEndpointUrl: (id) => endpoint(id)?.url,
    getEndpointAuthorizationScheme: (id) => endpoint(id)?.scheme,
    getEndpointAuthorizationParameter: (id, key) => lower(endpoint(id)?.auth)[key.toLowerCase()] || undefined,
    getEndpointDataParameter: (id, key) => empty(lower(endpoint(id)?.data)[key.toLowerCase()]),
    getProxyConfiguration: () => options.proxy,
  };
}

/** Runs `body` with process.stdout captured; returns what it wrote (agent commands such as ##vso[...]). */
export async function captureStdout<T>(body: () => T | Promise<T>): Promise<{ result: T; output: string }> {
  const original = process.stdout.write.bind(process.stdout);
  let output = '';
  (process.stdout as unknown as { write: unknown }).write = (chunk: string | Uint8Array, ...rest: unknown[]) => {
    output += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  };
  try {
    const result = await body();
    return { result, output };
  } finally {
    (process.stdout as unknown as { write: unknown }).write = original;
  }
}
