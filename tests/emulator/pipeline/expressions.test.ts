import assert from 'node:assert/strict';
import {
  evaluate, ExpressionObject, expandMacros, expandTemplate, parseExpression, type EvaluationContext, type ExpressionValue, type ParseOptions,
} from '@azureml-mlops/emulator/dist/devops/pipelineExpressions';

const CONDITION: ParseOptions = { namedValues: ['variables', 'dependencies'], statusFunctions: true };

function run(expression: string, namedValues: Record<string, ExpressionValue> = {}, status?: EvaluationContext['status']): ExpressionValue {
  return evaluate(parseExpression(expression, CONDITION), { namedValues, ...(status ? { status } : {}) });
}

describe('pipeline runner: expressions (emulator/src/devops/pipelineExpressions)', function () {
  const variables = new ExpressionObject({ 'Build.SourceBranch': 'refs/heads/main', deploy: 'true', empty: '', count: '3', quote: "it's" });

  it('compares strings ordinally ignoring case, and converts the right operand to the left type', function () {
    assert.equal(run("eq(variables['Build.SourceBranch'], 'REFS/heads/MAIN')", { variables }), true);
    assert.equal(run('eq(variables.deploy, true)', { variables }), true, "'true' vs True: the boolean becomes 'True', equal ignoring case");
    assert.equal(run("eq(true, 'false')", {}), true, "a non-empty string converts to True (Azure's documented gotcha)");
    assert.equal(run("eq(3, '3.0')", {}), true);
    assert.equal(run("eq(3, 'three')", {}), false, 'a failed conversion is not equal');
    assert.equal(run("ne(3, 'three')", {}), true);
    assert.equal(run("gt(variables.count, '10')", { variables }), true, 'strings compare as strings');
    assert.equal(run("gt(10, variables.count)", { variables }), true, 'numbers compare as numbers');
  });

  it('reads variables by index or by dotted property, case-insensitively; a miss is null', function () {
    assert.equal(run('variables.Build.SourceBranch', { variables }), 'refs/heads/main');
    assert.equal(run("variables['build.sourcebranch']", { variables }), 'refs/heads/main');
    assert.equal(run("variables['nothing']", { variables }), null);
    assert.equal(run("eq(variables.nothing, '')", { variables }), true);
    assert.equal(run("eq(variables.quote, 'it''s')", { variables }), true, "'' escapes a quote");
  });

  it('evaluates and/or/not/in/notIn/contains/startsWith/endsWith/coalesce/format/lower/upper', function () {
    assert.equal(run("and(eq(1, 1), or(false, in('b', 'a', 'B')), not(notIn('x', 'x')))"), true);
    assert.equal(run("and(contains('ABCDE', 'bcd'), startsWith('refs/heads/main', 'REFS/'), endsWith('model.pkl', '.PKL'))"), true);
    assert.equal(run("coalesce(variables.empty, variables.nothing, 'fallback')", { variables }), 'fallback');
    assert.equal(run("format('{0}-{1} {{literal}}', 'a', 2)"), 'a-2 {literal}');
    assert.equal(run("lower('AbC')"), 'abc');
    assert.equal(run("upper('AbC')"), 'ABC');
  });

  it('navigates dependencies objects and calls status functions through the context', function () {
    const dependencies = new ExpressionObject({
      Train: new ExpressionObject({ result: 'SucceededWithIssues', outputs: new ExpressionObject({ 'train.JobName': 'job-7' }) }),
    });
    assert.equal(run("dependencies.Train.outputs['train.JobName']", { dependencies }), 'job-7');
    assert.equal(run("in(dependencies.train.result, 'Succeeded', 'SucceededWithIssues')", { dependencies }), true);
    const calls: string[] = [];
    const status = (name: string, args: readonly string[]): boolean => {
      calls.push(`${name}(${args.join(',')})`);
      return name === 'failed';
    };
    assert.equal(run("or(succeeded('Train'), failed())", {}, status), true);
    assert.deepEqual(calls, ['succeeded(Train)', 'failed()']);
  });

  it('refuses by name what it does not support, and unknown named values, with the position', function () {
    assert.throws(() => parseExpression("counter('x', 1)", CONDITION), /The function 'counter' is not supported by the local pipeline runner/);
    assert.throws(() => parseExpression("eq(parameters.x, 1)", CONDITION), /Unrecognized value: 'parameters'. Located at position 4 within expression: eq\(parameters.x, 1\)/);
    assert.throws(() => parseExpression('eq(1.2.3, 1)', CONDITION), /version literal '1.2.3' is not supported/);
    assert.throws(() => parseExpression('variables.*.x', CONDITION), /filtered array syntax '\*' is not supported/);
    assert.throws(() => parseExpression('succeeded()', { namedValues: ['variables'], statusFunctions: false }), /status functions are only available in conditions/);
    assert.throws(() => parseExpression('not(1, 2)', CONDITION), /Function 'not' takes 1 parameter\(s\), found 2/);
    assert.throws(() => parseExpression("eq('open, 1)", CONDITION), /Unterminated string literal/);
  });

  it('template expressions keep the type of a whole value and print True/False inside text', function () {
    const parameters = new ExpressionObject({ deploy: true, retries: 3, name: 'diabetes' });
    const options: ParseOptions = { namedValues: ['parameters', 'variables'], statusFunctions: false };
    const context = { namedValues: { parameters, variables } };
    assert.equal(expandTemplate('${{ parameters.deploy }}', options, context), true);
    assert.equal(expandTemplate('${{ parameters.retries }}', options, context), 3);
    assert.equal(expandTemplate("model-${{ parameters.name }}-${{ parameters.deploy }}-${{ variables['Build.SourceBranch'] }}", options, context), 'model-diabetes-True-refs/heads/main');
    assert.equal(expandTemplate("${{ eq(parameters.name, 'DIABETES') }}", options, context), true);
    assert.equal(expandTemplate("x ${{ '}}' }} y", options, context), 'x }} y', 'closing braces inside a string literal do not end the expression');
  });

  it('expands $(macros) recursively and leaves unknown ones as written', function () {
    const values: Record<string, string> = { a: 'A($(b))', b: 'B', loop: '$(loop)' };
    const lookup = (name: string): string | undefined => values[name];
    assert.equal(expandMacros('$(a) $(missing) $(b)', lookup), 'A(B) $(missing) B');
    assert.equal(expandMacros('$(loop)', lookup), '$(loop)', 'a self-reference stops instead of looping');
  });
});
