import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  LINEAGE_TAG_KEYS,
  SummaryBuilder,
  buildResultsUrl,
  escapeMarkdown,
  group,
  lineageTags,
  openGroupDepth,
  outputWriter,
  publishSummary,
  redactSecrets,
  registerSasUrl,
  registerSecret,
  setOutput,
  userAgentPrefix,
} from '@azureml-mlops/shared';

import { captureStdout, fakeAgent } from './support/fakeAgent';

describe('shared/pipeline/lineage', () => {
  const yamlRun = {
    'System.CollectionUri': 'https://dev.azure.com/contoso/',
    'System.TeamProject': 'ML Ops',
    'Build.BuildId': '1234',
    'Build.BuildNumber': '20260101.3',
    'Build.DefinitionName': 'train-diabetes',
    'System.DefinitionId': '42',
    'System.StageName': 'Train',
    'System.JobDisplayName': 'Train model',
    'Build.Repository.Uri': 'https://contoso@dev.azure.com/contoso/ML%20Ops/_git/diabetes',
    'Build.Repository.Name': 'diabetes',
    'Build.SourceVersion': 'abc123',
    'Build.SourceBranch': 'refs/heads/main',
  };

  it('builds the build results URL from the collection, project and build id', () => {
    assert.equal(buildResultsUrl(fakeAgent({ variables: yamlRun })), 'https://dev.azure.com/contoso/ML%20Ops/_build/results?buildId=1234');
    assert.equal(
      buildResultsUrl(fakeAgent({ variables: { ...yamlRun, 'System.CollectionUri': 'https://tfs.contoso.com/DefaultCollection' } })),
      'https://tfs.contoso.com/DefaultCollection/ML%20Ops/_build/results?buildId=1234',
    );
  });

  it('tags a YAML run with the documented keys, without the user name in the repository URL', () => {
    const tags = lineageTags(fakeAgent({ variables: yamlRun }));
    assert.deepEqual(tags, {
      'azure-pipelines.build-id': '1234',
      'azure-pipelines.build-number': '20260101.3',
      'azure-pipelines.build-url': 'https://dev.azure.com/contoso/ML%20Ops/_build/results?buildId=1234',
      'azure-pipelines.pipeline-name': 'train-diabetes',
      'azure-pipelines.pipeline-id': '42',
      'azure-pipelines.project': 'ML Ops',
      'azure-pipelines.stage': 'Train',
      'azure-pipelines.job': 'Train model',
      'azure-pipelines.repository-uri': 'https://dev.azure.com/contoso/ML%20Ops/_git/diabetes',
      'azure-pipelines.repository-name': 'diabetes',
      'azure-pipelines.source-version': 'abc123',
      'azure-pipelines.source-branch': 'refs/heads/main',
    });
  });

  it('adds classic release variables and skips what is not set', () => {
    const tags = lineageTags(
      fakeAgent({ variables: { 'Release.ReleaseId': '7', 'Release.ReleaseWebUrl': 'https://dev.azure.com/contoso/p/_release?releaseId=7', 'Release.EnvironmentName': 'QA' } }),
    );
    assert.deepEqual(tags, {
      [LINEAGE_TAG_KEYS.releaseId]: '7',
      [LINEAGE_TAG_KEYS.releaseUrl]: 'https://dev.azure.com/contoso/p/_release?releaseId=7',
      [LINEAGE_TAG_KEYS.releaseEnvironment]: 'QA',
    });
  });
});

describe('shared/pipeline/summary', () => {
  it('escapes Markdown and HTML in values so they show literally', () => {
    assert.equal(escapeMarkdown('a|b'), 'a\\|b');
    assert.equal(escapeMarkdown('<img src=x onerror=alert(1)>'), '&lt;img src=x onerror=alert(1)&gt;');
    assert.equal(escapeMarkdown('**bold** _x_ [link](y) `code`'), '\\*\\*bold\\*\\* \\_x\\_ \\[link\\](y) \\`code\\`');
    assert.equal(escapeMarkdown('# not a heading'), '\\# not a heading');
    assert.equal(escapeMarkdown('1. not a list'), '1\\. not a list');
    assert.equal(escapeMarkdown('line 1\nline 2'), 'line 1<br>line 2');
    assert.equal(escapeMarkdown('AT&T'), 'AT&amp;T');
  });

  it('builds headings, tables, metrics and links', () => {
    const markdown = new SummaryBuilder()
      .heading('Job sklearn|run')
      .keyValueTable({ Status: 'Completed', Experiment: 'diabetes', Skipped: undefined })
      .metricsTable({ r2: 0.4512345678, rmse: 53 })
      .links([
        ['Azure ML studio', 'https://ml.azure.com/runs/abc?wsid=/subscriptions/x'],
        ['bad', 'javascript:alert(1)'],
      ])
      .toMarkdown();
    assert.equal(
      markdown,
      [
        '### Job sklearn\\|run',
        '',
        '| Property | Value |\n| --- | --- |\n| Status | Completed |\n| Experiment | diabetes |',
        '',
        '| Metric | Value |\n| --- | --- |\n| r2 | 0.451235 |\n| rmse | 53 |',
        '',
        '- [Azure ML studio](https://ml.azure.com/runs/abc?wsid=/subscriptions/x)\n- bad',
        '',
      ].join('\n'),
    );
  });

  it('writes the summary to Agent.TempDirectory and attaches it', async () => {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'summary-test-'));
    try {
      const { result: file, output } = await captureStdout(() =>
        publishSummary('Azure ML training', '### Done\n', fakeAgent({ variables: { 'Agent.TempDirectory': temp } })),
      );
      assert.equal(path.dirname(file), temp);
      assert.equal(fs.readFileSync(file, 'utf8'), '### Done\n');
      assert.ok(output.includes(`##vso[task.addattachment type=Distributedtask.Core.Summary;name=Azure ML training;]${file}`), output);
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  });

  it('refuses to publish a summary containing a secret', async () => {
    await captureStdout(() => registerSecret('summary-secret-value'));
    assert.throws(() => publishSummary('x', 'key: summary-secret-value', fakeAgent()), /contains a secret/);
  });
});

describe('shared/pipeline/outputs', () => {
  it('sets declared output variables as outputs', async () => {
    const set = outputWriter(['jobName', 'jobStatus']);
    const { output } = await captureStdout(() => set('jobName', 'sharp_cat_123'));
    assert.ok(output.includes('##vso[task.setvariable variable=jobName;isOutput=true;issecret=false;]sharp_cat_123'), output);
  });

  it('refuses an undeclared name', () => {
    assert.throws(() => setOutput('jobname', 'x', ['jobName']), /'jobname' is not declared by this task \(declared: jobName\)/);
  });

  it('refuses a value containing a registered secret', async () => {
    await captureStdout(() => registerSecret('output-secret-123'));
    assert.throws(() => setOutput('jobName', 'prefix-output-secret-123', ['jobName']), /contains a secret/);
  });
});

describe('shared/pipeline/secrets', () => {
  it('registers a SAS URL, its query and its signature', async () => {
    const url = 'https://acct.blob.core.windows.net/azureml/logs/std_log.txt?sv=2021-08-06&sr=b&sig=abc%2Bdef%3D&se=2030-01-01';
    const { output } = await captureStdout(() => registerSasUrl(url));
    // The whole URL, its query, the decoded and the encoded signature (task-lib escapes '%' in command data).
    assert.equal(output.match(/##vso\[task\.setsecret\]/g)?.length, 4, output);
    assert.ok(output.includes('##vso[task.setsecret]abc+def=\n'), output);
    assert.ok(output.includes('##vso[task.setsecret]https://acct.blob.core.windows.net/azureml/logs/std_log.txt?sv='), output);
    assert.equal(redactSecrets(`reading ${url} failed`), 'reading *** failed');
    assert.equal(redactSecrets('sig is abc+def= here'), 'sig is *** here');
  });
});

describe('shared/pipeline/logging', () => {
  it('closes the group when the body throws and writes nested groups as sections', async () => {
    const { output } = await captureStdout(async () => {
      await assert.rejects(
        group('Outer', async () => {
          await group('Inner', () => console.log('inside'));
          throw new Error('boom');
        }),
        /boom/,
      );
    });
    assert.equal(output, '##[group]Outer\n##[section]Inner\ninside\n##[endgroup]\n');
    assert.equal(openGroupDepth(), 0);
  });
});

describe('shared/pipeline/taskIdentity', () => {
  it('formats the user agent prefix', () => {
    assert.equal(
      userAgentPrefix({ name: 'AzureMLTrain', version: '1.2.3', extensionVersion: '1.0.7' }),
      'azureml-mlops-tasks/1.0.7 AzureMLTrain/1.2.3',
    );
  });
});

describe('shared/pipeline/describeError', () => {
  it('describes an Azure SDK RestError with method, URL without query, status and code', async () => {
    const { RestError, createPipelineRequest } = await import('@azure/core-rest-pipeline');
    const { describeError } = await import('@azureml-mlops/shared');
    const error = new RestError('The specified blob does not exist. RequestId:1', {
      statusCode: 404,
      code: 'BlobNotFound',
      request: createPipelineRequest({ url: 'https://a.blob.core.windows.net/c/b.txt?sv=1&sig=abc', method: 'GET' }),
    });
    assert.equal(describeError(error), 'GET https://a.blob.core.windows.net/c/b.txt answered 404 BlobNotFound: The specified blob does not exist. RequestId:1');
    assert.equal(describeError(new Error('see https://x.test/a?sig=zzz for details')), 'see https://x.test/a for details');
  });
});
