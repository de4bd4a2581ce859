import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { ContainerClient, StorageSharedKeyCredential } from '@azure/storage-blob';
import {
  COMPLETION_MARKER_FOLDER,
  TaskError,
  UploadBlob,
  UploadContainer,
  contentHash,
  listFolderFiles,
  uploadIfChanged,
} from '@azureml-mlops/shared';

/** In-memory container: records every blob write in order; can fail the n-th file upload. */
class FakeContainer implements UploadContainer {
  readonly url = 'https://acct.blob.core.windows.net/workspaceblobstore?sv=2021&sig=secret';
  readonly blobs = new Map<string, Buffer>();
  readonly writes: string[] = [];
  failUploadNumber?: number;
  private uploads = 0;

  getBlockBlobClient(name: string): UploadBlob {
    return {
      exists: async () => this.blobs.has(name),
      uploadFile: async (filePath: string) => {
        this.uploads += 1;
        if (this.uploads === this.failUploadNumber) throw new Error('network down');
        await new Promise((resolve) => setTimeout(resolve, 1));
        this.blobs.set(name, fs.readFileSync(filePath));
        this.writes.push(name);
      },
      upload: async (body: Buffer) => {
        this.blobs.set(name, Buffer.from(body));
        this.writes.push(name);
      },
    };
  }
}

function makeTree(root: string, files: Record<string, string>): void {
  for (const [relative, content] of Object.entries(files)) {
    const full = path.join(root, relative);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    fs.writeFileSync(full, content);
  }
}

describe('shared/storage', () => {
  let temp: string;
  beforeEach(() => {
    temp = fs.mkdtempSync(path.join(os.tmpdir(), 'upload-test-'));
  });
  afterEach(() => fs.rmSync(temp, { recursive: true, force: true }));

  describe('file set', () => {
    it('applies .amlignore over .gitignore, nested ignore files and negations, and skips .git', () => {
      const src = path.join(temp, 'src');
      makeTree(src, {
        '.amlignore': '*.log\ndata/\n',
        '.gitignore': '*.py\n', // ignored itself: .amlignore wins in the same folder
        'train.py': 'print(1)',
        'debug.log': 'x',
        'data/big.csv': 'x',
        'pkg/.gitignore': '*.tmp\n!keep.log\n',
        'pkg/a.tmp': 'x',
        'pkg/keep.log': 'kept: a deeper file re-includes it',
        'pkg/other.log': 'x',
        'pkg/mod.py': 'x',
        '.git/HEAD': 'ref',
      });
      assert.deepEqual(
        listFolderFiles(src).map((f) => f.relativePath),
        ['.amlignore', '.gitignore', 'pkg/.gitignore', 'pkg/keep.log', 'pkg/mod.py', 'train.py'],
      );
    });

    it('uses .gitignore when there is no .amlignore', () => {
      makeTree(temp, { '.gitignore': '__pycache__/\n/outputs\n', 'a.py': '', '__pycache__/a.pyc': '', 'outputs/m.pkl': '', 'sub/outputs/keep.txt': '' });
      assert.deepEqual(listFolderFiles(temp).map((f) => f.relativePath), ['.gitignore', 'a.py', 'sub/outputs/keep.txt']);
    });
  });

  describe('content hash', () => {
    it('is stable, independent of file creation order, and changes with names and contents', async () => {
      const a = path.join(temp, 'a');
      const b = path.join(temp, 'b');
      makeTree(a, { 'x.txt': '1', 'd/y.txt': '2' });
      makeTree(b, { 'd/y.txt': '2', 'x.txt': '1' });
      const hashA = await contentHash('folder', listFolderFiles(a));
      assert.match(hashA, /^[0-9a-f]{64}$/);
      assert.equal(await contentHash('folder', listFolderFiles(b)), hashA);
      fs.writeFileSync(path.join(b, 'x.txt'), '2');
      assert.notEqual(await contentHash('folder', listFolderFiles(b)), hashA);
      fs.writeFileSync(path.join(b, 'x.txt'), '1');
      fs.renameSync(path.join(b, 'x.txt'), path.join(b, 'z.txt'));
      assert.notEqual(await contentHash('folder', listFolderFiles(b)), hashA);
    });

    it('frames paths and contents unambiguously', async () => {
      makeTree(temp, { one: 'ab', two: 'a' });
      const files = (names: Array<[string, string]>) =>
        names.map(([relativePath, file]) => ({ relativePath, absolutePath: path.join(temp, file), size: fs.statSync(path.join(temp, file)).size }));
      // Same concatenation of path+content ("ab" / "a" + "b") must not collide.
      assert.notEqual(await contentHash('folder', files([['x', 'one']])), await contentHash('folder', files([['xa', 'two']])));
    });
  });

  describe('uploadIfChanged', () => {
    it('uploads a folder under LocalUpload/<hash>/<basename> and writes the marker last', async () => {
      const src = path.join(temp, 'src');
      makeTree(src, { 'train.py': 'print(1)', 'lib/util.py': 'x = 2', 'notes.log': 'x', '.amlignore': '*.log' });
      const container = new FakeContainer();
      const result = await uploadIfChanged(container, src, { concurrency: 2 });
      assert.equal(result.uploaded, true);
      assert.equal(result.fileCount, 3);
      assert.equal(result.totalBytes, 'print(1)'.length + 'x = 2'.length + '*.log'.length);
      assert.equal(result.blobPath, `LocalUpload/${result.hash}/src`);
      assert.equal(result.blobUri, `https://acct.blob.core.windows.net/workspaceblobstore/LocalUpload/${result.hash}/src`, 'no SAS in the URI');
      assert.deepEqual(
        [...container.blobs.keys()].filter((k) => !k.includes(COMPLETION_MARKER_FOLDER)).sort(),
        [`LocalUpload/${result.hash}/src/.amlignore`, `LocalUpload/${result.hash}/src/lib/util.py`, `LocalUpload/${result.hash}/src/train.py`],
      );
      assert.equal(container.writes.at(-1), `LocalUpload/${result.hash}/${COMPLETION_MARKER_FOLDER}/src`);
      assert.equal(container.blobs.get(`LocalUpload/${result.hash}/src/train.py`)?.toString(), 'print(1)');
    });

    it('reuses a complete upload of the same content', async () => {
      const src = path.join(temp, 'src');
      makeTree(src, { 'train.py': 'print(1)' });
      const container = new FakeContainer();
      const first = await uploadIfChanged(container, src);
      const writes = container.writes.length;
      const second = await uploadIfChanged(container, src);
      assert.equal(second.uploaded, false);
      assert.equal(second.hash, first.hash);
      assert.equal(container.writes.length, writes, 'nothing written again');
      fs.writeFileSync(path.join(src, 'train.py'), 'print(2)');
      const third = await uploadIfChanged(container, src);
      assert.equal(third.uploaded, true);
      assert.notEqual(third.hash, first.hash);
    });

    it('redoes an upload that was interrupted before its marker', async () => {
      const src = path.join(temp, 'src');
      makeTree(src, { 'a.py': 'a', 'b.py': 'b', 'c.py': 'c' });
      const container = new FakeContainer();
      container.failUploadNumber = 2;
      await assert.rejects(uploadIfChanged(container, src, { concurrency: 1 }), /network down/);
      assert.equal([...container.blobs.keys()].some((k) => k.includes(COMPLETION_MARKER_FOLDER)), false, 'no marker after a failure');
      const retried = await uploadIfChanged(container, src, { concurrency: 1 });
      assert.equal(retried.uploaded, true);
      assert.equal(container.blobs.get(`LocalUpload/${retried.hash}/src/c.py`)?.toString(), 'c');
    });

    it('uploads a single file under its name', async () => {
      const file = path.join(temp, 'model.pkl');
      fs.writeFileSync(file, 'weights');
      const container = new FakeContainer();
      const result = await uploadIfChanged(container, file);
      assert.equal(result.blobPath, `LocalUpload/${result.hash}/model.pkl`);
      assert.equal(container.blobs.get(result.blobPath)?.toString(), 'weights');
      assert.equal(result.fileCount, 1);
    });

    it('refuses a folder with nothing left to upload', async () => {
      makeTree(temp, { 'src/.amlignore': '*\n' });
      await assert.rejects(uploadIfChanged(new FakeContainer(), path.join(temp, 'src')), (error: unknown) => {
        assert.ok(error instanceof TaskError);
        assert.match(error.message, /Nothing to upload .* excluded by \.amlignore\/\.gitignore/);
        return true;
      });
    });

    it('accepts a real @azure/storage-blob ContainerClient (compile-time contract)', () => {
      const client: UploadContainer = new ContainerClient(
        'https://acct.blob.core.windows.net/c',
        new StorageSharedKeyCredential('acct', Buffer.from('key').toString('base64')),
      );
      assert.equal(client.url, 'https://acct.blob.core.windows.net/c');
    });
  });
});
