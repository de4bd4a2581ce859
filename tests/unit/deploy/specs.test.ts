/**
 * az ml online endpoint / deployment YAML -> REST (shared/src/deploy: loadEndpointSpec, loadDeploymentSpec): every
 * field of the managed and Kubernetes schemas, units, inputs winning over the file, overrides, and errors that name
 * the input, or the file, field and line.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { InputError, loadDeploymentSpec, loadEndpointSpec, YamlSpecError } from '@azureml-mlops/shared';

import { REPOSITORY_ROOT } from '../../support/repository';

let folder: string;

function write(name: string, text: string): string {
  const file = path.join(folder, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
    return error;
  }
  return assert.fail('expected an error');
}

describe('online endpoint and deployment specs from az ml YAML (shared/src/deploy)', () => {
  beforeEach(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'deploy-specs-'));
    fs.mkdirSync(path.join(folder, 'score'));
    fs.writeFileSync(path.join(folder, 'score', 'score.py'), 'def init(): pass\ndef run(data): return data\n');
  });
  afterEach(() => fs.rmSync(folder, { recursive: true, force: true }));

  describe('endpoints', () => {
    it('reads the sample endpoint YAML as it is', () => {
      const spec = loadEndpointSpec(path.join(REPOSITORY_ROOT, 'samples/diabetes/deploy/endpoint.yml'), { displayName: 'endpoint.yml' });
      assert.equal(spec.name, 'diabetes-qa');
      assert.equal(spec.computeType, 'Managed');
      assert.equal(spec.authMode, 'Key');
      assert.deepEqual(spec.body, { properties: { description: 'Scores the diabetes progression model.', authMode: 'Key' }, tags: { model: 'diabetes-ridge' } });
    });

    it('maps every field: auth mode, identity, public network access, properties, traffic and mirror traffic', () => {
      const file = write(
        'endpoint.yml',
        [
          '$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineEndpoint.schema.json',
          'name: fraud-qa',
          'auth_mode: aml_token',
          'public_network_access: disabled',
          'properties:',
          '  team: risk',
          'identity:',
          '  type: user_assigned',
          '  user_assigned_identities:',
          '    - resource_id: /subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1',
          'traffic:',
          '  blue: 90',
          '  green: 10',
          'mirror_traffic:',
          '  green: 20',
          'scoring_uri: https://ignored.example/score',
        ].join('\n'),
      );
      const spec = loadEndpointSpec(file);
      assert.equal(spec.authMode, 'AMLToken');
      assert.deepEqual(spec.body, {
        properties: { publicNetworkAccess: 'Disabled', properties: { team: 'risk' }, authMode: 'AMLToken' },
        identity: { type: 'UserAssigned', userAssignedIdentities: { '/subscriptions/s/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id1': {} } },
      });
      assert.deepEqual(spec.traffic, { blue: 90, green: 10 });
      assert.deepEqual(spec.mirrorTraffic, { green: 20 });
    });

    it('a Kubernetes endpoint from its compute; inputs win over the file', () => {
      const file = write('k8s.yml', 'name: k8s-qa\ncompute: azureml:k8s-compute\nauth_mode: key\n');
      const spec = loadEndpointSpec(file, { name: 'k8s-qa-2', authMode: 'aad_token' });
      assert.equal(spec.name, 'k8s-qa-2');
      assert.equal(spec.computeType, 'Kubernetes');
      assert.equal(spec.kubernetesCompute?.value, 'azureml:k8s-compute');
      assert.equal(spec.authMode, 'AADToken');
    });

    it('overrides apply as az ml --set does, and their errors name the overrides input and line', () => {
      const file = write('endpoint.yml', 'name: qa-endpoint\n');
      const spec = loadEndpointSpec(file, { overrides: 'tags.stage=qa\ndescription=QA' });
      assert.deepEqual(spec.body, { properties: { description: 'QA' }, tags: { stage: 'qa' } });
      assert.deepEqual(spec.appliedOverrides.map((o) => o.path), ['tags.stage', 'description']);
      const error = errorOf(() => loadEndpointSpec(file, { overrides: '\nauth_mode=certificate' }));
      assert.equal(error.inputName, 'endpointOverrides');
      assert.match(error.message, /^Input 'endpointOverrides': line 2: auth_mode is 'certificate'\. Use key, aml_token or aad_token\.$/);
    });

    it('errors name the file, the field and its line', () => {
      const file = write('endpoint.yml', 'name: qa-endpoint\nauth: key\n');
      const error = errorOf(() => loadEndpointSpec(file, { displayName: 'deploy/endpoint.yml' }));
      assert.ok(error instanceof YamlSpecError);
      assert.equal(error.message, "Input 'endpointFile': deploy/endpoint.yml: auth (line 2) is not a field of an online endpoint. Did you mean 'auth_mode'?");
      const name = errorOf(() => loadEndpointSpec(write('bad-name.yml', 'name: 9lives\n'), { displayName: 'bad-name.yml' }));
      assert.match(name.message, /^Input 'endpointFile': bad-name\.yml: name \(line 1\) '9lives' is not a valid online endpoint name\./);
    });

    it('without a file: the name input is required, a Kubernetes endpoint needs its compute, overrides need a file', () => {
      assert.match(errorOf(() => loadEndpointSpec(undefined, {})).message, /^Input 'endpointName': a value is required\./);
      assert.match(errorOf(() => loadEndpointSpec(undefined, { name: 'qa-k8s', computeType: 'Kubernetes' })).message, /^Input 'kubernetesCompute': a value is required for a Kubernetes online endpoint\./);
      assert.match(errorOf(() => loadEndpointSpec(undefined, { name: 'qa-x', overrides: 'tags.a=b' })).message, /^Input 'endpointOverrides': is set, but there is no 'endpointFile' to apply it to\./);
      const spec = loadEndpointSpec(undefined, { name: 'qa-inputs' });
      assert.deepEqual(spec.body, {}, 'nothing stated: an existing endpoint keeps its settings');
    });
  });

  describe('deployments', () => {
    it('reads the sample deployment YAML: units become ISO durations, the code folder is checked, references kept for resolution', () => {
      const spec = loadDeploymentSpec(path.join(REPOSITORY_ROOT, 'samples/diabetes/deploy/deployment.yml'), { defaultName: 'green' });
      assert.equal(spec.name, 'blue');
      assert.equal(spec.nameFrom, 'file', 'the YAML names it: the default does not apply');
      assert.equal(spec.endpointName, 'diabetes-qa');
      assert.equal(spec.computeType, 'Managed');
      assert.deepEqual(spec.model && { kind: spec.model.kind, ...('name' in spec.model ? { name: spec.model.name, version: spec.model.version } : {}) }, { kind: 'workspace', name: 'diabetes-ridge', version: 'latest' });
      assert.equal(spec.environment?.kind, 'workspace');
      assert.equal(spec.code?.kind, 'local');
      assert.equal(spec.code && 'path' in spec.code ? spec.code.path : '', path.join(REPOSITORY_ROOT, 'samples/diabetes/score'));
      assert.equal(spec.scoringScript?.value, 'score.py');
      assert.deepEqual(spec.body, {
        properties: {
          description: 'The diabetes ridge regression model behind the scoring script.',
          requestSettings: { requestTimeout: 'PT5S', maxConcurrentRequestsPerInstance: 2 },
          livenessProbe: { initialDelay: 'PT10S', period: 'PT10S' },
          readinessProbe: { initialDelay: 'PT10S', period: 'PT10S' },
          instanceType: 'Standard_DS3_v2',
          endpointComputeType: 'Managed',
        },
        sku: { name: 'Default', capacity: 1 },
      });
    });

    it('maps the other fields of the schemas: variables, probes, scale settings, egress, resources, inline environment', () => {
      write('conda.yml', 'name: score\ndependencies:\n  - python=3.11\n');
      const file = write(
        'deployment.yml',
        [
          '$schema: https://azuremlschemas.azureedge.net/latest/kubernetesOnlineDeployment.schema.json',
          'name: green',
          'endpoint_name: k8s-qa',
          'model: azureml:/subscriptions/s/resourceGroups/rg/providers/Microsoft.MachineLearningServices/workspaces/ws/models/m/versions/4',
          'environment:',
          '  image: mcr.microsoft.com/azureml/minimal-ubuntu22.04-py311-cpu-inference:latest',
          '  conda_file: conda.yml',
          'code_configuration:',
          '  code: ./score',
          '  scoring_script: score.py',
          'environment_variables:',
          '  WORKERS: 2',
          'app_insights_enabled: true',
          'egress_public_network_access: disabled',
          'model_mount_path: /var/model',
          'request_settings:',
          '  request_timeout_ms: 500',
          '  max_queue_wait_ms: 1500',
          'liveness_probe:',
          '  timeout: 3',
          '  failure_threshold: 5',
          'scale_settings:',
          '  type: target_utilization',
          '  min_instances: 1',
          '  max_instances: 4',
          '  polling_interval: 5',
          '  target_utilization_percentage: 60',
          'resources:',
          '  requests:',
          '    cpu: "0.5"',
          '    memory: 1Gi',
          '  limits:',
          '    nvidia.com/gpu: 1',
          'instance_count: 3',
          'tags:',
          '  stage: qa',
        ].join('\n'),
      );
      const spec = loadDeploymentSpec(file);
      assert.equal(spec.computeType, 'Kubernetes');
      assert.deepEqual(spec.body, {
        properties: {
          environmentVariables: { WORKERS: '2' },
          modelMountPath: '/var/model',
          appInsightsEnabled: true,
          egressPublicNetworkAccess: 'Disabled',
          requestSettings: { requestTimeout: 'PT0.5S', maxQueueWait: 'PT1.5S' },
          livenessProbe: { timeout: 'PT3S', failureThreshold: 5 },
          scaleSettings: { scaleType: 'TargetUtilization', minInstances: 1, maxInstances: 4, pollingInterval: 'PT5S', targetUtilizationPercentage: 60 },
          containerResourceRequirements: { containerResourceRequests: { cpu: '0.5', memory: '1Gi' }, containerResourceLimits: { gpu: '1' } },
          endpointComputeType: 'Kubernetes',
        },
        tags: { stage: 'qa' },
        sku: { name: 'Default', capacity: 3 },
      });
      assert.equal(spec.model?.kind, 'armId');
      assert.equal(spec.environment?.kind, 'inline');
      assert.equal(spec.environment?.kind === 'inline' ? spec.environment.condaFile : '', "dependencies:\n- python=3.11\nname: score\n");
    });

    it('private_network_connection (the older name of egress_public_network_access) is kept when it is the only property', () => {
      const file = write('private.yml', ['name: blue', 'endpoint_name: qa', 'instance_type: Standard_DS3_v2', 'private_network_connection: true'].join('\n'));
      assert.deepEqual(loadDeploymentSpec(file).body['properties'], { egressPublicNetworkAccess: 'Disabled', instanceType: 'Standard_DS3_v2', endpointComputeType: 'Managed' });
      const both = write('both.yml', ['name: blue', 'endpoint_name: qa', 'instance_type: Standard_DS3_v2', 'egress_public_network_access: enabled', 'private_network_connection: true'].join('\n'));
      assert.equal((loadDeploymentSpec(both).body['properties'] as Record<string, unknown>)['egressPublicNetworkAccess'], 'Enabled', 'the newer name wins');
    });

    it('inputs win over the file; a bare name:version model is accepted from an input', () => {
      const spec = loadDeploymentSpec(path.join(REPOSITORY_ROOT, 'samples/diabetes/deploy/deployment.yml'), {
        name: 'qa-1',
        endpointName: 'other-qa',
        model: 'diabetes-ridge:7',
        environment: 'azureml:scoring@latest',
        instanceType: 'Standard_F4s_v2',
        instanceCount: 2,
      });
      assert.equal(spec.name, 'qa-1');
      assert.equal(spec.nameFrom, 'input');
      assert.equal(spec.endpointName, 'other-qa');
      assert.deepEqual(spec.model?.kind === 'workspace' ? [spec.model.name, spec.model.version, spec.model.source.origin] : [], ['diabetes-ridge', '7', "input 'model'"]);
      assert.deepEqual(spec.environment?.kind === 'workspace' ? [spec.environment.name, spec.environment.version] : [], ['scoring', 'latest']);
      assert.equal((spec.body['properties'] as Record<string, unknown>)['instanceType'], 'Standard_F4s_v2');
      assert.deepEqual(spec.body['sku'], { name: 'Default', capacity: 2 });
    });

    it('without a file, inputs describe the whole deployment; defaults name it', () => {
      const spec = loadDeploymentSpec(undefined, {
        defaultName: 'blue',
        defaultEndpointName: 'qa-endpoint',
        model: 'azureml:m:1',
        environment: 'e:2',
        codePath: path.join(folder, 'score'),
        scoringScript: 'score.py',
        instanceType: 'Standard_DS3_v2',
      });
      assert.equal(spec.name, 'blue');
      assert.equal(spec.nameFrom, 'default');
      assert.equal(spec.endpointName, 'qa-endpoint');
      assert.deepEqual(spec.body, { properties: { instanceType: 'Standard_DS3_v2', endpointComputeType: 'Managed' } });
    });

    it('errors name the source of the value: the YAML field and line, or the input', () => {
      const file = write('deployment.yml', 'name: blue\nendpoint_name: qa-endpoint\nmodel: ./model\ninstance_type: Standard_DS3_v2\n');
      assert.equal(
        errorOf(() => loadDeploymentSpec(file, { displayName: 'deployment.yml' })).message,
        "Input 'deploymentFile': deployment.yml: model (line 3) is './model', a local path or a name without a version: this task deploys registered models only. " +
          'Register the model first (AzureMLRegisterModel@1) and give azureml:<name>:<version> (e.g. azureml:diabetes-ridge:3), azureml:<name>@latest, or the version\'s ARM id.',
      );
      assert.match(errorOf(() => loadDeploymentSpec(file, { model: 'diabetes' })).message, /^Input 'model': is 'diabetes', a local path or a name without a version/);
      assert.equal(loadDeploymentSpec(file, { model: 'diabetes:1' }).model?.source.origin, "input 'model'", 'a YAML value the input replaces is not checked');
      const timeout = write('timeout.yml', 'name: blue\nendpoint_name: e-1\ninstance_type: Standard_DS3_v2\nrequest_settings:\n  request_timeout_ms: 5s\n');
      assert.match(errorOf(() => loadDeploymentSpec(timeout, { displayName: 'timeout.yml' })).message, /^Input 'deploymentFile': timeout\.yml: request_settings\.request_timeout_ms \(line 5\) must be a whole number, not the text '5s'\./);
      const script = write('script.yml', 'name: blue\nendpoint_name: e-1\ninstance_type: Standard_DS3_v2\ncode_configuration:\n  code: ./score\n  scoring_script: main.py\n');
      assert.match(errorOf(() => loadDeploymentSpec(script, { displayName: 'script.yml' })).message, /^Input 'deploymentFile': script\.yml: code_configuration\.scoring_script \(line 6\) is 'main\.py', which is not a file in the code folder .*\. Python files there: score\.py\.$/);
    });

    it('refuses what the API version cannot carry, and batch deployments', () => {
      const collector = write('collector.yml', 'name: blue\nendpoint_name: e-1\ninstance_type: Standard_DS3_v2\ndata_collector:\n  collections: {}\n');
      assert.match(errorOf(() => loadDeploymentSpec(collector, { displayName: 'c.yml' })).message, /data_collector \(line 4\) is not supported: data collection needs an Azure ML API version newer than 2022-10-01/);
      const batch = write('batch.yml', '$schema: https://azuremlschemas.azureedge.net/latest/batchDeployment.schema.json\nname: blue\n');
      assert.match(errorOf(() => loadDeploymentSpec(batch, { displayName: 'b.yml' })).message, /\$schema \(line 1\) is the schema of a batch deployment/);
      const resources = write('resources.yml', 'name: blue\nendpoint_name: e-1\ninstance_type: Standard_DS3_v2\nresources:\n  requests:\n    cpu: "1"\n');
      assert.match(errorOf(() => loadDeploymentSpec(resources)).message, /^Input 'deploymentFile': resources \(CPU, memory and GPU requests and limits\) is set, but they apply to Kubernetes deployments only/);
      const autoscale = write('autoscale.yml', 'name: blue\nendpoint_name: e-1\ninstance_type: Standard_DS3_v2\nscale_settings:\n  type: target_utilization\n  min_instances: 1\n  max_instances: 3\n');
      assert.match(errorOf(() => loadDeploymentSpec(autoscale)).message, /^Input 'deploymentFile': scale_settings type target_utilization is set, but it applies to Kubernetes deployments only\./);
    });

    it('a managed deployment needs a VM size; names follow the service rules', () => {
      assert.match(errorOf(() => loadDeploymentSpec(undefined, { name: 'blue', endpointName: 'e-1' })).message, /^Input 'instanceType': a value is required for a managed online deployment\./);
      assert.match(errorOf(() => loadDeploymentSpec(undefined, { name: 'b', endpointName: 'e-1', instanceType: 'Standard_DS3_v2' })).message, /^Input 'deploymentName': 'b' is not a valid online deployment name\./);
      assert.match(errorOf(() => loadDeploymentSpec(undefined, { name: 'blue', endpointName: 'e-1', instanceType: 'Standard_DS3_v2', scoringScript: 'score.py' })).message, /^Input 'scoringScript': is set, but there is no code folder to find it in\./);
      const kubernetes = loadDeploymentSpec(undefined, { name: 'blue', endpointName: 'e-1', defaultComputeType: 'Kubernetes' });
      assert.equal(kubernetes.computeType, 'Kubernetes', 'a Kubernetes deployment may leave the instance type to the compute');
    });
  });
});
