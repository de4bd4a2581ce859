/**
 * AzureMLDeployProd's task.json against its parameters.ts: for every action, the inputs the task reads are exactly
 * those the classic editor shows for that action. A hidden input is never read (a value left in it cannot fail or
 * change the run), and a shown input is read in some configuration (the editor offers nothing the action ignores).
 * Every visibleRule is one the editor can evaluate: only && or only || in a rule, never both.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';

import type * as ParametersModule from '../../../tasks/AzureMLDeployProd/src/parameters';
import { repositoryPath } from '../../support/repository';
import { captureStdout, fakeAgent } from '../shared/support/fakeAgent';
import { taskModule } from './support';

const parameters = taskModule<typeof ParametersModule>('parameters');

interface TaskInput {
  readonly name: string;
  readonly defaultValue?: string;
  readonly visibleRule?: string;
}

const task = JSON.parse(fs.readFileSync(repositoryPath('tasks/AzureMLDeployProd/task.json'), 'utf8')) as { inputs: TaskInput[] };

/** The editor's evaluation of a visibleRule (`name = value` / `name != value` clauses) on the inputs' values. */
function visible(input: TaskInput, values: Readonly<Record<string, string>>): boolean {
  const rule = input.visibleRule;
  if (!rule) return true;
  const and = rule.includes('&&');
  const clauses = rule.split(and ? '&&' : '||').map((clause) => {
    const match = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*(!=|=)\s*(\S*)\s*$/.exec(clause);
    assert.ok(match, `input '${input.name}': clause '${clause}' of its visibleRule cannot be read`);
    const [, name, operator, value] = match;
    const actual = values[name!] ?? '';
    return operator === '=' ? actual === value : actual !== value;
  });
  return and ? clauses.every(Boolean) : clauses.some(Boolean);
}

/** A complete, valid set of values for every input (those an action does not use are leftovers it must ignore). */
const COMPLETE: Readonly<Record<string, string>> = {
  azureSubscription: 'prod-connection',
  resourceGroup: 'mlops-rg',
  workspace: 'mlops-ws',
  endpointFile: 'samples/diabetes/deploy/endpoint.yml',
  endpointName: 'diabetes-prod',
  kubernetesCompute: '',
  endpointOverrides: 'tags.stage=production',
  deploymentFile: 'samples/diabetes/deploy/deployment.yml',
  model: 'azureml:diabetes-ridge:2',
  environment: 'azureml:diabetes-scoring:1',
  deploymentOverrides: 'request_settings.request_timeout_ms=10000',
  smokeTestRequestFile: 'samples/diabetes/score/sample-request.json',
};

/** The configurations each action is read in: what is shown, or read, depends on them. */
const CONFIGURATIONS: ReadonlyArray<Readonly<Record<string, string>>> = [
  {},
  { mirrorPercentage: '20', computeType: 'Managed' },
  { computeType: 'Kubernetes', kubernetesCompute: 'aks-prod', deploymentOverrides: '' },
  // promote and reject find the endpoint's name in the endpoint YAML (with its overrides), else the deployment YAML.
  { endpointName: '' },
  { endpointName: '', endpointFile: '', endpointOverrides: '' },
];

/** The inputs readParameters reads with these values. */
function inputsRead(values: Readonly<Record<string, string>>): Set<string> {
  const agent = fakeAgent({
    inputs: values,
    variables: { 'System.DefaultWorkingDirectory': repositoryPath('') },
    endpoints: {
      'prod-connection': {
        url: 'https://management.azure.com/',
        scheme: 'ManagedServiceIdentity',
        auth: { tenantid: '66666666-7777-8888-9999-000000000000' },
        data: { subscriptionId: '11111111-2222-3333-4444-555555555555', environment: 'AzureCloud' },
      },
    },
  });
  const read = new Set<string>();
  const recording = { ...agent, getInput: (name: string) => (read.add(name), agent.getInput(name)) };
  parameters.readParameters(recording);
  return read;
}

describe('AzureMLDeployProd task.json: inputs shown = inputs read, per action', function () {
  const names = new Set(task.inputs.map((input) => input.name));
  const defaults = Object.fromEntries(task.inputs.filter((input) => input.defaultValue !== undefined).map((input) => [input.name, input.defaultValue!]));

  it('every visibleRule uses only && or only || (the editor cannot evaluate a mix)', function () {
    for (const input of task.inputs) {
      if (input.visibleRule) assert.ok(!(input.visibleRule.includes('&&') && input.visibleRule.includes('||')), `input '${input.name}': ${input.visibleRule}`);
    }
  });

  for (const action of parameters.ACTIONS) {
    it(`${action}: reads no hidden input, and reads every input it shows`, async function () {
      const readSomewhere = new Set<string>();
      const shownSomewhere = new Set<string>();
      for (const configuration of CONFIGURATIONS) {
        const values = { ...defaults, ...COMPLETE, ...configuration, action, ...(action === 'canary' ? { canaryPercentage: '10' } : {}) };
        const { result: read } = await captureStdout(() => inputsRead(values));
        const where = `action ${action} with ${JSON.stringify(configuration)}`;
        for (const name of read) {
          assert.ok(names.has(name), `${where}: reads '${name}', which task.json does not declare`);
          const input = task.inputs.find((candidate) => candidate.name === name)!;
          assert.ok(visible(input, values), `${where}: reads '${name}', which the editor hides (visibleRule ${input.visibleRule})`);
          readSomewhere.add(name);
        }
        for (const input of task.inputs) if (visible(input, values)) shownSomewhere.add(input.name);
      }
      const shownUnread = [...shownSomewhere].filter((name) => !readSomewhere.has(name));
      assert.deepEqual(shownUnread, [], `action ${action} shows inputs it never reads`);
    });
  }
});
