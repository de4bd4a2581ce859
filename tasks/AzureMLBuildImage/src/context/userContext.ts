/**
 * The files of the user's build context, chosen as `az acr build` chooses them: `.dockerignore` at the context root
 * (in Docker's own matching rules: `foo` is `./foo` only, `**` spans folders, `!` re-includes even inside an excluded
 * folder), or `<Dockerfile name>.dockerignore` instead when there is one; version-control folders and files at the
 * root are always left out; the Dockerfile is always sent, under its path in the context (or, when it lives outside
 * the context, under a name of its own).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import ignore, { type Ignore } from '@balena/dockerignore';

/** What az acr build never uploads from the context root. */
export const DEFAULT_EXCLUDED = ['.git', '.gitignore', '.bzr', '.bzrignore', '.hg', '.hgignore', '.svn'] as const;

/** The archive name of a Dockerfile that lives outside the build context. */
export const OUTSIDE_DOCKERFILE_NAME = 'Dockerfile.azureml-build-image';

export interface ContextFile {
  /** Path in the archive, '/'-separated. */
  readonly archivePath: string;
  readonly absolutePath: string;
  readonly size: number;
  readonly executable: boolean;
}

export interface UserContext {
  /** Sorted by archive path. */
  readonly files: readonly ContextFile[];
  /** The Dockerfile's path in the archive (DockerBuildRequest.dockerFilePath). */
  readonly dockerfilePath: string;
  /** The ignore file applied ('.dockerignore', 'Dockerfile.prod.dockerignore'), if any. */
  readonly ignoreFile: string | undefined;
  /** Files the ignore rules left out. */
  readonly ignoredCount: number;
  /** Root entries left out by default (.git...), as found. */
  readonly defaultExcluded: readonly string[];
}

export function listUserContext(contextFolder: string, dockerfile: string): UserContext {
  const dockerfileName = path.basename(dockerfile);
  const rules = loadIgnoreRules(contextFolder, dockerfileName);
  const files: ContextFile[] = [];
  const defaultExcluded: string[] = [];
  let ignoredCount = 0;
  const visited = new Set<string>();
  // Without '!' rules an excluded folder cannot hold an included file: its walk can stop there.
  const hasExceptions = rules?.patterns.some((p) => p.startsWith('!')) ?? false;

  const walk = (absolute: string, relative: string): void => {
    const real = fs.realpathSync(absolute);
    if (visited.has(real)) return;
    visited.add(real);
    for (const name of fs.readdirSync(absolute).sort()) {
      const childAbsolute = path.join(absolute, name);
      const childRelative = relative === '' ? name : `${relative}/${name}`;
      if (relative === '' && (DEFAULT_EXCLUDED as readonly string[]).includes(name)) {
        defaultExcluded.push(name);
        continue;
      }
      let stat: fs.Stats;
      try {
        stat = fs.statSync(childAbsolute);
      } catch {
        continue; // A dangling symbolic link: nothing to send.
      }
      const ignored = rules?.matcher.ignores(childRelative) ?? false;
      if (stat.isDirectory()) {
        if (ignored && !hasExceptions) {
          ignoredCount += countFiles(childAbsolute);
          continue;
        }
        walk(childAbsolute, childRelative);
      } else if (stat.isFile()) {
        if (ignored || (rules?.ownFile === childRelative)) {
          ignoredCount += 1;
          continue;
        }
        files.push({ archivePath: childRelative, absolutePath: childAbsolute, size: stat.size, executable: (stat.mode & 0o111) !== 0 });
      }
    }
  };
  walk(contextFolder, '');

  // The Dockerfile is sent even when the rules exclude it (Docker and az acr build do the same).
  const inside = path.relative(contextFolder, dockerfile);
  let dockerfilePath: string;
  if (inside !== '' && !inside.startsWith('..') && !path.isAbsolute(inside)) {
    dockerfilePath = inside.split(path.sep).join('/');
  } else {
    dockerfilePath = OUTSIDE_DOCKERFILE_NAME;
  }
  if (!files.some((file) => file.archivePath === dockerfilePath)) {
    const stat = fs.statSync(dockerfile);
    files.push({ archivePath: dockerfilePath, absolutePath: dockerfile, size: stat.size, executable: false });
  }
  files.sort((a, b) => (a.archivePath < b.archivePath ? -1 : a.archivePath > b.archivePath ? 1 : 0));
  return { files, dockerfilePath, ignoreFile: rules?.file, ignoredCount, defaultExcluded };
}

interface IgnoreRules {
  readonly file: string;
  /** The override file itself is not sent (az acr build's rule). */
  readonly ownFile: string | undefined;
  readonly patterns: readonly string[];
  readonly matcher: Ignore;
}

function loadIgnoreRules(contextFolder: string, dockerfileName: string): IgnoreRules | undefined {
  const override = dockerfileName !== 'Dockerfile' ? `${dockerfileName}.dockerignore` : undefined;
  const file = override && fs.existsSync(path.join(contextFolder, override)) ? override : fs.existsSync(path.join(contextFolder, '.dockerignore')) ? '.dockerignore' : undefined;
  if (!file) return undefined;
  const patterns = parseDockerignore(fs.readFileSync(path.join(contextFolder, file), 'utf8'));
  return { file, ownFile: file === override ? file : undefined, patterns, matcher: ignore().add([...patterns]) };
}

/** The patterns of a .dockerignore file: comments and blank lines dropped, a UTF-8 BOM tolerated. */
export function parseDockerignore(text: string): string[] {
  return text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

function countFiles(folder: string): number {
  let count = 0;
  try {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true, recursive: true })) if (entry.isFile()) count += 1;
  } catch {
    return count;
  }
  return count;
}
