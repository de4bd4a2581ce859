/** Turns a plan into final request bodies once run.ts has resolved its placeholders (see plan.ts). */
import { hashAsUuid } from './hashing';
import type { JobBody, JobSubmissionPlan } from './plan';

/** Placeholder token -> value (azureml:// URI of an upload, ARM id of a code version or of a latest asset version). */
export type ResolvedPlaceholders = Readonly<Record<string, string>>;

export interface MaterializedComponent {
  readonly name: string;
  /** Content hash of the spec (azure-ai-ml's anonymous component version). */
  readonly version: string;
  readonly armId: string;
  /** PUT body of `{armId}` (ComponentVersion). */
  readonly body: {
    readonly properties: {
      readonly componentSpec: Record<string, unknown>;
      readonly description?: string;
      readonly tags?: Record<string, string>;
      readonly isAnonymous: true;
    };
  };
  readonly usedBy: readonly string[];
}

export interface MaterializedSubmission {
  /** Register these (GET, then PUT when absent) before submitting the job. */
  readonly components: readonly MaterializedComponent[];
  /** PUT body of `{workspaceId}/jobs/{name}`. */
  readonly job: JobBody;
}

const TOKEN = /\{\{plan:[a-z]+:\d+\}\}/g;

/**
 * Substitutes the resolved values into the component specs and the job body, and computes the component
 * versions. Throws a plain Error when run.ts left a placeholder unresolved (a programming error).
 */
export function materializeSubmission(plan: JobSubmissionPlan, resolved: ResolvedPlaceholders): MaterializedSubmission {
  const values = new Map<string, string>();
  const require = (placeholder: string, what: string): string => {
    const value = resolved[placeholder];
    if (value === undefined || value === '') throw new Error(`The job plan needs a value for ${placeholder} (${what}).`);
    return value;
  };
  for (const upload of plan.uploads) {
    const uri = require(upload.placeholder, `upload of ${upload.localPath}`);
    // azure-ai-ml ends folder URIs with '/', which tells the service the input is a folder.
    values.set(upload.placeholder, upload.pathKind === 'folder' && !uri.endsWith('/') ? `${uri}/` : uri);
  }
  for (const code of plan.codes) values.set(code.placeholder, require(code.placeholder, `code version of ${code.localPath}`));
  for (const asset of plan.assets) {
    if (asset.kind === 'latest') values.set(asset.placeholder, require(asset.placeholder, `latest version of ${asset.assetType}/${asset.name}`));
  }

  const components = plan.components.map((component): MaterializedComponent => {
    const spec = substitute(component.spec, values) as Record<string, unknown>;
    const { name: _name, version: _version, id: _id, ...hashed } = spec;
    const version = hashAsUuid(hashed);
    const armId = `${plan.workspaceId}/components/${component.name}/versions/${version}`;
    values.set(component.placeholder, armId);
    return {
      name: component.name,
      version,
      armId,
      body: {
        properties: {
          componentSpec: { ...spec, name: component.name, version },
          ...(component.description !== undefined ? { description: component.description } : {}),
          ...(component.tags ? { tags: { ...component.tags } } : {}),
          isAnonymous: true,
        },
      },
      usedBy: component.usedBy,
    };
  });
  return { components, job: substitute(plan.job, values) as JobBody };
}

function substitute(value: unknown, values: ReadonlyMap<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(TOKEN, (token) => {
      const replacement = values.get(token);
      if (replacement === undefined) throw new Error(`The job plan has no value for ${token}.`);
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item) => substitute(item, values));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, substitute(item, values)]));
  }
  return value;
}
