import type { YamlDocument } from './document';
import { parseYamlPath, type PathSegment } from './path';
import { YamlMapping, type YamlValue } from './value';

/**
 * The value at `path` (`jobs.train.inputs.alpha` or segments), or a value of kind 'absent' when any
 * step is missing or is not a collection. Never throws for a missing path.
 */
export function valueAt(document: YamlDocument, path: string | readonly PathSegment[]): YamlValue {
  const segments = typeof path === 'string' ? (parseYamlPath(path) ?? []) : path;
  let current: YamlValue = document.root();
  for (const segment of segments) {
    if (typeof segment === 'number') {
      const items = current.kind === 'sequence' ? current.sequence('') : undefined;
      const item = items?.[segment];
      if (!item) return absentUnder(current, segment);
      current = item;
    } else {
      if (current.kind !== 'mapping') return absentUnder(current, segment);
      current = new YamlMapping(current.document, current.path, current.node, undefined, current.parent).get(segment);
    }
  }
  return current;
}

/** 1-based line of the field at `path` in the file; undefined when absent or set by an override. */
export function lineOf(document: YamlDocument, path: string | readonly PathSegment[]): number | undefined {
  const value = valueAt(document, path);
  return value.kind === 'absent' ? undefined : value.line();
}

function absentUnder(parent: YamlValue, segment: PathSegment): YamlValue {
  const holder = parent.kind === 'mapping' ? (parent as YamlMapping) : new YamlMapping(parent.document, parent.path, undefined, undefined, parent.parent);
  return typeof segment === 'string' ? holder.get(segment) : holder.get(String(segment));
}
