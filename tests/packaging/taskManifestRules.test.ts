import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Problem } from '../../scripts/lib/problems.mjs';
import { buildTasks, extensionManifest, outputScan, repoRoot, taskRules, taskSchema, taskSchemaPath, version } from './scripts';

const FILE = 'tasks/FixtureTask/task.json';

/* eslint-disable @typescript-eslint/no-explicit-any -- fixtures are deliberately broken JSON */
function validTask(): any {
  return {
    id: '6c1f0d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f',
    name: 'FixtureTask',
    friendlyName: 'Fixture task',
    description: 'A task.json that follows every rule',
    helpMarkDown: 'Fixture',
    category: 'Deploy',
    author: 'tests',
    version: { Major: 1, Minor: 0, Patch: 0 },
    minimumAgentVersion: '3.232.1',
    instanceNameFormat: 'Fixture $(target)',
    groups: [{ name: 'advanced', displayName: 'Advanced', isExpanded: false }],
    inputs: [
      { name: 'connection', type: 'connectedService:AzureRM', label: 'Connection', required: true },
      { name: 'target', aliases: ['targetName'], type: 'pickList', label: 'Target', required: false, properties: { EditableOptions: 'True' } },
      { name: 'wait', type: 'boolean', label: 'Wait', defaultValue: 'true', required: false, groupName: 'advanced' },
      { name: 'timeout', type: 'int', label: 'Timeout', defaultValue: '0', required: false, groupName: 'advanced', visibleRule: 'wait = true && target != none' },
      { name: 'notes', type: 'multiLine', label: 'Notes', required: false, properties: { resizable: true, rows: '2' } },
    ],
    dataSourceBindings: [
      { target: 'target', endpointId: '$(connection)', endpointUrl: '{{{endpoint.url}}}items/$(target)?api-version=1', resultSelector: 'jsonpath:$.value[*]' },
    ],
    outputVariables: [{ name: 'Result', description: 'What happened' }],
    execution: {
      Node20_1: { target: 'index.js', argumentFormat: '' },
      Node24: { target: 'index.js', argumentFormat: '' },
    },
  };
}

describe('task.json rules (scripts/lib/task-rules.mjs)', function () {
  let stagedDir: string;

  before(function () {
    stagedDir = fs.mkdtempSync(path.join(os.tmpdir(), 'task-rules-'));
    fs.writeFileSync(path.join(stagedDir, 'index.js'), '');
  });

  after(function () {
    fs.rmSync(stagedDir, { recursive: true, force: true });
  });

  function check(task: any, extra: Partial<Parameters<typeof taskRules.checkTaskManifest>[1]> = {}): Problem[] {
    return taskRules.checkTaskManifest(task, { file: FILE, folderName: 'FixtureTask', stagedDir, outputsSetInCode: [{ name: 'Result', where: 'run.ts:1' }], ...extra });
  }

  function assertRejected(problems: Problem[], rule: string, messagePart: string): void {
    const found = problems.find((p) => p.rule === rule);
    assert.ok(found, `expected a "${rule}" problem, got: ${JSON.stringify(problems)}`);
    assert.equal(found.file, FILE);
    assert.ok(found.message.includes(messagePart), `"${found.message}" should mention "${messagePart}"`);
  }

  it('accepts a task.json that follows every rule', function () {
    assert.deepEqual(check(validTask()), []);
  });

  const cases: Array<{ rule: string; mention: string; title: string; mutate: (t: any) => void; extra?: Partial<Parameters<typeof taskRules.checkTaskManifest>[1]> }> = [
    { rule: 'id-guid', mention: 'GUID', title: 'an id that is not a GUID', mutate: (t) => (t.id = 'task-1') },
    { rule: 'id-unchanged', mention: 'never changes', title: 'an id other than the published one', mutate: () => undefined, extra: { publishedIds: new Map([['FixtureTask', '00000000-1111-4222-8333-444444444444']]) } },
    { rule: 'name-matches-folder', mention: 'folder name', title: 'a name other than the folder name', mutate: (t) => (t.name = 'Fixture') },
    { rule: 'friendly-name', mention: 'limit is 40', title: 'a friendlyName over 40 characters', mutate: (t) => (t.friendlyName = 'A friendly name that is far too long to show') },
    { rule: 'description', mention: 'description', title: 'no description', mutate: (t) => delete t.description },
    { rule: 'version-major', mention: 'integer', title: 'a non-integer Major', mutate: (t) => (t.version.Major = 1.5) },
    { rule: 'handlers', mention: 'Node24', title: 'a missing Node24 handler', mutate: (t) => delete t.execution.Node24 },
    { rule: 'handlers', mention: 'Node16', title: 'a handler other than Node20_1/Node24', mutate: (t) => (t.execution.Node16 = { target: 'index.js' }) },
    { rule: 'handler-target', mention: 'main.js', title: 'a handler target missing from the staged folder', mutate: (t) => (t.execution.Node24.target = 'main.js') },
    { rule: 'minimum-agent-version', mention: '3.232.1', title: 'a minimumAgentVersion older than the Node20_1 handler', mutate: (t) => (t.minimumAgentVersion = '2.144.0') },
    { rule: 'minimum-agent-version', mention: '4.265.1', title: 'a Node24-only task without agent 4.265.1', mutate: (t) => delete t.execution.Node20_1 },
    { rule: 'input-names-unique', mention: '"wait"', title: 'two inputs with one name', mutate: (t) => t.inputs.push({ name: 'wait', type: 'string', label: 'Again' }) },
    { rule: 'input-names-unique', mention: '"targetName"', title: 'an alias equal to another input', mutate: (t) => t.inputs.push({ name: 'targetName', type: 'string', label: 'Clash' }) },
    { rule: 'boolean-default', mention: '"yes"', title: 'a boolean default other than "true"/"false"', mutate: (t) => (t.inputs[2].defaultValue = 'yes') },
    { rule: 'group-exists', mention: '"missing"', title: 'an input in an undefined group', mutate: (t) => (t.inputs[3].groupName = 'missing') },
    { rule: 'visible-rule', mention: '"wiat"', title: 'a visibleRule on an unknown input', mutate: (t) => (t.inputs[3].visibleRule = 'wiat = true') },
    { rule: 'data-source-binding', mention: '"nope"', title: 'a dataSourceBinding target that is not an input', mutate: (t) => (t.dataSourceBindings[0].target = 'nope') },
    { rule: 'data-source-binding', mention: '$(account)', title: 'a dataSourceBinding URL macro that is not an input', mutate: (t) => (t.dataSourceBindings[0].endpointUrl = '{{{endpoint.url}}}$(account)') },
    { rule: 'instance-name-format', mention: '$(job)', title: 'an instanceNameFormat macro that is not an input', mutate: (t) => (t.instanceNameFormat = 'Run $(job)') },
    { rule: 'output-variables', mention: '"JobName"', title: 'an output the code sets without declaring it', mutate: () => undefined, extra: { outputsSetInCode: [{ name: 'JobName', where: 'tasks/FixtureTask/src/run.ts:12' }] } },
  ];

  for (const c of cases) {
    it(`rejects ${c.title} [${c.rule}]`, function () {
      const task = validTask();
      c.mutate(task);
      assertRejected(check(task, c.extra), c.rule, c.mention);
    });
  }

  it('rejects two tasks with one id [id-unique]', function () {
    const problems = taskRules.checkTaskIdsUnique([
      { task: validTask(), file: 'tasks/A/task.json' },
      { task: validTask(), file: 'tasks/B/task.json' },
    ]);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.rule, 'id-unique');
    assert.equal(problems[0]?.file, 'tasks/B/task.json');
    assert.ok(problems[0]?.message.includes('tasks/A/task.json'));
  });

  it('reads the published ids from docs/architecture.md', function () {
    const ids = taskRules.readPublishedIds(path.join(repoRoot, 'docs', 'architecture.md'));
    assert.equal(ids.get('AzureMLTrain'), 'bd35bb99-112f-4180-b58f-2ddec35b9c81');
    assert.equal(ids.size, 6);
  });

  it('finds the outputs a task sets with a literal name or declares for outputWriter, not the computed ones', function () {
    const src = fs.mkdtempSync(path.join(os.tmpdir(), 'outputs-'));
    try {
      fs.mkdirSync(path.join(src, 'nested'));
      fs.writeFileSync(path.join(src, 'run.ts'), "setOutput('JobName', job.name, DECLARED);\nsetOutput(\"StudioUrl\", url, DECLARED);\n");
      fs.writeFileSync(path.join(src, 'nested', 'metrics.ts'), 'for (const [k, v] of metrics) setOutput(`Metric_${k}`, v, DECLARED);\n');
      fs.writeFileSync(path.join(src, 'outputs.ts'), "export const OUTPUT_NAMES = ['JobStatus', 'Metrics'] as const;\nconst write = outputWriter(OUTPUT_NAMES);\n");
      fs.writeFileSync(path.join(src, 'inline.ts'), "const set = outputWriter<'Outputs'>(['Outputs']);\n");
      const found = outputScan.findOutputsSetInCode(src).map((o) => o.name).sort();
      assert.deepEqual(found, ['JobName', 'JobStatus', 'Metrics', 'Outputs', 'StudioUrl']);
      const where = outputScan.findOutputsSetInCode(src).find((o) => o.name === 'Outputs')?.where ?? '';
      assert.match(where, /inline\.ts:1$/);
    } finally {
      fs.rmSync(src, { recursive: true, force: true });
    }
  });

  describe('the published schema (../shared/schemas/tasks.schema.json)', function () {
    before(function () {
      if (!fs.existsSync(taskSchemaPath)) {
        console.log(`    (skipped: ${taskSchemaPath} is absent)`);
        this.skip();
      }
    });

    function validate(task: unknown): Problem[] {
      const schema = taskSchema.loadTaskSchema(taskSchemaPath);
      assert.ok('validate' in schema);
      return schema.validate(task, FILE);
    }

    it('accepts the valid fixture', function () {
      assert.deepEqual(validate(validTask()), []);
    });

    it('rejects an unknown top-level property, naming it', function () {
      const task = validTask();
      task.outputs = [];
      const problems = validate(task);
      assert.ok(problems.some((p) => p.rule === 'schema' && p.file === FILE && p.message.includes('"outputs"')), JSON.stringify(problems));
    });

    it('rejects resizable given as a string', function () {
      const task = validTask();
      task.inputs[4].properties.resizable = 'true';
      const problems = validate(task);
      assert.ok(problems.some((p) => p.rule === 'schema' && p.message.includes('/inputs/4/properties/resizable')), JSON.stringify(problems));
    });

    it('rejects an unknown input type once, not once per schema branch', function () {
      const task = validTask();
      task.inputs[0].type = 'connection';
      const problems = validate(task).filter((p) => p.message.startsWith('/inputs/0/type'));
      assert.equal(problems.length, 1, JSON.stringify(problems));
    });
  });

  it('says why schema validation is skipped when the schema is absent', function () {
    const result = taskSchema.loadTaskSchema(path.join(os.tmpdir(), 'no-such-dir', 'tasks.schema.json'));
    assert.ok('skipped' in result);
    assert.match(result.skipped, /is absent/);
  });
});

describe('vss-extension.json contributions (scripts/lib/extension-manifest.mjs)', function () {
  const file = 'vss-extension.json';
  const contribution = (name: string) => ({
    id: extensionManifest.contributionIdFor(name),
    type: 'ms.vss-distributed-task.task',
    targets: ['ms.vss-distributed-task.tasks'],
    properties: { name: `tasks/${name}` },
  });
  const manifest = (...names: string[]): any => ({ files: [{ path: 'tasks' }], contributions: names.map(contribution) });

  it('accepts one contribution per task folder', function () {
    assert.deepEqual(extensionManifest.checkExtensionManifest(manifest('AzureMLTrain', 'AzureMLEvaluate'), ['AzureMLEvaluate', 'AzureMLTrain'], file), []);
  });

  it('rejects a task folder without a contribution, saying what to add', function () {
    const problems = extensionManifest.checkExtensionManifest(manifest('AzureMLTrain'), ['AzureMLTrain', 'AzureMLDeployQA'], file);
    assert.equal(problems.length, 1);
    assert.equal(problems[0]?.rule, 'contributions');
    assert.match(problems[0]?.message ?? '', /tasks\/AzureMLDeployQA has no contribution.*azureml-deploy-qa-task/);
  });

  it('rejects a contribution without a task folder', function () {
    const problems = extensionManifest.checkExtensionManifest(manifest('AzureMLTrain', 'AzureMLGhost'), ['AzureMLTrain'], file);
    assert.ok(problems.some((p) => p.message.includes('tasks/AzureMLGhost, which is not a task folder')));
  });

  it('rejects a task contribution with the wrong target, and a version in the source manifest', function () {
    const m = manifest('AzureMLTrain');
    m.contributions[0].targets = ['ms.vss-build-web.build-release-hub-group'];
    m.version = '1.0.0';
    const rules = extensionManifest.checkExtensionManifest(m, ['AzureMLTrain'], file).map((p) => p.message);
    assert.ok(rules.some((r) => r.includes('must target ms.vss-distributed-task.tasks')));
    assert.ok(rules.some((r) => r.includes('version must not be set here')));
  });
});

describe('every task is type-checked (scripts/lib/build-tasks.mjs)', function () {
  let dir: string;

  before(function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'type-checked-'));
    for (const task of ['Listed', 'Unlisted']) {
      fs.mkdirSync(path.join(dir, 'tasks', task), { recursive: true });
      fs.writeFileSync(path.join(dir, 'tasks', task, 'tsconfig.json'), '{}');
    }
    fs.mkdirSync(path.join(dir, 'tasks', 'NoConfig'));
    fs.writeFileSync(
      path.join(dir, 'tsconfig.json'),
      '{\n  // comments are allowed in tsconfig files\n  "files": [],\n  "references": [{ "path": "shared" }, { "path": "tasks/Listed" }]\n}\n',
    );
  });

  after(function () {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a task in the root references', function () {
    assert.deepEqual(buildTasks.checkTasksTypeChecked(['Listed'], path.join(dir, 'tsconfig.json'), path.join(dir, 'tasks')), []);
  });

  it('rejects a task missing from the root references, or without a tsconfig.json [type-checked]', function () {
    const problems = buildTasks.checkTasksTypeChecked(['Listed', 'Unlisted', 'NoConfig'], path.join(dir, 'tsconfig.json'), path.join(dir, 'tasks'));
    assert.deepEqual(problems.map((p) => [p.rule, p.file]), [
      ['type-checked', 'tsconfig.json'],
      ['type-checked', 'tasks/NoConfig/tsconfig.json'],
    ]);
    assert.match(problems[0]?.message ?? '', /"tasks\/Unlisted"/);
  });
});

describe('task versions (scripts/lib/version.mjs)', function () {
  it('keeps Major from task.json and takes Minor.Patch from the extension version', function () {
    const staged = version.stampTaskVersion({ name: 'T', version: { Major: 2, Minor: 9, Patch: 9 } }, '1.4.2');
    assert.deepEqual(staged.version, { Major: 2, Minor: 4, Patch: 2 });
  });

  it('gives 1.0.0 tasks Minor 0, Patch 0 for extension 1.0.0', function () {
    assert.deepEqual(version.stampTaskVersion({ version: { Major: 1, Minor: 3, Patch: 1 } }, '1.0.0').version, { Major: 1, Minor: 0, Patch: 0 });
  });

  it('refuses an extension version that is not x.y.z', function () {
    assert.throws(() => version.stampTaskVersion({ version: { Major: 1 } }, 'one'), /not a version/);
  });
});
