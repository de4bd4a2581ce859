import { randomUUID } from 'node:crypto';
import type { EmulatorRequest, EmulatorResponse, Router } from '../http/router';
import { TOKEN_EXCHANGE_AUDIENCE } from '../identity/directory';
import { nowSeconds, signJwt } from '../identity/jwt';
import { ORGANIZATION_NAME, PROJECT_NAME, type DevOpsOrganization } from './organization';

/** Location id of the "oidctoken" resource of the distributedtask area (TaskApi.createOidcToken asks for it). */
export const OIDC_TOKEN_LOCATION_ID = '69a319f4-28c1-4bfd-93e6-ea0ff5c6f1a2';

export interface OidcOptions {
  readonly router: Router;
  readonly organization: DevOpsOrganization;
  readonly oidcTokenLifetimeSeconds: number;
}

/**
 * The part of Azure DevOps a task uses to get a workload identity token: location discovery of the distributedtask
 * area (OPTIONS, as azure-devops-node-api's VsoClient does it) and the job's oidctoken resource.
 */
export function registerDevOpsOidc(options: OidcOptions): void {
  const { router, organization } = options;

  router.add('OPTIONS', '/devops/:org/_apis/distributedtask', { kind: 'open' }, (req) => {
    if (req.params['org'] !== ORGANIZATION_NAME) return devopsError(404, 'OrganizationNotFoundException', `The organization '${req.params['org']}' was not found.`);
    const locations = [
      {
        id: OIDC_TOKEN_LOCATION_ID,
        area: 'distributedtask',
        resourceName: 'oidctoken',
        routeTemplate: '{scopeIdentifier}/_apis/{area}/hubs/{hubName}/plans/{planId}/jobs/{jobId}/{resource}',
        resourceVersion: 1,
        minVersion: '7.1',
        maxVersion: '7.2',
        releasedVersion: '0.0',
      },
    ];
    return { status: 200, body: { count: locations.length, value: locations } };
  });

  router.add('POST', '/devops/:org/:project/_apis/distributedtask/hubs/:hub/plans/:planId/jobs/:jobId/oidctoken', { kind: 'open' }, (req) => {
    if (!presentsAccessToken(req, organization.accessToken)) {
      return devopsError(401, 'UnauthorizedRequestException', "TF400813: The user '' is not authorized to access this resource.", {
        'WWW-Authenticate': 'Bearer authorization_uri=https://login.microsoftonline.com/common',
      });
    }
    const versionProblem = checkApiVersion(req);
    if (versionProblem) return versionProblem;
    const { org, project, hub, planId, jobId } = req.params as Record<string, string>;
    if (org !== ORGANIZATION_NAME) return devopsError(404, 'OrganizationNotFoundException', `The organization '${org}' was not found.`);
    if (project.toLowerCase() !== organization.projectId && project !== PROJECT_NAME) {
      return devopsError(404, 'ProjectDoesNotExistWithNameException', `TF200016: The following project does not exist: ${project}. Verify that the name of the project is correct and that the project exists on the specified Azure DevOps Server.`);
    }
    if (hub !== organization.hostType || planId.toLowerCase() !== organization.planId || jobId.toLowerCase() !== organization.jobId) {
      return devopsError(404, 'TaskOrchestrationPlanNotFoundException', `Plan not found: ${planId}.`);
    }
    const serviceConnectionId = req.query.get('serviceConnectionId');
    const connectionName = serviceConnectionId ? organization.federatedConnectionName(serviceConnectionId) : undefined;
    if (!serviceConnectionId || !connectionName) {
      return devopsError(
        400,
        'InvalidRequestException',
        `Unable to create an OIDC token: no workload identity federation service connection with id '${serviceConnectionId ?? ''}' is authorized for this pipeline in project '${PROJECT_NAME}'.`,
      );
    }
    const now = nowSeconds();
    const oidcToken = signJwt(
      {
        jti: randomUUID(),
        sub: `sc://${ORGANIZATION_NAME}/${PROJECT_NAME}/${connectionName}`,
        aud: TOKEN_EXCHANGE_AUDIENCE,
        iss: organization.issuer,
        nbf: now,
        iat: now,
        exp: now + options.oidcTokenLifetimeSeconds,
      },
      organization.signingKey,
    );
    return { status: 200, body: { oidcToken } };
  });
}

/** System.AccessToken as a bearer token, or as the password of basic authentication (PAT style). */
function presentsAccessToken(req: EmulatorRequest, accessToken: string): boolean {
  const header = req.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1] === accessToken;
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1) === accessToken;
  }
  return false;
}

/** The resource is in preview: api-version 7.1 or 7.2 with the -preview flag (azure-devops-node-api sends 7.2-preview.1). */
function checkApiVersion(req: EmulatorRequest): EmulatorResponse | undefined {
  const fromAccept = /api-version=([^;,\s]+)/i.exec(String(req.headers.accept ?? ''))?.[1];
  const version = req.query.get('api-version') ?? fromAccept;
  if (!version) {
    return devopsError(400, 'VssInvalidApiVersionException', 'No api-version was supplied for the "POST" request. An api-version must be supplied with each request.');
  }
  if (!/^7\.[12]-preview(\.1)?$/.test(version)) {
    return devopsError(
      400,
      'VssInvalidPreviewVersionException',
      `The requested version "${version}" of the resource is under preview. The -preview flag must be supplied in the api-version for such requests. For example: "7.2-preview"`,
    );
  }
  return undefined;
}

/** Azure DevOps' error body (typed-rest-client surfaces `message`). */
function devopsError(status: number, typeKey: string, message: string, headers: Record<string, string> = {}): EmulatorResponse {
  return {
    status,
    headers,
    body: {
      $id: '1',
      innerException: null,
      message,
      typeName: `Microsoft.TeamFoundation.DistributedTask.WebApi.${typeKey}, Microsoft.TeamFoundation.DistributedTask.WebApi`,
      typeKey,
      errorCode: 0,
      eventId: 3000,
    },
  };
}
