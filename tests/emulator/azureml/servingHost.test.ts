import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { InferenceServerProcess, pythonExecutable } from '@azureml-mlops/emulator/dist/azureml/serving/inferenceServer';

/**
 * The Python inference server as a user reaches it by hand (`python3 inference_server.py --port 5001`, then curl),
 * not through the endpoint's front end: the request framings a client may use.
 */
describe('emulator Azure ML: the inference server host reads every request body a client may send', function () {
  this.timeout(30_000);
  let dir: string;
  let server: InferenceServerProcess;
  let port: number;

  before(async function () {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'serving-host-'));
    fs.writeFileSync(path.join(dir, 'score.py'), 'def init():\n    pass\n\ndef run(raw_data):\n    return {"received": raw_data}\n');
    server = new InferenceServerProcess({
      python: await pythonExecutable(),
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', AML_APP_ROOT: dir, AZUREML_ENTRY_SCRIPT: 'score.py' },
      onLine: () => undefined,
    });
    port = await server.ready;
  });

  after(async function () {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('passes a chunked body (no Content-Length) to run() whole', async function () {
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/score', headers: { 'content-type': 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.write('{"data": [[1, 2');
      req.end(', 3]]}');
    });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(JSON.parse(answer.text), { received: '{"data": [[1, 2, 3]]}' });
  });

  it('answers 400 to a Content-Length that is not a number, rather than dropping the connection', async function () {
    const head = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end('POST /score HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    assert.match(head, /^HTTP\/1\.1 400 /);
    assert.match(head, /The request body cannot be read/);
  });
});
