/**
 * Growing log files (a job's std_log, an ACR run's log) turned into lines for the task log: complete lines only,
 * progress output collapsed as a terminal shows it, and agent commands made harmless.
 */
import { StringDecoder } from 'node:string_decoder';

/** A line without a newline longer than this is printed anyway (a script writing binary or a huge JSON blob). */
const MAX_PARTIAL_CHARS = 64 * 1024;

/**
 * Turns the bytes of a growing log file into complete lines. A chunk may end inside a line or inside a UTF-8
 * character: what is not complete yet is kept until the next chunk (or `end()`, once the job is over).
 */
export class LogLineReader {
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';

  /** The lines completed by `chunk`. */
  push(chunk: Buffer): string[] {
    const text = this.partial + this.decoder.write(chunk);
    const parts = text.split('\n');
    this.partial = parts.pop() ?? '';
    if (this.partial.length > MAX_PARTIAL_CHARS) {
      parts.push(this.partial);
      this.partial = '';
    }
    return parts.map(displayedLine);
  }

  /** What is left once no more bytes will come (a last line without newline). */
  end(): string[] {
    const text = this.partial + this.decoder.end();
    this.partial = '';
    return text.length > 0 ? [displayedLine(text)] : [];
  }
}

/**
 * A log line as a terminal would show it: a carriage return (progress bars) overwrites what came before it, so only
 * the last non-empty segment is kept.
 */
function displayedLine(line: string): string {
  const withoutCr = line.endsWith('\r') ? line.slice(0, -1) : line;
  if (!withoutCr.includes('\r')) return withoutCr;
  const segments = withoutCr.split('\r').filter((s) => s.length > 0);
  return segments[segments.length - 1] ?? '';
}

/**
 * A line of the job's output made harmless for the agent: it runs `##vso[...]` anywhere in a line as a logging
 * command and `##[...]` at the start of a line as formatting, and a training job (code and data the pipeline does
 * not control) must not set pipeline variables, fail the step or break the log's groups.
 */
export function neutralizeAgentCommands(line: string): string {
  return line.replace(/##vso\[/gi, (m) => `${m.slice(0, 5)} [`).replace(/^(\s*)##\[/, '$1## [');
}
