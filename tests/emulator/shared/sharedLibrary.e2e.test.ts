import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import type { AuthScheme, Emulator } from '@azureml-mlops/emulator';

import { dedicatedEmulator } from '../../support/emulatorFixture';
import { runNodeScript } from '../../support/nodeRunner';

interface WorkspaceResult {
  ok: boolean;
  scheme?: string;
  workspace?: string;
  resourceGroup?: string;
  historyHost?: string;
  missingRun?: boolean;
  datastore?: string;
  upload?: { hash: string; blobPath: string; blobUri: string; uploaded: boolean; fileCount: number; totalBytes: number };
  again?: { uploaded: boolean; hash: string };
  taskError?: boolean;
  message?: string;
}

const runner = path.join('..', 'unit', 'shared', 'fixtures', 'workspaceRunner.js');

/**
 * The library end to end against the emulator, in a child process started with exactly what the agent gives a
 * task (ENDPOINT_* variables, SYSTEM_* variables, NODE_EXTRA_CA_CERTS, the agent proxy): every credential scheme
 * signs in, reads the workspace, discovers the data plane and uploads through the storage proxy.
 */
describe('shared library against the emulator (child process, as a task)', function () {
  this.timeout(120_000);
  let emulator: Emulator;
  let temp: string;
  let taskJson: string;
  let uploadDir: string;

  before(async () => {
    emulator = await dedicatedEmulator('shared-library');
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-e2e-'));
    taskJson = path.join(temp, 'task.json');
    fs.writeFileSync(taskJson, JSON.stringify({ name: 'SharedE2E', version: { Major: 1, Minor: 0, Patch: 0 }, messages: {} }));
    uploadDir = path.join(temp, 'src');
    fs.mkdirSync(path.join(uploadDir, 'pkg'), { recursive: true });
    fs.writeFileSync(path.join(uploadDir, 'train.py'), 'print("train")\n');
    fs.writeFileSync(path.join(uploadDir, 'pkg', 'util.py'), 'X = 1\n');
    fs.writeFileSync(path.join(uploadDir, 'debug.log'), 'noise\n');
    fs.writeFileSync(path.join(uploadDir, '.amlignore'), '*.log\n');
  });
  after(() => fs.rmSync(temp, { recursive: true, force: true }));

  function run(connectionId: string, scheme: AuthScheme, extra: Record<string, string> = {}, scopeLevel?: 'AzureMLWorkspace') {
    const env = {
      ...emulator.connectionEnv(connectionId, scheme, scopeLevel ? { scopeLevel } : {}),
      INPUT_AZURESUBSCRIPTION: connectionId,
      AGENT_TEMPDIRECTORY: temp,
      FIXTURE_TASK_JSON: taskJson,
      FIXTURE_UPLOAD_PATH: uploadDir,
      ...extra,
    };
    return runNodeScript<WorkspaceResult>(runner, env);
  }

  const schemes: Array<[AuthScheme, string, string]> = [
    ['servicePrincipalSecret', 'ServicePrincipal', 'e2e00000-0000-4000-8000-000000000001'],
    ['servicePrincipalCertificate', 'ServicePrincipal', 'e2e00000-0000-4000-8000-000000000002'],
    ['workloadIdentity', 'WorkloadIdentityFederation', 'e2e00000-0000-4000-8000-000000000003'],
    ['managedIdentity', 'ManagedServiceIdentity', 'e2e00000-0000-4000-8000-000000000004'],
  ];
  // The four task processes run at once (each spends most of its time loading modules).
  let outcomes: Map<AuthScheme, Awaited<ReturnType<typeof run>>>;
  before(async () => {
    const results = await Promise.all(
      schemes.map(([scheme, , connectionId]) =>
        run(connectionId, scheme, { FIXTURE_RESOURCE_GROUP: emulator.resourceGroup, FIXTURE_WORKSPACE: emulator.workspaceName }),
      ),
    );
    outcomes = new Map(schemes.map(([scheme], index) => [scheme, results[index]]));
  });

  for (const [scheme, expectedScheme] of schemes) {
    it(`${scheme}: signs in, opens the workspace, discovers the data plane and uploads through the proxy`, async () => {
      const { result, exitCode, stderr } = outcomes.get(scheme)!;
      assert.equal(result.ok, true, stderr);
      assert.equal(exitCode, 0);
      assert.equal(result.scheme, expectedScheme);
      assert.equal(result.workspace, emulator.workspaceName);
      assert.match(result.historyHost ?? '', /^https:\/\//);
      assert.equal(result.missingRun, true);
      assert.equal(result.upload?.fileCount, 3, 'train.py, pkg/util.py, .amlignore (debug.log ignored)');
      assert.match(result.upload?.blobUri ?? '', /^https:\/\/[a-z0-9]+\.blob\.core\.windows\.net\/[^?]+\/LocalUpload\/[0-9a-f]{64}\/src$/);
      assert.equal(result.again?.uploaded, false, 'the second upload of the same content is skipped');
      assert.equal(result.again?.hash, result.upload?.hash);
      const blobs = (await emulator.inspect.datastoreBlobs()).map((b) => b.name);
      assert.ok(blobs.includes(`${result.upload!.blobPath}/train.py`), blobs.join(', '));
      assert.ok(!blobs.includes(`${result.upload!.blobPath}/debug.log`));
    });
  }

  it('takes the workspace from a connection scoped to it', async () => {
    const { result, stderr } = await run('e2e00000-0000-4000-8000-000000000005', 'servicePrincipalSecret', {}, 'AzureMLWorkspace');
    assert.equal(result.ok, true, stderr);
    assert.equal(result.resourceGroup, emulator.resourceGroup);
    assert.equal(result.workspace, emulator.workspaceName);
  });

  it('reports a wrong client secret as one clear sign-in error', async () => {
    const connectionId = 'e2e00000-0000-4000-8000-000000000006';
    const { result } = await run(connectionId, 'servicePrincipalSecret', {
      FIXTURE_MODE: 'token',
      [`ENDPOINT_AUTH_PARAMETER_${connectionId}_SERVICEPRINCIPALKEY`]: 'not-the-secret',
    });
    assert.equal(result.ok, false);
    assert.equal(result.taskError, true);
    assert.match(result.message ?? '', new RegExp(`^Could not sign in to Azure with the service connection '${connectionId}' \\(service principal with a secret.*AADSTS7000215`));
    assert.doesNotMatch(result.message ?? '', /not-the-secret/);
  });

  describe('workload identity federation with short-lived tokens', () => {
    let shortLived: Emulator;
    before(async () => {
      shortLived = await dedicatedEmulator('shared-library-short-lived', { accessTokenLifetimeSeconds: 1, oidcTokenLifetimeSeconds: 3 });
    });

    it('asks Azure DevOps for a fresh OIDC token for every sign-in, so waits longer than its lifetime keep working', async () => {
      const connectionId = 'e2e00000-0000-4000-8000-000000000007';
      const before = shortLived.traffic.length;
      const env = {
        ...shortLived.connectionEnv(connectionId, 'workloadIdentity'),
        INPUT_AZURESUBSCRIPTION: connectionId,
        AGENT_TEMPDIRECTORY: temp,
        FIXTURE_TASK_JSON: taskJson,
        FIXTURE_MODE: 'tokenTwice',
        FIXTURE_WAIT_MS: '4000', // longer than the OIDC token lifetime
      };
      const { result, stderr } = await runNodeScript<WorkspaceResult>(runner, env);
      // The second sign-in succeeds only with an OIDC token issued after the first one expired.
      assert.equal(result.ok, true, stderr);
      const oidcRequests = shortLived.traffic.slice(before).filter((t) => t.method === 'POST' && /\/oidctoken/.test(t.url));
      // MSAL evaluates the assertion callback twice per sign-in (app configuration and request): 2 or more per sign-in.
      assert.ok(oidcRequests.length >= 2, `${oidcRequests.length} OIDC token requests`);
    });
  });
});
