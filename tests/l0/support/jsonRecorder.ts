/**
 * What the fakes saw the task do travels back from the runner script to the mocha side in a JSON file. The fakes
 * write it at creation and after every change (so a task that fails or is stopped half-way still leaves what it did);
 * the test reads it after the run.
 */
import * as fs from 'node:fs';

/** In a runner script: `record`, kept in `file`; change it, then save(). */
export class JsonRecorder<T> {
  constructor(
    private readonly file: string,
    readonly record: T,
  ) {
    this.save();
  }

  save(): void {
    fs.writeFileSync(this.file, JSON.stringify(this.record));
  }
}

/** In a mocha test: the record the fakes left; `ifMissing` when a run may stop before its fakes are made. */
export function readRecord<T>(file: string, ifMissing?: () => T): T {
  if (ifMissing && !fs.existsSync(file)) return ifMissing();
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}
