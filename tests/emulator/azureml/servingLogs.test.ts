import assert from 'node:assert/strict';
import { ContainerLog, MAX_LINE_CHARS, MAX_LOG_CHARS } from '@azureml-mlops/emulator/dist/azureml/serving/containerLog';

describe('emulator Azure ML: a deployment container log stays bounded over a long run', function () {
  it('cuts a huge line (a script printing a whole array) and says how much was left out', function () {
    const log = new ContainerLog();
    log.write('x'.repeat(MAX_LINE_CHARS + 5000));
    const text = log.text();
    assert.ok(text.length < MAX_LINE_CHARS + 100, `kept ${text.length} characters`);
    assert.match(text, /\.\.\. \[5000 more characters not kept\]\n$/);
  });

  it('keeps the newest lines within its size, whatever their count, and tail still answers the last ones', function () {
    const log = new ContainerLog();
    const line = (i: number): string => `${String(i).padStart(6, '0')} ${'y'.repeat(MAX_LINE_CHARS - 10)}`;
    const written = Math.ceil((2 * MAX_LOG_CHARS) / MAX_LINE_CHARS);
    for (let i = 0; i < written; i++) log.write(line(i));
    const text = log.text();
    assert.ok(text.length <= MAX_LOG_CHARS + 10_000, `kept ${text.length} characters for a limit of ${MAX_LOG_CHARS}`);
    assert.ok(text.endsWith(`${line(written - 1)}\n`), 'the newest line is kept');
    assert.ok(!text.includes(line(0)), 'the oldest line went first');
    assert.equal(log.text(2), `${line(written - 2)}\n${line(written - 1)}\n`);
  });

  it('still keeps at most its number of lines', function () {
    const log = new ContainerLog(3);
    for (const word of ['a', 'b', 'c', 'd']) log.write(word);
    assert.equal(log.text(), 'b\nc\nd\n');
  });
});
