/** A longer line is cut (what a script prints in one go, a whole array, must not hold the emulator's memory). */
export const MAX_LINE_CHARS = 16 * 1024;
/** At most this many characters are kept per container, newest lines first, whatever the line count. */
export const MAX_LOG_CHARS = 4 * 1024 * 1024;

/** The log of one container of a deployment (what getLogs answers), newest lines kept, bounded in lines and size. */
export class ContainerLog {
  private readonly lines: string[] = [];
  private chars = 0;

  constructor(
    private readonly maxLines = 10_000,
    private readonly maxChars = MAX_LOG_CHARS,
  ) {}

  /** Appends lines as written (the inference server stamps its own lines; the emulator's lines get a time). */
  write(line: string): void {
    const kept = line.length > MAX_LINE_CHARS ? `${line.slice(0, MAX_LINE_CHARS)} ... [${line.length - MAX_LINE_CHARS} more characters not kept]` : line;
    this.lines.push(kept);
    this.chars += kept.length;
    let drop = 0;
    while (this.lines.length - drop > 1 && (this.lines.length - drop > this.maxLines || this.chars > this.maxChars)) {
      this.chars -= this.lines[drop]!.length;
      drop++;
    }
    if (drop > 0) this.lines.splice(0, drop);
  }

  /** A line of the emulator itself, stamped like the inference server's (`2024-01-15 09:30:00,123`). */
  note(message: string): void {
    this.write(`${new Date().toISOString().replace('T', ' ').replace('.', ',').replace('Z', '')} | ${message}`);
  }

  /** The last `tail` lines (all when undefined), newline-terminated. */
  text(tail?: number): string {
    const kept = tail === undefined ? this.lines : tail <= 0 ? [] : this.lines.slice(-tail);
    return kept.map((line) => `${line}\n`).join('');
  }
}
