import { posix } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';

/** One instruction as `docker build` prints it: `Step 3/9 : COPY score/ /var/azureml-app/`. */
export interface DockerfileStep {
  readonly line: number;
  readonly keyword: string;
  readonly text: string;
}

export interface DockerfileAnalysis {
  readonly steps: readonly DockerfileStep[];
  /** Images of the FROM instructions that are not earlier stages (the run's runtime dependencies). */
  readonly baseImages: readonly string[];
  /**
   * What stops the build, in Docker's words: a parse error (before any step; `failedStep` undefined) or a step that
   * cannot run (a COPY or ADD source missing from the context).
   */
  readonly error?: string;
  /** Index in `steps` of the step that fails. */
  readonly failedStep?: number;
}

/** The instructions of the Dockerfile reference; anything else is a parse error. */
const KNOWN = new Set([
  'ADD', 'ARG', 'CMD', 'COPY', 'ENTRYPOINT', 'ENV', 'EXPOSE', 'FROM', 'HEALTHCHECK', 'LABEL', 'MAINTAINER', 'ONBUILD', 'RUN', 'SHELL', 'STOPSIGNAL',
  'USER', 'VOLUME', 'WORKDIR',
]);

/**
 * Checks a Dockerfile the way the legacy builder ACR runs would meet its problems: parse errors first (unknown
 * instruction, no FROM before the first build instruction, FROM without an image), then, step by step, the COPY and
 * ADD sources against the files the context offers (`.dockerignore` applied). RUN instructions are not executed.
 */
export function analyzeDockerfile(
  content: string,
  copyable: ReadonlySet<string>,
  buildArgs: Readonly<Record<string, string>>,
): DockerfileAnalysis {
  const dockerfile = DockerfileParser.parse(content);
  const instructions = dockerfile.getInstructions();
  if (instructions.length === 0) return { steps: [], baseImages: [], error: 'the Dockerfile (Dockerfile) cannot be empty' };
  for (const instruction of instructions) {
    const keyword = instruction.getKeyword().toUpperCase();
    if (!KNOWN.has(keyword)) {
      return { steps: [], baseImages: [], error: `Error response from daemon: dockerfile parse error line ${lineOf(instruction)}: unknown instruction: ${instruction.getKeyword()}` };
    }
  }
  const firstBuild = instructions.find((i) => i.getKeyword().toUpperCase() !== 'ARG');
  if (!firstBuild || firstBuild.getKeyword().toUpperCase() !== 'FROM') {
    const line = firstBuild ? lineOf(firstBuild) : lineOf(instructions[instructions.length - 1]!);
    return { steps: [], baseImages: [], error: `Error response from daemon: dockerfile parse error line ${line}: no build stage in current context: a Dockerfile starts with FROM (only ARG may come before it)` };
  }

  const steps: DockerfileStep[] = instructions.map((i) => ({ line: lineOf(i), keyword: i.getKeyword().toUpperCase(), text: stepText(i) }));
  const variables = new Map<string, string>();
  const stages = new Set<string>();
  const baseImages: string[] = [];
  for (const [index, instruction] of instructions.entries()) {
    const keyword = steps[index]!.keyword;
    const args = instruction.getArguments().map((a) => a.getValue());
    if (keyword === 'ARG') {
      for (const arg of args) {
        const [name, ...rest] = arg.split('=');
        if (name) variables.set(name, buildArgs[name] ?? (rest.length > 0 ? rest.join('=') : variables.get(name) ?? ''));
      }
    } else if (keyword === 'ENV') {
      for (const pair of args) {
        const equals = pair.indexOf('=');
        if (equals > 0) variables.set(pair.slice(0, equals), pair.slice(equals + 1));
      }
    } else if (keyword === 'FROM') {
      const image = args[0];
      if (!image) return { steps, baseImages, error: `Error response from daemon: dockerfile parse error line ${steps[index]!.line}: FROM requires either one or three arguments`, failedStep: index };
      const expanded = expand(image, variables) ?? image;
      if (!stages.has(expanded.toLowerCase())) baseImages.push(expanded);
      if (args.length >= 3 && args[1]!.toUpperCase() === 'AS') stages.add(args[2]!.toLowerCase());
    } else if (keyword === 'COPY' || keyword === 'ADD') {
      const problem = missingSource(instruction, keyword, variables, copyable);
      if (problem) return { steps, baseImages, error: problem, failedStep: index };
    }
  }
  return { steps, baseImages };
}

function lineOf(instruction: Instruction): number {
  return instruction.getRange().start.line + 1;
}

/** The instruction on one line, continuation lines joined, as `docker build` echoes it. */
function stepText(instruction: Instruction): string {
  const args = instruction.getArgumentsContent() ?? '';
  return `${instruction.getKeyword().toUpperCase()} ${args.replace(/\s+/g, ' ').trim()}`.trim();
}

function missingSource(instruction: Instruction, keyword: 'COPY' | 'ADD', variables: ReadonlyMap<string, string>, copyable: ReadonlySet<string>): string | undefined {
  const flags = (instruction as { getFlags?: () => Array<{ getName(): string }> }).getFlags?.() ?? [];
  // COPY --from reads another stage or image, not the context.
  if (flags.some((flag) => flag.getName().toLowerCase() === 'from')) return undefined;
  const sources = sourcesOf(instruction);
  if (sources === undefined) return `Error response from daemon: dockerfile parse error line ${lineOf(instruction)}: ${keyword} requires at least two arguments`;
  for (const raw of sources) {
    if (keyword === 'ADD' && /^(https?|git):\/\//i.test(raw)) continue;
    const source = expand(raw, variables);
    if (source === undefined) continue; // A variable the emulator cannot resolve: nothing to check.
    const path = posix.normalize(source.replace(/^\/+/, '') || '.').replace(/(.)\/+$/, '$1');
    if (path === '..' || path.startsWith('../')) return `${keyword} failed: forbidden path outside the build context: ${raw} ()`;
    if (!present(path, copyable)) {
      return `${keyword} failed: file not found in build context or excluded by .dockerignore: stat ${path}: file does not exist`;
    }
  }
  return undefined;
}

/** The source arguments (all but the destination), from the shell form or the JSON form; undefined when too few. */
function sourcesOf(instruction: Instruction): string[] | undefined {
  const content = (instruction.getArgumentsContent() ?? '').trim();
  let args: string[];
  if (content.startsWith('[')) {
    try {
      const parsed = JSON.parse(content) as unknown;
      args = Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      args = instruction.getArguments().map((a) => a.getValue());
    }
  } else {
    args = instruction.getArguments().map((a) => a.getValue());
  }
  return args.length >= 2 ? args.slice(0, -1) : undefined;
}

/** `$NAME` and `${NAME}` replaced; undefined when a variable is unknown. */
function expand(text: string, variables: ReadonlyMap<string, string>): string | undefined {
  let unknown = false;
  const result = text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?::[-+][^}]*)?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_match, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare ?? '';
    const value = variables.get(name);
    if (value === undefined) unknown = true;
    return value ?? '';
  });
  return unknown ? undefined : result;
}

/** A file, a folder holding copyable files, or a wildcard matching one of them. */
function present(path: string, copyable: ReadonlySet<string>): boolean {
  if (path === '.') return copyable.size > 0;
  if (/[*?[]/.test(path)) {
    const pattern = globToRegExp(path);
    return [...copyable].some((file) => pattern.test(file) || ancestors(file).some((folder) => pattern.test(folder)));
  }
  if (copyable.has(path)) return true;
  const prefix = `${path}/`;
  for (const file of copyable) if (file.startsWith(prefix)) return true;
  return false;
}

function ancestors(file: string): string[] {
  const parts = file.split('/');
  return parts.slice(1).map((_, i) => parts.slice(0, i + 1).join('/'));
}

/** Go's filepath.Match, as COPY uses it: `*` and `?` stay within one path segment. */
function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${glob.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
