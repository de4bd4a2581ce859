/** A step into a YAML document: a mapping key or a sequence index. */
export type PathSegment = string | number;

/**
 * Renders a path the way users write it in overrides and read it in messages:
 * `jobs.train.inputs.alpha`, `jobs.train.outputs[0]`, `tags["team.name"]`.
 */
export function formatYamlPath(path: readonly PathSegment[]): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (/^[A-Za-z0-9_$-]+$/.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** Parses `a.b[0].c` (dots may be escaped as `\.`) into segments; undefined when malformed. */
export function parseYamlPath(text: string): PathSegment[] | undefined {
  const segments: PathSegment[] = [];
  let current = '';
  let expectName = true; // a name must follow the start or a dot
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && text[i + 1] === '.') {
      current += '.';
      i++;
      expectName = false;
    } else if (ch === '.') {
      if (expectName && current === '') return undefined;
      if (current !== '') segments.push(current);
      current = '';
      expectName = true;
    } else if (ch === '[') {
      const close = text.indexOf(']', i);
      const index = close === -1 ? '' : text.slice(i + 1, close);
      if (!/^\d+$/.test(index)) return undefined;
      if (expectName) return undefined;
      if (current !== '') segments.push(current);
      current = '';
      segments.push(Number(index));
      i = close;
      expectName = false;
      if (i + 1 < text.length && text[i + 1] !== '.' && text[i + 1] !== '[') return undefined;
    } else if (ch === ']') {
      return undefined;
    } else {
      current += ch;
      expectName = false;
    }
  }
  if (expectName) return undefined;
  if (current !== '') segments.push(current);
  return segments.length > 0 ? segments : undefined;
}
