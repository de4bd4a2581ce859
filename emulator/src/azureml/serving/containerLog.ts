/** The log of one container of a deployment (what getLogs answers), newest lines kept. */
export class ContainerLog {
  private readonly lines: string[] = [];

  constructor(private readonly maxLines = 10_000) {}

  /** Appends lines as written (the inference server stamps its own lines; the emulator's lines get a time). */
  write(line: string): void {
    this.lines.push(line);
    if (this.lines.length > this.maxLines) this.lines.splice(0, this.lines.length - this.maxLines);
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
