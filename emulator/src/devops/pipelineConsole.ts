/**
 * Console rendering of a local pipeline run (pipelineRunner.ts) for the demo and for people running a pipeline by
 * hand: stage, job and step headers, each task's log indented under its step, approvals and the runner's notes, and
 * at the end a table of every step with its result (and why it was skipped or failed).
 *
 * ```ts
 * const result = await runPipeline({ ..., onEvent: consoleReporter() });
 * for (const line of formatResultTable(result)) console.log(line);
 * ```
 */
import type { PipelineEvent, PipelineRunResult } from './pipelineRunner';

export interface ConsoleReporterOptions {
  /** Where lines go. Default: stdout. */
  readonly write?: (line: string) => void;
  /** Print the tasks' log lines (default true). */
  readonly taskLogs?: boolean;
}

const WIDTH = 100;

function rule(prefix: string, text: string, fill: string): string {
  const head = `${prefix} ${text} `;
  return head + fill.repeat(Math.max(3, WIDTH - head.length));
}

export function consoleReporter(options: ConsoleReporterOptions = {}): (event: PipelineEvent) => void {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const taskLogs = options.taskLogs ?? true;
  return (event) => {
    switch (event.type) {
      case 'run-started': {
        write(`Pipeline ${event.file}, run ${event.buildNumber}`);
        const parameters = Object.entries(event.plan.parameters);
        if (parameters.length > 0) write(`  parameters: ${parameters.map(([name, value]) => `${name}=${String(value)}`).join(', ')}`);
        return;
      }
      case 'stage-started':
        write('');
        write(rule('==== Stage', event.stage.displayName === event.stage.name ? event.stage.name : `${event.stage.name}: ${event.stage.displayName}`, '='));
        return;
      case 'approval':
        write(`  Approval of environment '${event.environment}' for stage ${event.stage.name}: ${event.approved ? 'approved by the local runner' : 'NOT approved (the run waits)'}`);
        return;
      case 'job-started': {
        const kind = event.job.kind === 'deployment' ? `deployment to ${event.job.environment?.name ?? ''}` : 'job';
        const title = event.job.displayName === event.job.name ? event.job.name : `${event.job.name}: ${event.job.displayName}`;
        write(rule('---- Job', `${title} (${kind})`, '-'));
        return;
      }
      case 'step-started':
        write(`  >> ${event.step.refName ? `${event.step.refName}: ` : ''}${event.displayName}`);
        return;
      case 'log':
        if (taskLogs) write(`     | ${event.line}`);
        return;
      case 'step-finished': {
        const label = event.result.name ?? event.result.displayName;
        const detail = event.result.skipReason ? ` (${event.result.skipReason})` : '';
        write(`  << ${label}: ${event.result.result}${detail}`);
        const outputs = Object.entries(event.result.outputs);
        if (outputs.length > 0 && event.result.result !== 'Skipped') {
          for (const [name, value] of outputs) write(`     output ${event.result.name ? `${event.result.name}.` : ''}${name} = ${oneLine(value)}`);
        }
        return;
      }
      case 'message': {
        const where = event.job ? `${event.stage?.name ?? ''}.${event.job.name}: ` : event.stage ? `${event.stage.name}: ` : '';
        const mark = event.level === 'error' ? '##[error]' : event.level === 'warning' ? '##[warning]' : '';
        write(`  ${mark}${where}${event.text}`);
        return;
      }
      case 'job-finished':
        if (event.result.result !== 'Skipped' && event.result.result !== 'NotStarted') write(`---- Job ${event.result.name}: ${event.result.result}`);
        return;
      case 'stage-finished':
        if (event.result.result !== 'Skipped') write(`==== Stage ${event.result.name}: ${event.result.result}${event.result.skipReason ? ` (${event.result.skipReason})` : ''}`);
        return;
      case 'run-finished':
        write('');
        for (const line of formatResultTable(event.result)) write(line);
        return;
    }
  };
}

function oneLine(value: string): string {
  const flat = value.replace(/\s*\n\s*/g, ' ');
  return flat.length > 160 ? `${flat.slice(0, 157)}...` : flat;
}

/** The final table: one row per step (a skipped or waiting job without steps run gets one row), then the run result. */
export function formatResultTable(result: PipelineRunResult): string[] {
  const rows: string[][] = [['Stage', 'Job', 'Step', 'Result', 'Detail']];
  for (const stage of result.stages) {
    for (const job of stage.jobs) {
      const jobWide = job.result === 'Skipped' || job.result === 'NotStarted';
      if (jobWide) {
        rows.push([stage.name, job.name, '', job.result, job.skipReason ?? stage.skipReason ?? '']);
        continue;
      }
      for (const step of job.steps) {
        const detail = step.skipReason ?? (step.result === 'Failed' || step.result === 'SucceededWithIssues' || step.result === 'Canceled' ? (step.errors[step.errors.length - 1] ?? '') : '');
        rows.push([stage.name, job.name, step.name ? `${step.name} (${step.displayName})` : step.displayName, step.result, oneLine(detail)]);
      }
      if (job.timedOut) rows.push([stage.name, job.name, '', job.result, 'the job ran longer than its timeoutInMinutes']);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.min(column === 2 ? 48 : 40, Math.max(...rows.map((row) => row[column]!.length))));
  const clip = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 3)}...` : text.padEnd(width));
  const lines = rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : clip(cell, widths[column]!))).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((width) => '-'.repeat(width)).join('  '));
  lines.push('');
  lines.push(`Result: ${result.result}${describeRun(result)}`);
  return lines;
}

function describeRun(result: PipelineRunResult): string {
  if (result.waitingForApproval) {
    return ` (stage ${result.waitingForApproval.stage} waits for approval of ${result.waitingForApproval.environments.map((e) => `'${e}'`).join(', ')})`;
  }
  const tags = result.buildTags.length > 0 ? `; build tags: ${result.buildTags.join(', ')}` : '';
  return ` (run ${result.buildNumber}${tags})`;
}
