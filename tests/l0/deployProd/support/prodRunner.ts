/**
 * The mock-runner script of the DeployProd L0 tests (MockTestRunner spawns it): sets up what the agent would (inputs,
 * variables, an AzureRM service connection), replaces the network edge of the task with fakes and runs the task's tsc
 * output (tasks/AzureMLDeployProd/dist/index.js).
 *
 * Faked: shared's openWorkspace/createCredential (the in-memory workspace of fakeWorkspace.ts) and runSmokeTest (the
 * scoring requests: a result per label, from the scenario). Everything else is the real code: inputs, the plan, the
 * rollout state machine, the shared deployment library (create-or-update, traffic, record, logs, tags), the summary.
 */
import * as fs from 'node:fs';

import { createFakeWorkspace } from './fakeWorkspace';
import { CONNECTION_ID, type ProdScenario, SCENARIO_VARIABLE } from './scenario';
import { prepareMockTask, sharedWithFakeWorkspace } from '../../support/taskMockRunner';

const { scenario, runner, shared, azureRequestError } = prepareMockTask<ProdScenario>('AzureMLDeployProd', SCENARIO_VARIABLE, CONNECTION_ID);
let fake: ReturnType<typeof createFakeWorkspace> | undefined;

runner.registerMock(
  '@azureml-mlops/shared',
  sharedWithFakeWorkspace(
    shared,
    (connection) => {
      fake = createFakeWorkspace(scenario, connection, azureRequestError);
      return fake.workspace;
    },
    {
      runSmokeTest: async (target: { deploymentName?: string }, spec: { requestFile: string }, options: { label?: string }) => {
        const label = options.label ?? 'the endpoint';
        fs.readFileSync(spec.requestFile);
        const passed = !(scenario.smokeFailures ?? []).some((pattern) => new RegExp(pattern).test(label));
        fake!.record.smokeTests.push({ label, deployment: target.deploymentName, passed });
        fake!.save();
        return passed
          ? { passed, attempts: 1, status: 200, latencyMs: 5, failures: [], responseExcerpt: '{"predictions": [1, 2, 3]}', servedBy: target.deploymentName, label }
          : { passed, attempts: 1, status: 424, latencyMs: 5, failures: ['HTTP 424, expected 200'], responseExcerpt: '{"message": "An unexpected error occurred in scoring script."}', servedBy: target.deploymentName, label };
      },
    },
  ),
);

runner.run();
