import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Emulator, RecordedExchange } from '@azureml-mlops/emulator';
import { sharedEmulator } from '../support/emulatorFixture';
import { armAccessToken, emulatorRequest, workspacePath } from '../support/emulatorHttp';
import { ArmContractValidator, describeViolation, SPEC_ROOT, specificationAvailable, type ContractViolation } from './armContract';

const EXAMPLES = join(SPEC_ROOT, 'specification/machinelearningservices/resource-manager/Microsoft.MachineLearningServices/stable/2022-10-01/examples');

interface Example {
  parameters: Record<string, unknown> & { body?: Record<string, unknown> };
  responses: Record<string, { body?: Record<string, unknown>; headers?: Record<string, string> }>;
}

function example(path: string): Example {
  return JSON.parse(readFileSync(join(EXAMPLES, path), 'utf8')) as Example;
}

/** A recorded exchange built from an official example: what a faithful service and client would exchange. */
function exchangeFromExample(method: string, resourcePath: string, ex: Example, status: string): RecordedExchange {
  const p = ex.parameters;
  const path = resourcePath.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(String(p[name])));
  return {
    method,
    url: `https://127.0.0.1:1/${path}?api-version=2022-10-01`,
    routeTemplate: '',
    kind: 'arm',
    requestHeaders: { 'content-type': 'application/json' },
    requestBody: p.body,
    status: Number(status),
    responseHeaders: { 'content-type': 'application/json; charset=utf-8', ...(ex.responses[status]?.headers ?? {}) },
    responseBody: ex.responses[status]?.body,
  };
}

const WORKSPACE = 'subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.MachineLearningServices/workspaces/{workspaceName}';

/** A few read operations, so that the contract means something when this file runs alone. */
async function driveArmRequests(emulator: Emulator): Promise<void> {
  const token = await armAccessToken(emulator);
  const ws = workspacePath(emulator);
  const q = '?api-version=2022-10-01';
  const gets = [
    `${ws}${q}`,
    `subscriptions/${emulator.subscriptionId}/resourceGroups/${emulator.resourceGroup}/providers/Microsoft.MachineLearningServices/workspaces${q}`,
    `${ws}/computes${q}`,
    `${ws}/datastores${q}`,
    `${ws}/datastores/workspaceblobstore${q}`,
    `${ws}/jobs${q}`,
    `${ws}/jobs/no-such-job-${Date.now()}${q}`,
    `${ws}/environments${q}`,
    `${ws}/models${q}`,
  ];
  for (const path of gets) await emulatorRequest(emulator, 'GET', path, { bearer: token });
  await emulatorRequest(emulator, 'POST', `${ws}/datastores/workspaceblobstore/listSecrets${q}`, { bearer: token });
}

/**
 * Runs last in the suite (.mocharc lists tests/dist/contract last): every ARM exchange the shared emulator answered
 * for the product's tests and the emulator's own must follow the official specification, requests and responses.
 */
describe('contract: ARM traffic against the Azure ML REST specification 2022-10-01 (oav)', function () {
  this.timeout(120_000);
  let validator: ArmContractValidator;

  before(async function () {
    if (!specificationAvailable()) {
      console.log(`      skipped: the Azure ML REST specification is not at ${SPEC_ROOT} (../shared/azure-ml-rest beside the repository)`);
      this.skip();
    }
    validator = await ArmContractValidator.create();
  });

  it('accepts the official examples and catches a malformed response', async () => {
    const getExample = example('Workspace/get.json');
    const faithful = await validator.check(exchangeFromExample('GET', WORKSPACE, getExample, '200'));
    assert.ok(faithful.validated);
    assert.deepEqual(faithful.violations.map(describeViolation), [], 'the official example is valid');

    const malformed = structuredClone(getExample);
    const properties = malformed.responses['200']!.body!['properties'] as Record<string, unknown>;
    properties['hbiWorkspace'] = 'yes';
    properties['friendlyName'] = 42;
    const verdict = await validator.check(exchangeFromExample('GET', WORKSPACE, malformed, '200'));
    assert.ok(verdict.validated);
    const found = verdict.violations.map((v) => `${v.part} ${v.code} ${v.paths.join(',')}`);
    assert.ok(found.includes('response INVALID_TYPE /properties/hbiWorkspace'), found.join('\n'));
    assert.ok(found.includes('response INVALID_TYPE /properties/friendlyName'), found.join('\n'));
  });

  it('catches a malformed request body and an operation the specification does not have', async () => {
    const jobExample = example('Job/CommandJob/createOrUpdate.json');
    const faithful = await validator.check(exchangeFromExample('PUT', `${WORKSPACE}/jobs/{id}`, jobExample, '201'));
    assert.ok(faithful.validated);
    assert.deepEqual(faithful.violations.filter((v) => v.part === 'request').map(describeViolation), []);

    const malformed = structuredClone(jobExample);
    (malformed.parameters.body!['properties'] as Record<string, unknown>)['command'] = 42;
    const verdict = await validator.check(exchangeFromExample('PUT', `${WORKSPACE}/jobs/{id}`, malformed, '201'));
    assert.ok(verdict.validated);
    assert.ok(
      verdict.violations.some((v) => v.part === 'request' && v.code === 'INVALID_TYPE' && v.paths.includes('/properties/command')),
      verdict.violations.map(describeViolation).join('\n'),
    );

    const unknown = await validator.check(exchangeFromExample('GET', `${WORKSPACE}/gizmos/{id}`, { ...jobExample, responses: {} }, '200'));
    assert.ok(unknown.validated);
    assert.equal(unknown.violations[0]?.part, 'operation');
  });

  it('finds every ARM exchange the shared emulator answered in the specification, with valid requests and responses', async () => {
    const emulator = await sharedEmulator();
    await driveArmRequests(emulator);

    const violations: ContractViolation[] = [];
    const operations = new Set<string>();
    const skipped = new Map<string, number>();
    const exchanges = emulator.traffic.filter((e) => e.kind === 'arm');
    for (const exchange of exchanges) {
      const verdict = await validator.check(exchange);
      if (!verdict.validated) {
        skipped.set(verdict.reason, (skipped.get(verdict.reason) ?? 0) + 1);
        continue;
      }
      operations.add(verdict.operationId);
      violations.push(...verdict.violations);
    }
    const skippedText = [...skipped].map(([reason, count]) => `${count} (${reason})`).join(', ') || 'none';
    const validatedCount = exchanges.length - [...skipped.values()].reduce((a, b) => a + b, 0);
    console.log(`      validated ${validatedCount} ARM exchanges (${operations.size} operations and LRO polls); skipped: ${skippedText}`);
    assert.ok(operations.has('Workspaces_Get'), 'the workspace was read');
    assert.equal(violations.length, 0, `${violations.length} contract violations:\n${violations.map(describeViolation).join('\n')}`);
  });
});
