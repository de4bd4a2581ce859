/**
 * Credentials of scoring requests, by the endpoint's auth mode: the primary key (Key), an Azure ML token (AMLToken,
 * renewed when the service says so) or an Entra token for https://ml.azure.com from the service connection
 * (AADToken). Every value is registered as a secret before it is used.
 */
import type { WorkspaceClient } from '../azure/workspace';
import { onlineEndpointPath, type OnlineEndpointResource } from '../azureml/endpoints';
import { TaskError } from '../pipeline/errors';
import { registerSecret } from '../pipeline/secrets';
import { DEPLOYMENT_API_VERSION, type DeployWorkspace } from './arm';
import type { EndpointAuthMode, ScoringAuth } from './types';

/** The audience of Entra tokens for online endpoints with authMode AADToken. */
export const AZURE_ML_SCORING_SCOPE = 'https://ml.azure.com/.default';

export type ScoringCredentialsWorkspace = DeployWorkspace & Pick<WorkspaceClient, 'credential'>;

export async function scoringCredentials(workspace: ScoringCredentialsWorkspace, endpoint: OnlineEndpointResource, signal: AbortSignal): Promise<ScoringAuth> {
  const name = endpoint.name ?? String(endpoint.id ?? '').split('/').pop() ?? '';
  const mode = authModeOf(endpoint.properties?.authMode);
  const path = onlineEndpointPath(workspace, name);
  if (mode === 'Key') {
    const response = await workspace.armRequest<{ primaryKey?: string | null; secondaryKey?: string | null }>('POST', `${path}/listKeys`, undefined, {
      abortSignal: signal,
      apiVersion: DEPLOYMENT_API_VERSION,
    });
    registerSecret(response.body?.primaryKey);
    registerSecret(response.body?.secondaryKey);
    const key = response.body?.primaryKey || response.body?.secondaryKey;
    if (!key) throw new TaskError(`The online endpoint '${name}' has no key to score with (listKeys answered none).`);
    return { mode, authorization: async () => `Bearer ${key}` };
  }
  if (mode === 'AMLToken') {
    let token: { value: string; refreshAtMs: number } | undefined;
    const fetchToken = async (abortSignal?: AbortSignal): Promise<{ value: string; refreshAtMs: number }> => {
      const response = await workspace.armRequest<{ accessToken?: string | null; expiryTimeUtc?: number; refreshAfterTimeUtc?: number }>('POST', `${path}/token`, undefined, {
        abortSignal: abortSignal ?? signal,
        apiVersion: DEPLOYMENT_API_VERSION,
      });
      const value = response.body?.accessToken;
      registerSecret(value);
      if (!value) throw new TaskError(`The online endpoint '${name}' issued no token to score with.`);
      const refreshAfter = response.body?.refreshAfterTimeUtc ?? response.body?.expiryTimeUtc;
      return { value, refreshAtMs: refreshAfter ? refreshAfter * 1000 : Date.now() + 10 * 60_000 };
    };
    token = await fetchToken();
    return {
      mode,
      authorization: async (abortSignal) => {
        if (!token || Date.now() >= token.refreshAtMs) token = await fetchToken(abortSignal);
        return `Bearer ${token.value}`;
      },
    };
  }
  const first = await workspace.credential.getToken(AZURE_ML_SCORING_SCOPE, { abortSignal: signal });
  if (!first) throw new TaskError(`No Entra token for ${AZURE_ML_SCORING_SCOPE} could be obtained for the online endpoint '${name}' (authMode AADToken).`);
  registerSecret(first.token);
  return {
    mode,
    authorization: async (abortSignal) => {
      // The credential caches tokens and renews them before they expire.
      const current = await workspace.credential.getToken(AZURE_ML_SCORING_SCOPE, { abortSignal });
      if (!current) throw new TaskError(`No Entra token for ${AZURE_ML_SCORING_SCOPE} could be obtained.`);
      registerSecret(current.token);
      return `Bearer ${current.token}`;
    },
  };
}

function authModeOf(text: string | undefined): EndpointAuthMode {
  const lower = (text ?? 'Key').toLowerCase();
  if (lower === 'amltoken') return 'AMLToken';
  if (lower === 'aadtoken') return 'AADToken';
  return 'Key';
}
