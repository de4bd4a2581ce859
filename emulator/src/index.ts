import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Emulator, EmulatorOptions } from './api';
import { registerAzureMl } from './azureml';
import { startScoringServer } from './azureml/serving/scoringServer';
import { ScoringTunnel } from './azureml/serving/scoringTunnel';
import { buildConfig, defaultDatastoreContainer, storageAccountName } from './config';
import { registerContainerRegistry } from './containerRegistry';
import type { EmulatorContext } from './context';
import { registerDevOpsOidc } from './devops/oidc';
import { DevOpsOrganization } from './devops/organization';
import { connectionEnv, type ConnectionEnvironment } from './devops/serviceConnection';
import { FaultInjector } from './http/faults';
import { Router } from './http/router';
import { EmulatorServer } from './http/server';
import { TrafficRecorder } from './http/traffic';
import { AccessTokens } from './identity/accessTokens';
import { Directory } from './identity/directory';
import { registerEntra } from './identity/entra';
import { MANAGED_IDENTITY_PATH, registerManagedIdentity } from './identity/managedIdentity';
import { createSigningKey } from './identity/signingKey';
import { startAzurite } from './storage/azurite';
import { blobHost, createStorageService } from './storage/storageService';
import { startStorageProxy } from './storage/proxy';
import { issueEndpointTls, issueScoringTls, prepareStorageTls } from './tls/certificates';

export * from './api';
export type { EmulatorContext, EmulatorConfig, StorageService, TokenService } from './context';

type Cleanup = () => Promise<void> | void;

/**
 * Starts an emulator: HTTPS endpoint on a free port (ARM, Entra ID, managed identity, Azure DevOps OIDC, Azure ML),
 * Azurite behind a storage proxy, all trusting a CA of its own. Several may run in one process.
 */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const config = buildConfig(options);
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = ownsStateDir ? await mkdtemp(join(tmpdir(), 'azureml-emulator-')) : resolve(options.stateDir!);
  if (!ownsStateDir) await mkdir(stateDir, { recursive: true });
  const debug = createDebug();
  // Run in reverse on stop or failed start: what started last stops first.
  const cleanups: Cleanup[] = [];
  if (ownsStateDir) cleanups.push(() => rm(stateDir, { recursive: true, force: true, maxRetries: 3 }));
  const cleanUp = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      try {
        await cleanup();
      } catch (error) {
        debug(`cleanup failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  };

  try {
    // Azurite needs only the CA and its own certificate: it boots while the other keys are generated.
    const storageTls = await prepareStorageTls(stateDir);
    const accountName = storageAccountName(config);
    const accountKey = randomBytes(64).toString('base64');
    const azuriteStarting = startAzurite({
      location: join(stateDir, 'azurite'),
      certPath: storageTls.storage.certPath,
      keyPath: storageTls.storage.keyPath,
      accountName,
      accountKey,
      debug,
    });
    // Handled here so that a failed Azurite start while the keys are generated is not an unhandled rejection.
    azuriteStarting.catch(() => undefined);
    cleanups.push(async () => (await azuriteStarting.catch(() => undefined))?.stop());
    const [endpointTls, entraKey, devopsKey] = await Promise.all([
      issueEndpointTls(storageTls.ca),
      createSigningKey('emulated Entra ID token signing'),
      createSigningKey('emulated Azure DevOps OIDC token signing'),
    ]);
    const tls = { ...storageTls, ...endpointTls, scoring: issueScoringTls(storageTls.ca, config.location, endpointTls.server) };

    const router = new Router();
    const faults = new FaultInjector();
    const traffic = new TrafficRecorder();
    let tokens: AccessTokens | undefined;
    const server = new EmulatorServer({
      router,
      faults,
      traffic,
      tls: tls.server,
      authenticate: (authorization, kind) => tokens!.validate(authorization, kind),
      defaultApiVersions: [config.armApiVersion],
      location: config.location,
      debug,
    });

    const baseUrl = await server.listen();
    cleanups.push(() => server.close());
    const azurite = await azuriteStarting;

    tokens = new AccessTokens(config.tenantId, baseUrl, config.accessTokenLifetimeSeconds, entraKey);
    const organization = new DevOpsOrganization(baseUrl, devopsKey);
    const directory = new Directory(config.tenantId, tls.servicePrincipalCertificate.certificatePem, {
      issuer: organization.issuer,
      subject: organization.federatedSubject,
    });
    directory.trustIssuer(organization.issuer, devopsKey.certificatePem);
    const identityHeader = randomBytes(24).toString('hex');

    registerEntra({ router, baseUrl, directory, tokens, signingKey: entraKey });
    registerManagedIdentity({ router, directory, tokens, identityHeader });
    registerDevOpsOidc({ router, organization, oidcTokenLifetimeSeconds: config.oidcTokenLifetimeSeconds });

    // The agent's proxy also reaches the online endpoints' scoring hosts, once their server runs (below).
    const scoringTunnel = new ScoringTunnel();
    const proxy = await startStorageProxy({ storageHost: blobHost(accountName), azuritePort: azurite.port, tunnels: [scoringTunnel], debug });
    cleanups.push(() => proxy.close());
    const storage = createStorageService({
      accountName,
      accountKey,
      azuritePort: azurite.port,
      caCertificatePem: tls.ca.certificatePem,
      defaultContainer: defaultDatastoreContainer(config),
    });
    cleanups.push(() => storage.close());
    // Creating the containers also proves Azurite answers over TLS with the account key.
    await Promise.all([storage.defaultContainer, storage.artifactsContainer].map((c) => storage.client.getContainerClient(c).createIfNotExists()));

    const ctx: EmulatorContext = { config, baseUrl, stateDir, caCertPath: tls.caCertPath, storage, tokens, debug };
    const azureMl = registerAzureMl(router, ctx, {
      verifyEntraToken: (authorization) => {
        const check = tokens!.validate(authorization, 'dataPlane');
        return check.ok ? { audience: check.principal.audience } : undefined;
      },
    });
    cleanups.push(() => azureMl.stop());
    const scoringServer = await startScoringServer({ tls: tls.scoring, handle: azureMl.scoring.handle });
    cleanups.push(() => scoringServer.close());
    scoringTunnel.attach(azureMl.scoring, scoringServer.port);
    const containerRegistry = registerContainerRegistry(router, ctx);
    cleanups.push(() => containerRegistry.stop());

    const environment: ConnectionEnvironment = {
      baseUrl,
      config,
      directory,
      organization,
      caCertPath: tls.caCertPath,
      proxyUrl: proxy.url,
      identityEndpoint: `${baseUrl}${MANAGED_IDENTITY_PATH}`,
      identityHeader,
      servicePrincipalCertificatePem: tls.servicePrincipalCertificate.certificatePem.trimEnd() + '\n' + tls.servicePrincipalCertificate.privateKeyPem,
    };

    let stopping: Promise<void> | undefined;
    const emulator: Emulator = {
      url: baseUrl,
      caCertPath: tls.caCertPath,
      proxyUrl: proxy.url,
      tenantId: config.tenantId,
      subscriptionId: config.subscriptionId,
      resourceGroup: config.resourceGroup,
      workspaceName: config.workspaceName,
      principals: {
        servicePrincipalSecret: { clientId: directory.secretPrincipal.clientId, clientSecret: directory.secretPrincipal.clientSecret },
        servicePrincipalCertificate: { clientId: directory.certificatePrincipal.clientId, pem: environment.servicePrincipalCertificatePem },
        workloadIdentity: {
          clientId: directory.federatedPrincipal.clientId,
          issuer: directory.federatedPrincipal.issuer,
          subject: directory.federatedPrincipal.subject,
        },
        managedIdentity: { clientId: directory.managedIdentity.clientId },
      },
      devops: organization.context,
      storage: {
        accountName: storage.accountName,
        accountKey: storage.accountKey,
        defaultContainer: storage.defaultContainer,
        artifactsContainer: storage.artifactsContainer,
        blobUrl: (container, blobPath) => storage.blobUrl(container, blobPath),
        readSasUrl: (container, blobPath, expiresInSeconds) => storage.readSasUrl(container, blobPath, expiresInSeconds),
      },
      faults: { add: (rule) => faults.add(rule), clear: () => faults.clear() },
      traffic: traffic.exchanges,
      clearTraffic: () => traffic.clear(),
      connectionEnv: (connectionId, scheme, connectionOptions) => connectionEnv(environment, connectionId, scheme, connectionOptions),
      inspect: {
        job: (name) => azureMl.inspect.job(name),
        jobNames: () => azureMl.inspect.jobNames(),
        metrics: (runId) => azureMl.inspect.metrics(runId),
        modelVersions: (name) => azureMl.inspect.modelVersions(name),
        onlineEndpoint: (name) => azureMl.inspect.onlineEndpoint(name),
        onlineDeployments: (endpointName) => azureMl.inspect.onlineDeployments(endpointName),
        scoringRequests: (endpointName) => azureMl.inspect.scoringRequests(endpointName),
        inferenceServerPids: (endpointName) => azureMl.inspect.inferenceServerPids(endpointName),
        ...containerRegistry.inspect,
        datastoreBlobs: async () => {
          const blobs: Array<{ name: string; etag: string }> = [];
          for await (const blob of storage.client.getContainerClient(storage.defaultContainer).listBlobsFlat()) {
            blobs.push({ name: blob.name, etag: blob.properties.etag ?? '' });
          }
          return blobs;
        },
      },
      stop: () => (stopping ??= cleanUp()),
    };
    debug(`emulator ready at ${baseUrl} (state in ${stateDir})`);
    return emulator;
  } catch (error) {
    await cleanUp();
    throw error;
  }
}

/** Diagnostics go to stderr only when EMULATOR_DEBUG is set; they never contain tokens, keys or query strings. */
function createDebug(): (message: string) => void {
  if (!process.env['EMULATOR_DEBUG']) return () => undefined;
  return (message) => process.stderr.write(`[emulator] ${message}\n`);
}
