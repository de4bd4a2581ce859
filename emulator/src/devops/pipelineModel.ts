/**
 * Compiles an Azure Pipelines YAML file into the plan the local pipeline runner executes, the way the service
 * compiles a run before any agent starts: parameters typed and checked, template expressions `${{ }}` expanded,
 * stages/jobs/steps validated, tasks resolved (with their major version), inputs checked against task.json, service
 * connections resolved by name, runtime expressions `$[ ]` and conditions parsed with the named values their place
 * allows. Anything outside the supported set is refused by name with its line (see docs/pipeline-runner.md); nothing
 * that would change what runs is ignored.
 */
import {
  ExpressionError, ExpressionObject, expandTemplate, expandMacros, hasTemplateExpression, parseExpression, runtimeExpressionOf,
  toExpressionString, type ExpressionNode, type ExpressionValue,
} from './pipelineExpressions';
import { TaskCatalog, TaskResolutionError, type ResolvedTask } from './pipelineTasks';
import { describeKind, entryOf, parsePipelineYaml, PipelineErrors, type YamlEntry, type YamlMapNode, type YamlNode } from './pipelineYaml';
import { instanceName, lookupVariable } from './agentEnvironment';

export type ParameterValue = string | number | boolean;

export interface ParameterDefinition {
  readonly name: string;
  readonly type: 'string' | 'number' | 'boolean';
  readonly displayName?: string;
  readonly default?: ParameterValue;
  readonly values?: readonly ParameterValue[];
  readonly line: number;
}

export interface VariableDefinition {
  readonly name: string;
  /** The value after template expansion; for a runtime expression, its text `$[ ... ]`. */
  readonly value: string;
  /** Parsed `$[ ... ]`, evaluated when the pipeline/stage/job starts. */
  readonly runtime?: ExpressionNode;
  readonly readonly: boolean;
  readonly line: number;
}

export interface ConditionPlan {
  readonly text: string;
  readonly node: ExpressionNode;
  readonly line: number;
}

export interface ServiceConnection {
  /** The id the task receives as the input's value (ENDPOINT_*_<id>). */
  readonly id: string;
  /** The agent's environment for this connection (e.g. the emulator's `connectionEnv(id, scheme)`). */
  readonly env: Readonly<Record<string, string>>;
}

interface StepCommon {
  /** The step's `name` (reference name of its output variables), when given. */
  readonly refName?: string;
  /** Display name; may hold macros, expanded when the step runs. */
  readonly displayName: string;
  readonly condition?: ConditionPlan;
  readonly continueOnError: boolean;
  readonly enabled: boolean;
  readonly env: Readonly<Record<string, string>>;
  /** 0 = no step timeout. */
  readonly timeoutInMinutes: number;
  readonly line: number;
}

export interface TaskStepPlan extends StepCommon {
  readonly kind: 'task';
  /** How the YAML wrote it: `task: X@1`, `bash:` or `script:`. */
  readonly syntax: 'task' | 'bash' | 'script';
  readonly task: ResolvedTask;
  /** Inputs by the task's input names (connection inputs hold the connection id). */
  readonly inputs: Readonly<Record<string, string>>;
  /**
   * The service connections the inputs name. Their environment (with secrets) is not part of the plan: the runner
   * asks the resolver for it when the step runs.
   */
  readonly connections: readonly { readonly input: string; readonly name: string; readonly id: string }[];
}

export interface CheckoutStepPlan extends StepCommon {
  readonly kind: 'checkout';
  readonly repository: 'self' | 'none';
}

export type StepPlan = TaskStepPlan | CheckoutStepPlan;

export interface EnvironmentPlan {
  readonly name: string;
  readonly resourceName?: string;
  readonly line: number;
}

export interface JobPlan {
  readonly kind: 'job' | 'deployment';
  readonly name: string;
  readonly displayName: string;
  /** Jobs of the same stage this one waits for (none by default: jobs of a stage are independent). */
  readonly dependsOn: readonly string[];
  readonly condition?: ConditionPlan;
  readonly continueOnError: boolean;
  /** 0 = no timeout. */
  readonly timeoutInMinutes: number;
  readonly cancelTimeoutInMinutes: number;
  readonly variables: readonly VariableDefinition[];
  /** Recorded, not used: every job runs on this machine. */
  readonly pool?: unknown;
  readonly environment?: EnvironmentPlan;
  readonly steps: readonly StepPlan[];
  readonly line: number;
}

export interface StagePlan {
  readonly name: string;
  readonly displayName: string;
  readonly dependsOn: readonly string[];
  readonly condition?: ConditionPlan;
  readonly variables: readonly VariableDefinition[];
  readonly pool?: unknown;
  readonly jobs: readonly JobPlan[];
  readonly line: number;
}

export interface PipelinePlan {
  /** How messages name the file. */
  readonly file: string;
  /** `name:` (the run number format), if given. */
  readonly runNameFormat?: string;
  /** Recorded, no effect: the caller starts the run. */
  readonly trigger?: unknown;
  readonly pr?: unknown;
  readonly pool?: unknown;
  readonly parameterDefinitions: readonly ParameterDefinition[];
  /** Parameter values of this run (defaults overridden by the caller). */
  readonly parameters: Readonly<Record<string, ParameterValue>>;
  readonly variables: readonly VariableDefinition[];
  readonly stages: readonly StagePlan[];
}

export interface CompileOptions {
  /** How messages name the file. */
  readonly file: string;
  readonly text: string;
  readonly parameters?: Readonly<Record<string, ParameterValue>>;
  /** Predefined and caller variables visible to `${{ variables.x }}` and to macros in service connection names. */
  readonly predefinedVariables: Readonly<Record<string, string>>;
  readonly catalog: TaskCatalog;
  readonly resolveConnection?: (name: string) => ServiceConnection | undefined;
}

/** The kinds of step Azure Pipelines knows (the first key of a step). */
const STEP_KINDS = ['task', 'script', 'bash', 'pwsh', 'powershell', 'checkout', 'download', 'downloadBuild', 'getPackage', 'publish', 'template', 'restoreCache', 'saveCache', 'reviewApp'];

// What Azure Pipelines accepts at each level, to tell "not supported here" from "not valid at all".
const AZURE_KEYS = {
  pipeline: ['name', 'appendCommitMessageToRunName', 'trigger', 'pr', 'schedules', 'resources', 'parameters', 'variables', 'pool', 'stages', 'jobs', 'steps', 'extends', 'lockBehavior', 'template', 'container', 'services', 'workspace', 'strategy', 'continueOnError', 'timeoutInMinutes', 'cancelTimeoutInMinutes'],
  stage: ['stage', 'displayName', 'pool', 'dependsOn', 'condition', 'variables', 'jobs', 'lockBehavior', 'trigger', 'isSkippable', 'templateContext', 'template', 'parameters'],
  job: ['job', 'displayName', 'dependsOn', 'condition', 'continueOnError', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'variables', 'strategy', 'pool', 'container', 'services', 'workspace', 'uses', 'steps', 'templateContext'],
  deployment: ['deployment', 'displayName', 'dependsOn', 'condition', 'continueOnError', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'variables', 'pool', 'environment', 'strategy', 'workspace', 'uses', 'container', 'services', 'templateContext'],
  step: [...STEP_KINDS, 'inputs', 'name', 'displayName', 'condition', 'continueOnError', 'enabled', 'env', 'timeoutInMinutes', 'retryCountOnTaskFailure', 'target', 'workingDirectory', 'failOnStderr', 'errorActionPreference', 'ignoreLASTEXITCODE', 'clean', 'fetchDepth', 'fetchFilter', 'fetchTags', 'lfs', 'persistCredentials', 'submodules', 'path', 'sparseCheckoutDirectories', 'sparseCheckoutPatterns', 'workspaceRepo', 'settableVariables'],
} as const;

const NAME_PATTERN = /^[A-Za-z0-9_]+$/;
const STEP_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface Scope {
  readonly parameters: ExpressionObject;
  readonly variables: ExpressionObject;
  /** Literal variable values in scope (for macros in service connection names). */
  readonly literalVariables: Readonly<Record<string, string>>;
}

type Level = 'pipeline' | 'stage' | 'job';

const RUNTIME_NAMED_VALUES: Record<Level, readonly string[]> = {
  pipeline: ['variables'],
  stage: ['variables', 'dependencies', 'stageDependencies'],
  job: ['variables', 'dependencies', 'stageDependencies'],
};

const CONDITION_NAMED_VALUES: Record<'stage' | 'job' | 'step', readonly string[]> = {
  stage: ['variables', 'dependencies'],
  job: ['variables', 'dependencies', 'stageDependencies'],
  step: ['variables'],
};

export function compilePipeline(options: CompileOptions): PipelinePlan {
  return new Compiler(options).compile();
}

class Compiler {
  private readonly errors: PipelineErrors;

  constructor(private readonly options: CompileOptions) {
    this.errors = new PipelineErrors(options.file);
  }

  compile(): PipelinePlan {
    const root = parsePipelineYaml(this.options.text, this.errors);
    this.checkKeys(root, 'pipeline', ['name', 'trigger', 'pr', 'parameters', 'variables', 'pool', 'stages', 'jobs', 'steps'], 'a pipeline');
    const bodies = ['stages', 'jobs', 'steps'].map((key) => entryOf(root, key)).filter((entry): entry is YamlEntry => entry !== undefined);
    if (bodies.length === 0) throw this.errors.at(root.line, 'a pipeline needs `stages` (or `jobs` or `steps`).');
    if (bodies.length > 1) {
      throw this.errors.at(bodies[1]!.keyLine, `\`${bodies[0]!.key}\` and \`${bodies[1]!.key}\` (line ${bodies[1]!.keyLine}) cannot both be given: a pipeline has one of stages, jobs or steps.`);
    }

    const parameterDefinitions = this.compileParameterDefinitions(entryOf(root, 'parameters'));
    const parameters = this.parameterValues(parameterDefinitions);
    const parameterObject = new ExpressionObject(parameters, (key) => {
      throw new ExpressionError(`the parameter '${key}' is not declared${parameterDefinitions.length ? ` (parameters: ${parameterDefinitions.map((p) => p.name).join(', ')})` : ''}`);
    });
    const baseScope: Scope = {
      parameters: parameterObject,
      variables: new ExpressionObject(this.options.predefinedVariables),
      literalVariables: { ...this.options.predefinedVariables },
    };
    const variables = this.compileVariables(entryOf(root, 'variables'), 'pipeline', baseScope);
    const scope = this.extendScope(baseScope, variables);

    const body = bodies[0]!;
    let stages: StagePlan[];
    if (body.key === 'stages') {
      stages = this.compileStages(body, scope);
    } else {
      // Single-stage and single-job pipelines: the implicit stage `__default` (and job `Job`), as in Azure Pipelines.
      const jobs = body.key === 'jobs' ? this.compileJobs(body, scope, '__default') : [this.implicitJob(body, scope)];
      stages = [{ name: '__default', displayName: '__default', dependsOn: [], variables: [], jobs, line: body.keyLine }];
    }

    const nameEntry = entryOf(root, 'name');
    return {
      file: this.options.file,
      ...(nameEntry ? { runNameFormat: this.readString(nameEntry.value, scope, 'name') } : {}),
      ...(entryOf(root, 'trigger') ? { trigger: plain(entryOf(root, 'trigger')!.value) } : {}),
      ...(entryOf(root, 'pr') ? { pr: plain(entryOf(root, 'pr')!.value) } : {}),
      ...(entryOf(root, 'pool') ? { pool: plain(entryOf(root, 'pool')!.value) } : {}),
      parameterDefinitions,
      parameters,
      variables,
      stages,
    };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Structure checks

  /** Refuses every key outside `supported`: by name as unsupported when Azure knows it, as invalid otherwise. */
  private checkKeys(map: YamlMapNode, level: keyof typeof AZURE_KEYS, supported: readonly string[], what: string): void {
    for (const entry of map.entries) {
      if (entry.key.startsWith('${{')) {
        const directive = /^\$\{\{\s*(\w+)/.exec(entry.key)?.[1] ?? '';
        const construct = ['if', 'elseif', 'else', 'each', 'insert'].includes(directive) ? `\${{ ${directive} }}` : entry.key;
        throw this.errors.unsupported(construct, entry.keyLine, 'template directives (conditional insertion, loops) are not expanded; write the YAML they would produce');
      }
      if (supported.includes(entry.key)) continue;
      if ((AZURE_KEYS[level] as readonly string[]).includes(entry.key)) throw this.errors.unsupported(entry.key, entry.keyLine, unsupportedHint(entry.key, level));
      throw this.errors.at(entry.keyLine, `\`${entry.key}\` (line ${entry.keyLine}) is not a property of ${what} (Azure Pipelines would reject it too); supported here: ${supported.join(', ')}.`);
    }
  }

  private expectMap(node: YamlNode, what: string): YamlMapNode {
    if (node.kind !== 'map') throw this.errors.at(node.line, `${what} (line ${node.line}) must be a mapping, found a ${describeKind(node)}.`);
    return node;
  }

  private expectList(node: YamlNode, what: string): readonly YamlNode[] {
    if (node.kind !== 'seq') throw this.errors.at(node.line, `${what} (line ${node.line}) must be a list, found a ${describeKind(node)}.`);
    return node.items;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Scalars with template expressions

  private template(node: YamlNode, scope: Scope, what: string): ExpressionValue {
    if (node.kind !== 'scalar') throw this.errors.at(node.line, `${what} (line ${node.line}) must be a single value, found a ${describeKind(node)}.`);
    const text = node.value ?? '';
    if (typeof text !== 'string' || !hasTemplateExpression(text)) return text;
    try {
      return expandTemplate(text, { namedValues: ['parameters', 'variables'], statusFunctions: false }, {
        namedValues: { parameters: scope.parameters, variables: scope.variables },
      });
    } catch (error) {
      throw this.errors.at(node.line, `the template expression in ${what} (line ${node.line}) cannot be evaluated: ${(error as Error).message}.`);
    }
  }

  private readString(node: YamlNode, scope: Scope, what: string): string {
    const value = this.template(node, scope, what);
    if (value instanceof ExpressionObject || Array.isArray(value)) throw this.errors.at(node.line, `${what} (line ${node.line}) must be a single value.`);
    return toExpressionString(value);
  }

  private readBoolean(node: YamlNode, scope: Scope, what: string): boolean {
    const value = this.template(node, scope, what);
    if (typeof value === 'boolean') return value;
    const text = toExpressionString(value).trim().toLowerCase();
    if (text === 'true') return true;
    if (text === 'false') return false;
    throw this.errors.at(node.line, `${what} (line ${node.line}) must be true or false, found '${toExpressionString(value)}'.`);
  }

  private readMinutes(node: YamlNode, scope: Scope, what: string): number {
    const value = this.template(node, scope, what);
    const number = typeof value === 'number' ? value : Number(toExpressionString(value).trim());
    if (!Number.isInteger(number) || number < 0) {
      throw this.errors.at(node.line, `${what} (line ${node.line}) must be a whole number of minutes (0 = no limit), found '${toExpressionString(value)}'.`);
    }
    return number;
  }

  private readNameList(node: YamlNode, scope: Scope, what: string): string[] {
    if (node.kind === 'seq') return node.items.map((item) => this.readString(item, scope, what)).filter((name) => name !== '');
    const single = this.readString(node, scope, what);
    return single === '' ? [] : [single];
  }

  private readCondition(node: YamlNode, scope: Scope, level: 'stage' | 'job' | 'step', owner: string): ConditionPlan | undefined {
    const text = this.readString(node, scope, `the condition of ${owner}`).trim();
    if (text === '') return undefined;
    try {
      const parsed = parseExpression(text, { namedValues: CONDITION_NAMED_VALUES[level], statusFunctions: true });
      if (level === 'step') rejectStatusArguments(parsed);
      return { text, node: parsed, line: node.line };
    } catch (error) {
      throw this.errors.at(node.line, `the condition of ${owner} (line ${node.line}) is not valid: ${(error as Error).message}.`);
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Parameters and variables

  private compileParameterDefinitions(entry: YamlEntry | undefined): ParameterDefinition[] {
    if (!entry) return [];
    const definitions: ParameterDefinition[] = [];
    for (const item of this.expectList(entry.value, '`parameters`')) {
      const map = this.expectMap(item, 'a parameter');
      for (const key of map.entries) {
        if (!['name', 'displayName', 'type', 'default', 'values'].includes(key.key)) {
          throw this.errors.at(key.keyLine, `\`${key.key}\` (line ${key.keyLine}) is not a property of a parameter the local pipeline runner supports (name, displayName, type, default, values).`);
        }
      }
      const nameEntry = entryOf(map, 'name');
      const name = nameEntry && nameEntry.value.kind === 'scalar' ? String(nameEntry.value.value ?? '') : '';
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw this.errors.at(map.line, `the parameter on line ${map.line} needs a \`name\` (letters, digits, _).`);
      if (definitions.some((other) => other.name.toLowerCase() === name.toLowerCase())) throw this.errors.at(map.line, `the parameter '${name}' (line ${map.line}) is declared twice.`);
      const typeEntry = entryOf(map, 'type');
      const typeText = typeEntry && typeEntry.value.kind === 'scalar' ? String(typeEntry.value.value ?? '') : 'string';
      if (typeText !== 'string' && typeText !== 'number' && typeText !== 'boolean') {
        throw this.errors.unsupported(`type: ${typeText}`, typeEntry!.keyLine, `parameter '${name}': only string, number and boolean parameters are supported`);
      }
      const type = typeText;
      const convert = (node: YamlNode, what: string): ParameterValue => {
        if (node.kind !== 'scalar') throw this.errors.at(node.line, `${what} of parameter '${name}' (line ${node.line}) must be a single ${type}.`);
        const converted = convertParameter(node.value ?? '', type);
        if (converted === undefined) throw this.errors.at(node.line, `${what} of parameter '${name}' (line ${node.line}) is not a ${type}: '${node.value ?? ''}'.`);
        return converted;
      };
      const valuesEntry = entryOf(map, 'values');
      const values = valuesEntry ? this.expectList(valuesEntry.value, `\`values\` of parameter '${name}'`).map((value) => convert(value, 'a value')) : undefined;
      const defaultEntry = entryOf(map, 'default');
      const defaultValue = defaultEntry ? convert(defaultEntry.value, 'the default') : undefined;
      if (defaultValue !== undefined && values && !values.some((value) => value === defaultValue)) {
        throw this.errors.at(defaultEntry!.keyLine, `the default of parameter '${name}' (line ${defaultEntry!.keyLine}) is not one of its values (${values.join(', ')}).`);
      }
      const displayEntry = entryOf(map, 'displayName');
      definitions.push({
        name,
        type,
        line: map.line,
        ...(displayEntry && displayEntry.value.kind === 'scalar' ? { displayName: String(displayEntry.value.value ?? '') } : {}),
        ...(defaultValue !== undefined ? { default: defaultValue } : {}),
        ...(values ? { values } : {}),
      });
    }
    return definitions;
  }

  /** Defaults overridden by the caller's values, each checked against the type and `values`. */
  private parameterValues(definitions: readonly ParameterDefinition[]): Record<string, ParameterValue> {
    const given = this.options.parameters ?? {};
    const result: Record<string, ParameterValue> = {};
    for (const name of Object.keys(given)) {
      if (!definitions.some((definition) => definition.name.toLowerCase() === name.toLowerCase())) {
        const declared = definitions.map((definition) => definition.name).join(', ') || 'none';
        throw this.errors.at(undefined, `the run gives parameter '${name}', which the pipeline does not declare (parameters: ${declared}).`);
      }
    }
    for (const definition of definitions) {
      const givenName = Object.keys(given).find((name) => name.toLowerCase() === definition.name.toLowerCase());
      let value: ParameterValue | undefined = definition.default;
      if (givenName !== undefined) {
        value = convertParameter(given[givenName]!, definition.type);
        if (value === undefined) {
          throw this.errors.at(definition.line, `the value '${String(given[givenName])}' given for parameter '${definition.name}' is not a ${definition.type}.`);
        }
      }
      if (value === undefined) throw this.errors.at(definition.line, `a value for the '${definition.name}' parameter must be provided (it has no default).`);
      if (definition.values && !definition.values.some((allowed) => allowed === value)) {
        throw this.errors.at(definition.line, `the value '${String(value)}' of parameter '${definition.name}' is not one of its values: ${definition.values.join(', ')}.`);
      }
      result[definition.name] = value;
    }
    return result;
  }

  private compileVariables(entry: YamlEntry | undefined, level: Level, scope: Scope): VariableDefinition[] {
    if (!entry) return [];
    const definitions: VariableDefinition[] = [];
    const add = (name: string, valueNode: YamlNode, readonly: boolean, line: number): void => {
      if (name.trim() === '') throw this.errors.at(line, `the variable on line ${line} has no name.`);
      const value = this.readString(valueNode, scope, `variable '${name}'`);
      const runtimeText = runtimeExpressionOf(value);
      let runtime: ExpressionNode | undefined;
      if (runtimeText !== undefined) {
        try {
          runtime = parseExpression(runtimeText, { namedValues: RUNTIME_NAMED_VALUES[level], statusFunctions: false });
        } catch (error) {
          throw this.errors.at(line, `the runtime expression of variable '${name}' (line ${line}) is not valid: ${(error as Error).message}.`);
        }
      }
      const existing = definitions.findIndex((definition) => definition.name.toLowerCase() === name.toLowerCase());
      const definition: VariableDefinition = { name, value, readonly, line, ...(runtime ? { runtime } : {}) };
      if (existing >= 0) definitions[existing] = definition;
      else definitions.push(definition);
    };
    if (entry.value.kind === 'map') {
      for (const variable of entry.value.entries) {
        if (variable.key.startsWith('${{')) this.checkKeys({ kind: 'map', entries: [variable], line: variable.keyLine }, 'pipeline', [], 'variables');
        add(variable.key, variable.value, false, variable.keyLine);
      }
      return definitions;
    }
    if (entry.value.kind === 'scalar' && (entry.value.value === null || entry.value.value === '')) return definitions;
    for (const item of this.expectList(entry.value, '`variables`')) {
      const map = this.expectMap(item, 'a variable');
      const first = map.entries[0];
      if (first && (first.key === 'group' || first.key === 'template')) {
        throw this.errors.unsupported(first.key, first.keyLine, first.key === 'group'
          ? 'variable groups live in Azure DevOps; define the variables in the YAML or give them to the runner (option variables/secretVariables)'
          : 'variable templates are not expanded; define the variables in this file');
      }
      for (const key of map.entries) {
        if (key.key.startsWith('${{')) this.checkKeys({ kind: 'map', entries: [key], line: key.keyLine }, 'pipeline', [], 'variables');
        if (!['name', 'value', 'readonly'].includes(key.key)) {
          throw this.errors.at(key.keyLine, `\`${key.key}\` (line ${key.keyLine}) is not a property of a variable (name, value, readonly).`);
        }
      }
      const nameEntry = entryOf(map, 'name');
      if (!nameEntry) throw this.errors.at(map.line, `the variable on line ${map.line} needs a \`name\`.`);
      const readonlyEntry = entryOf(map, 'readonly');
      add(
        this.readString(nameEntry.value, scope, 'a variable name'),
        entryOf(map, 'value')?.value ?? { kind: 'scalar', value: '', line: map.line },
        readonlyEntry ? this.readBoolean(readonlyEntry.value, scope, '`readonly`') : false,
        map.line,
      );
    }
    return definitions;
  }

  /** The scope seen by nested levels: `${{ variables.x }}` includes these variables (runtime ones as their text). */
  private extendScope(scope: Scope, variables: readonly VariableDefinition[]): Scope {
    if (variables.length === 0) return scope;
    const literal: Record<string, string> = { ...scope.literalVariables };
    for (const variable of variables) literal[variable.name] = variable.value;
    return { parameters: scope.parameters, variables: new ExpressionObject(literal), literalVariables: literal };
  }

  // ------------------------------------------------------------------------------------------------------------
  // Stages and jobs

  private compileStages(entry: YamlEntry, scope: Scope): StagePlan[] {
    const stages: StagePlan[] = [];
    const items = this.expectList(entry.value, '`stages`');
    if (items.length === 0) throw this.errors.at(entry.keyLine, '`stages` (line ' + entry.keyLine + ') is empty.');
    for (const item of items) {
      const map = this.expectMap(item, 'a stage');
      if (entryOf(map, 'template')) throw this.errors.unsupported('template', entryOf(map, 'template')!.keyLine, 'stage templates are not expanded');
      this.checkKeys(map, 'stage', ['stage', 'displayName', 'dependsOn', 'condition', 'variables', 'jobs', 'pool'], 'a stage');
      const name = this.readName(map, 'stage', scope);
      if (stages.some((other) => other.name.toLowerCase() === name.toLowerCase())) throw this.errors.at(map.line, `the stage name '${name}' (line ${map.line}) is used twice; stage names must be unique.`);
      const variables = this.compileVariables(entryOf(map, 'variables'), 'stage', scope);
      const stageScope = this.extendScope(scope, variables);
      const dependsOnEntry = entryOf(map, 'dependsOn');
      const previous = stages[stages.length - 1];
      const dependsOn = dependsOnEntry ? this.readNameList(dependsOnEntry.value, stageScope, '`dependsOn`') : previous ? [previous.name] : [];
      const jobsEntry = entryOf(map, 'jobs');
      if (!jobsEntry) throw this.errors.at(map.line, `stage '${name}' (line ${map.line}) has no \`jobs\`.`);
      const conditionEntry = entryOf(map, 'condition');
      const condition = conditionEntry ? this.readCondition(conditionEntry.value, stageScope, 'stage', `stage '${name}'`) : undefined;
      const displayEntry = entryOf(map, 'displayName');
      stages.push({
        name,
        displayName: displayEntry ? this.readString(displayEntry.value, stageScope, `the displayName of stage '${name}'`) : name,
        dependsOn,
        ...(condition ? { condition } : {}),
        variables,
        ...(entryOf(map, 'pool') ? { pool: plain(entryOf(map, 'pool')!.value) } : {}),
        jobs: this.compileJobs(jobsEntry, stageScope, name),
        line: map.line,
      });
      if (dependsOnEntry) this.checkDependencies(stages[stages.length - 1]!.dependsOn, dependsOnEntry.keyLine, `stage '${name}'`);
    }
    for (const stage of stages) {
      for (const dependency of stage.dependsOn) {
        if (!stages.some((other) => other.name.toLowerCase() === dependency.toLowerCase())) {
          throw this.errors.at(stage.line, `stage '${stage.name}' (line ${stage.line}) depends on '${dependency}', which is not a stage of this pipeline (stages: ${stages.map((s) => s.name).join(', ')}).`);
        }
      }
    }
    this.checkCycles(stages, 'stage');
    return stages;
  }

  private compileJobs(entry: YamlEntry, scope: Scope, stageName: string): JobPlan[] {
    const jobs: JobPlan[] = [];
    const items = this.expectList(entry.value, '`jobs`');
    if (items.length === 0) throw this.errors.at(entry.keyLine, `the jobs of stage '${stageName}' (line ${entry.keyLine}) are empty.`);
    for (const item of items) {
      const map = this.expectMap(item, 'a job');
      const job = this.compileJob(map, scope);
      if (jobs.some((other) => other.name.toLowerCase() === job.name.toLowerCase())) {
        throw this.errors.at(map.line, `the job name '${job.name}' (line ${map.line}) is used twice in stage '${stageName}'; job names must be unique in a stage.`);
      }
      jobs.push(job);
    }
    for (const job of jobs) {
      for (const dependency of job.dependsOn) {
        if (!jobs.some((other) => other.name.toLowerCase() === dependency.toLowerCase())) {
          throw this.errors.at(job.line, `job '${job.name}' (line ${job.line}) depends on '${dependency}', which is not a job of stage '${stageName}' (jobs: ${jobs.map((j) => j.name).join(', ')}).`);
        }
      }
    }
    this.checkCycles(jobs, 'job');
    return jobs;
  }

  private compileJob(map: YamlMapNode, scope: Scope): JobPlan {
    if (entryOf(map, 'template')) throw this.errors.unsupported('template', entryOf(map, 'template')!.keyLine, 'job templates are not expanded');
    const kind: 'job' | 'deployment' = entryOf(map, 'deployment') ? 'deployment' : 'job';
    if (!entryOf(map, 'job') && !entryOf(map, 'deployment')) {
      throw this.errors.at(map.line, `the job on line ${map.line} is neither \`job\` nor \`deployment\`.`);
    }
    const common = ['displayName', 'dependsOn', 'condition', 'continueOnError', 'timeoutInMinutes', 'cancelTimeoutInMinutes', 'variables', 'pool'];
    if (kind === 'job') this.checkKeys(map, 'job', ['job', 'steps', ...common], 'a job');
    else this.checkKeys(map, 'deployment', ['deployment', 'environment', 'strategy', ...common], 'a deployment job');
    const name = this.readName(map, kind, scope);
    const owner = `${kind} '${name}'`;
    const variables = this.compileVariables(entryOf(map, 'variables'), 'job', scope);
    const jobScope = this.extendScope(scope, variables);
    const displayEntry = entryOf(map, 'displayName');
    const conditionEntry = entryOf(map, 'condition');
    const condition = conditionEntry ? this.readCondition(conditionEntry.value, jobScope, 'job', owner) : undefined;
    const dependsOnEntry = entryOf(map, 'dependsOn');
    const dependsOn = dependsOnEntry ? this.readNameList(dependsOnEntry.value, jobScope, '`dependsOn`') : [];
    if (dependsOnEntry) this.checkDependencies(dependsOn, dependsOnEntry.keyLine, owner);
    const minutes = (key: string, fallback: number): number => {
      const found = entryOf(map, key);
      return found ? this.readMinutes(found.value, jobScope, `\`${key}\` of ${owner}`) : fallback;
    };
    const continueOnErrorEntry = entryOf(map, 'continueOnError');

    let steps: StepPlan[];
    let environment: EnvironmentPlan | undefined;
    if (kind === 'job') {
      const stepsEntry = entryOf(map, 'steps');
      if (!stepsEntry) throw this.errors.at(map.line, `${owner} (line ${map.line}) has no \`steps\`.`);
      steps = this.compileSteps(stepsEntry, jobScope, owner);
    } else {
      const environmentEntry = entryOf(map, 'environment');
      if (!environmentEntry) throw this.errors.at(map.line, `${owner} (line ${map.line}) has no \`environment\`.`);
      environment = this.compileEnvironment(environmentEntry, jobScope, owner);
      steps = this.compileRunOnce(map, jobScope, owner);
    }
    return {
      kind,
      name,
      displayName: displayEntry ? this.readString(displayEntry.value, jobScope, `the displayName of ${owner}`) : name,
      dependsOn,
      ...(condition ? { condition } : {}),
      continueOnError: continueOnErrorEntry ? this.readBoolean(continueOnErrorEntry.value, jobScope, `\`continueOnError\` of ${owner}`) : false,
      timeoutInMinutes: minutes('timeoutInMinutes', 0),
      cancelTimeoutInMinutes: minutes('cancelTimeoutInMinutes', 5),
      variables,
      ...(entryOf(map, 'pool') ? { pool: plain(entryOf(map, 'pool')!.value) } : {}),
      ...(environment ? { environment } : {}),
      steps,
      line: map.line,
    };
  }

  private implicitJob(entry: YamlEntry, scope: Scope): JobPlan {
    return {
      kind: 'job',
      name: 'Job',
      displayName: 'Job',
      dependsOn: [],
      continueOnError: false,
      timeoutInMinutes: 0,
      cancelTimeoutInMinutes: 5,
      variables: [],
      steps: this.compileSteps(entry, scope, "job 'Job'"),
      line: entry.keyLine,
    };
  }

  private compileEnvironment(entry: YamlEntry, scope: Scope, owner: string): EnvironmentPlan {
    let text: string;
    let resourceName: string | undefined;
    if (entry.value.kind === 'map') {
      this.checkKeysList(entry.value, ['name', 'resourceName'], ['resourceType', 'resourceId', 'tags'], `the environment of ${owner}`);
      const nameEntry = entryOf(entry.value, 'name');
      if (!nameEntry) throw this.errors.at(entry.keyLine, `the environment of ${owner} (line ${entry.keyLine}) has no \`name\`.`);
      text = this.readString(nameEntry.value, scope, `the environment of ${owner}`);
      const resourceEntry = entryOf(entry.value, 'resourceName');
      if (resourceEntry) resourceName = this.readString(resourceEntry.value, scope, 'resourceName');
    } else {
      text = this.readString(entry.value, scope, `the environment of ${owner}`);
    }
    // `environment: name.resource` names a resource of the environment.
    const dot = text.indexOf('.');
    if (dot > 0 && resourceName === undefined) {
      resourceName = text.slice(dot + 1);
      text = text.slice(0, dot);
    }
    if (text.trim() === '') throw this.errors.at(entry.keyLine, `the environment of ${owner} (line ${entry.keyLine}) is empty.`);
    return { name: text.trim(), ...(resourceName ? { resourceName } : {}), line: entry.keyLine };
  }

  /** Checks keys of a small mapping: `supported`, refused-by-name `azureOnly`, anything else invalid. */
  private checkKeysList(map: YamlMapNode, supported: readonly string[], azureOnly: readonly string[], what: string): void {
    for (const entry of map.entries) {
      if (supported.includes(entry.key)) continue;
      if (azureOnly.includes(entry.key)) throw this.errors.unsupported(entry.key, entry.keyLine, `in ${what}`);
      throw this.errors.at(entry.keyLine, `\`${entry.key}\` (line ${entry.keyLine}) is not a property of ${what}; supported here: ${supported.join(', ')}.`);
    }
  }

  private compileRunOnce(map: YamlMapNode, scope: Scope, owner: string): StepPlan[] {
    const strategyEntry = entryOf(map, 'strategy');
    if (!strategyEntry) throw this.errors.at(map.line, `${owner} (line ${map.line}) has no \`strategy\` (write strategy: runOnce: deploy: steps:).`);
    const strategy = this.expectMap(strategyEntry.value, `the strategy of ${owner}`);
    this.checkKeysList(strategy, ['runOnce'], ['rolling', 'canary'], `the strategy of ${owner}`);
    const runOnceEntry = entryOf(strategy, 'runOnce');
    if (!runOnceEntry) throw this.errors.at(strategyEntry.keyLine, `the strategy of ${owner} (line ${strategyEntry.keyLine}) has no \`runOnce\`.`);
    const runOnce = this.expectMap(runOnceEntry.value, '`runOnce`');
    this.checkKeysList(runOnce, ['deploy'], ['preDeploy', 'routeTraffic', 'postRouteTraffic', 'on'], `the runOnce strategy of ${owner}`);
    const deployEntry = entryOf(runOnce, 'deploy');
    if (!deployEntry) throw this.errors.at(runOnceEntry.keyLine, `the runOnce strategy of ${owner} (line ${runOnceEntry.keyLine}) has no \`deploy\` hook.`);
    const deploy = this.expectMap(deployEntry.value, 'the `deploy` hook');
    this.checkKeysList(deploy, ['steps'], ['pool'], `the deploy hook of ${owner}`);
    const stepsEntry = entryOf(deploy, 'steps');
    if (!stepsEntry) throw this.errors.at(deployEntry.keyLine, `the deploy hook of ${owner} (line ${deployEntry.keyLine}) has no \`steps\`.`);
    return this.compileSteps(stepsEntry, scope, owner);
  }

  private readName(map: YamlMapNode, key: 'stage' | 'job' | 'deployment', scope: Scope): string {
    const entry = entryOf(map, key)!;
    const name = this.readString(entry.value, scope, `the ${key} name`).trim();
    if (name === '') throw this.errors.at(entry.keyLine, `\`${key}\` (line ${entry.keyLine}) needs a name (letters, digits and _); other ${key === 'stage' ? 'stages' : 'jobs'} refer to it in dependsOn and dependencies.`);
    if (!NAME_PATTERN.test(name)) throw this.errors.at(entry.keyLine, `the ${key} name '${name}' (line ${entry.keyLine}) may only contain letters, digits and _.`);
    return name;
  }

  private checkDependencies(names: readonly string[], line: number, owner: string): void {
    for (const name of names) {
      if (!NAME_PATTERN.test(name)) throw this.errors.at(line, `dependsOn of ${owner} (line ${line}) names '${name}', which is not a valid stage or job name.`);
    }
  }

  private checkCycles(units: ReadonlyArray<{ readonly name: string; readonly dependsOn: readonly string[]; readonly line: number }>, what: 'stage' | 'job'): void {
    const byName = new Map(units.map((unit) => [unit.name.toLowerCase(), unit]));
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (unit: (typeof units)[number], trail: string[]): void => {
      const key = unit.name.toLowerCase();
      if (state.get(key) === 'done') return;
      if (state.get(key) === 'visiting') {
        const cycle = [...trail.slice(trail.indexOf(unit.name)), unit.name];
        throw this.errors.at(unit.line, `the ${what}s ${cycle.join(' -> ')} depend on each other (line ${unit.line}); dependsOn must not form a cycle.`);
      }
      state.set(key, 'visiting');
      for (const dependency of unit.dependsOn) {
        const next = byName.get(dependency.toLowerCase());
        if (next) visit(next, [...trail, unit.name]);
      }
      state.set(key, 'done');
    };
    for (const unit of units) visit(unit, []);
  }

  // ------------------------------------------------------------------------------------------------------------
  // Steps

  private compileSteps(entry: YamlEntry, scope: Scope, owner: string): StepPlan[] {
    const steps: StepPlan[] = [];
    for (const item of this.expectList(entry.value, `the steps of ${owner}`)) {
      const step = this.compileStep(this.expectMap(item, 'a step'), scope, owner);
      if (step.refName && steps.some((other) => other.refName?.toLowerCase() === step.refName!.toLowerCase())) {
        throw this.errors.at(step.line, `the step name '${step.refName}' (line ${step.line}) is used twice in ${owner}; step names must be unique in a job.`);
      }
      steps.push(step);
    }
    if (steps.length === 0) throw this.errors.at(entry.keyLine, `${owner} (line ${entry.keyLine}) has no steps.`);
    return steps;
  }

  private compileStep(map: YamlMapNode, scope: Scope, owner: string): StepPlan {
    const first = map.entries[0];
    if (!first) throw this.errors.at(map.line, `the step on line ${map.line} is empty.`);
    const kindKey = ['task', 'bash', 'script', 'checkout'].find((key) => entryOf(map, key));
    if (!kindKey) {
      const known = map.entries.find((entry) => STEP_KINDS.includes(entry.key));
      if (known) {
        const hint = known.key === 'pwsh' || known.key === 'powershell' ? 'PowerShell is not available to the local runner; use a bash step' : undefined;
        throw this.errors.unsupported(`${known.key}`, known.keyLine, hint ?? 'the runner runs task, bash, script and checkout steps');
      }
      throw this.errors.at(map.line, `the step on line ${map.line} is none of task, bash, script, checkout (found ${map.entries.map((e) => e.key).join(', ')}).`);
    }
    const common = ['name', 'displayName', 'condition', 'continueOnError', 'enabled', 'env', 'timeoutInMinutes'];
    const specific: Record<string, string[]> = {
      task: ['task', 'inputs'],
      bash: ['bash', 'workingDirectory', 'failOnStderr'],
      script: ['script', 'workingDirectory', 'failOnStderr'],
      checkout: ['checkout', 'displayName', 'condition', 'clean', 'fetchDepth'],
    };
    this.checkKeys(map, 'step', kindKey === 'checkout' ? specific.checkout! : [...specific[kindKey]!, ...common], `a ${kindKey} step`);
    const kindEntry = entryOf(map, kindKey)!;
    const line = kindEntry.keyLine;
    const label = kindKey === 'task' ? `\`task: ${this.readString(kindEntry.value, scope, 'task')}\` (line ${line})` : `the ${kindKey} step on line ${line}`;

    const nameEntry = entryOf(map, 'name');
    const refName = nameEntry ? this.readString(nameEntry.value, scope, 'the step name').trim() : undefined;
    if (refName !== undefined && !STEP_NAME_PATTERN.test(refName)) {
      throw this.errors.at(nameEntry!.keyLine, `the step name '${refName}' (line ${nameEntry!.keyLine}) must start with a letter or _ and hold only letters, digits and _ (it prefixes the step's output variables).`);
    }
    const conditionEntry = entryOf(map, 'condition');
    const condition = conditionEntry ? this.readCondition(conditionEntry.value, scope, 'step', label) : undefined;
    const booleanOf = (key: string, fallback: boolean): boolean => {
      const found = entryOf(map, key);
      return found ? this.readBoolean(found.value, scope, `\`${key}\` of ${label}`) : fallback;
    };
    const timeoutEntry = entryOf(map, 'timeoutInMinutes');
    const envEntry = entryOf(map, 'env');
    const env: Record<string, string> = {};
    if (envEntry) {
      for (const variable of this.expectMap(envEntry.value, `\`env\` of ${label}`).entries) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable.key)) throw this.errors.at(variable.keyLine, `the environment variable name '${variable.key}' (line ${variable.keyLine}) is not valid.`);
        env[variable.key] = this.readString(variable.value, scope, `env ${variable.key}`);
      }
    }
    const displayEntry = entryOf(map, 'displayName');
    const displayName = displayEntry ? this.readString(displayEntry.value, scope, `the displayName of ${label}`) : undefined;
    const base = {
      ...(refName !== undefined ? { refName } : {}),
      ...(condition ? { condition } : {}),
      continueOnError: booleanOf('continueOnError', false),
      enabled: booleanOf('enabled', true),
      env,
      timeoutInMinutes: timeoutEntry ? this.readMinutes(timeoutEntry.value, scope, `\`timeoutInMinutes\` of ${label}`) : 0,
      line,
    };

    if (kindKey === 'checkout') {
      const repository = this.readString(kindEntry.value, scope, 'checkout').trim();
      if (repository !== 'self' && repository !== 'none') {
        throw this.errors.unsupported(`checkout: ${repository}`, line, 'only `checkout: self` (the repository the runner is given) and `checkout: none` are supported');
      }
      return { kind: 'checkout', repository, displayName: displayName ?? (repository === 'self' ? 'Checkout self' : 'Checkout none'), ...base };
    }

    let reference: string;
    const givenInputs: Record<string, string> = {};
    const inputLines: Record<string, number> = {};
    if (kindKey === 'task') {
      reference = this.readString(kindEntry.value, scope, 'task').trim();
      const inputsEntry = entryOf(map, 'inputs');
      if (inputsEntry && !(inputsEntry.value.kind === 'scalar' && inputsEntry.value.value === null)) {
        for (const input of this.expectMap(inputsEntry.value, `\`inputs\` of ${label}`).entries) {
          givenInputs[input.key] = this.readString(input.value, scope, `input ${input.key}`);
          inputLines[input.key] = input.keyLine;
        }
      }
    } else {
      // `bash:` is Bash@3 with an inline script and `script:` is CmdLine@2 (on Linux both run bash).
      reference = kindKey === 'bash' ? 'Bash@3' : 'CmdLine@2';
      if (kindKey === 'bash') givenInputs['targetType'] = 'inline';
      givenInputs['script'] = this.readString(kindEntry.value, scope, kindKey);
      for (const key of ['workingDirectory', 'failOnStderr']) {
        const found = entryOf(map, key);
        if (found) givenInputs[key] = this.readString(found.value, scope, key);
      }
    }

    let task: ResolvedTask;
    try {
      task = this.options.catalog.resolve(reference);
    } catch (error) {
      if (error instanceof TaskResolutionError) throw this.errors.at(line, `${label}: ${error.message}.`);
      throw error;
    }
    const inputs = this.checkInputs(task, givenInputs, inputLines, label, line);
    const connections = this.resolveConnections(task, inputs, scope, label, owner, line);
    for (const connection of connections) inputs[connection.input] = connection.id;

    return {
      kind: 'task',
      syntax: kindKey as 'task' | 'bash' | 'script',
      task,
      inputs,
      connections,
      displayName: displayName ?? (kindKey === 'bash' ? 'Bash' : kindKey === 'script' ? 'CmdLine' : instanceName(task.definition, withDefaults(task, inputs))),
      ...base,
    };
  }

  /** Maps the given inputs (by name or alias, any case) to the task's input names; unknown inputs are refused. */
  private checkInputs(task: ResolvedTask, given: Readonly<Record<string, string>>, lines: Readonly<Record<string, number>>, label: string, line: number): Record<string, string> {
    const byName = new Map<string, string>();
    for (const input of task.definition.inputs ?? []) {
      for (const alias of [input.name, ...(input.aliases ?? [])]) byName.set(alias.toLowerCase(), input.name);
    }
    const inputs: Record<string, string> = {};
    for (const [key, value] of Object.entries(given)) {
      const name = byName.get(key.toLowerCase());
      if (!name) {
        const known = (task.definition.inputs ?? []).map((input) => input.name).join(', ');
        throw this.errors.at(lines[key] ?? line, `${label}: \`${key}\` (line ${lines[key] ?? line}) is not an input of ${task.reference} (its inputs: ${known}).`);
      }
      inputs[name] = value;
    }
    return inputs;
  }

  private resolveConnections(task: ResolvedTask, inputs: Readonly<Record<string, string>>, scope: Scope, label: string, owner: string, line: number) {
    const connections: { input: string; name: string; id: string }[] = [];
    for (const input of task.definition.inputs ?? []) {
      if (!(input.type ?? '').startsWith('connectedService:')) continue;
      const raw = inputs[input.name];
      if (raw === undefined || raw.trim() === '') continue;
      const name = expandMacros(raw.trim(), (variable) => lookupVariable(scope.literalVariables, variable));
      if (name.includes('$(')) {
        throw this.errors.at(line, `${label}: input ${input.name} names its service connection with '${raw}', which is not known before the run; service connections are resolved when the run is compiled, so use a parameter or a variable defined in the YAML.`);
      }
      const connection = this.options.resolveConnection?.(name);
      if (!connection) {
        const how = this.options.resolveConnection ? 'which could not be found' : 'but the runner was given no service connections (option serviceConnections)';
        throw this.errors.at(line, `${label} in ${owner}: input ${input.name} references service connection '${name}', ${how}.`);
      }
      connections.push({ input: input.name, name, id: connection.id });
    }
    return connections;
  }
}

function withDefaults(task: ResolvedTask, inputs: Readonly<Record<string, string>>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const input of task.definition.inputs ?? []) values[input.name] = input.defaultValue ?? '';
  return { ...values, ...inputs };
}

/** Status functions with arguments name jobs or stages: meaningless for a step (Azure refuses them). */
function rejectStatusArguments(node: ExpressionNode): void {
  if (node.kind === 'call') {
    if (['succeeded', 'failed', 'succeededorfailed'].includes(node.name) && node.args.length > 0) {
      throw new ExpressionError(`the status function '${node.name}' takes no arguments in a step condition (arguments name jobs or stages)`);
    }
    node.args.forEach(rejectStatusArguments);
  } else if (node.kind === 'property') {
    rejectStatusArguments(node.target);
  } else if (node.kind === 'index') {
    rejectStatusArguments(node.target);
    rejectStatusArguments(node.index);
  }
}

function convertParameter(value: ParameterValue, type: ParameterDefinition['type']): ParameterValue | undefined {
  if (type === 'string') return String(value);
  if (type === 'boolean') {
    if (typeof value === 'boolean') return value;
    const text = String(value).trim().toLowerCase();
    return text === 'true' ? true : text === 'false' ? false : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  const text = String(value).trim();
  return text !== '' && Number.isFinite(Number(text)) ? Number(text) : undefined;
}

function unsupportedHint(key: string, level: keyof typeof AZURE_KEYS): string {
  const hints: Record<string, string> = {
    resources: 'pipeline resources (repositories, pipelines, containers) are not available locally',
    extends: 'templates are not expanded; write the pipeline in this file',
    template: 'templates are not expanded; write the YAML in this file',
    schedules: 'the caller starts the run',
    strategy: level === 'job' ? 'matrix and parallel jobs are not run; write one job per configuration' : '',
    container: 'jobs run on this machine, not in containers',
    services: 'service containers are not started',
    retryCountOnTaskFailure: 'failed tasks are not retried',
    lockBehavior: 'runs are not queued against each other',
  };
  return hints[key] ?? '';
}

/** The recorded form of `trigger`, `pr`, `pool`: plain JSON. */
function plain(node: YamlNode): unknown {
  if (node.kind === 'scalar') return node.value;
  if (node.kind === 'seq') return node.items.map(plain);
  return Object.fromEntries(node.entries.map((entry) => [entry.key, plain(entry.value)]));
}
