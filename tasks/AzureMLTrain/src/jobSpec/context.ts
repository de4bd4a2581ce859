/** Collects what a job YAML needs (uploads, codes, assets, environments, components) while it is read. */
import type {
  AssetReference,
  AssetType,
  PlannedCode,
  PlannedComponent,
  PlannedEnvironment,
  PlannedUpload,
  RestEnvironmentVersion,
} from './plan';

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

export class PlanContext {
  readonly warnings: string[] = [];
  private readonly uploadsByKey = new Map<string, Mutable<PlannedUpload>>();
  private readonly codesByPath = new Map<string, Mutable<PlannedCode>>();
  private readonly assetsByKey = new Map<string, Mutable<AssetReference>>();
  private readonly environmentsById = new Map<string, Mutable<PlannedEnvironment>>();
  private readonly componentList: PlannedComponent[] = [];
  private nextToken = 0;

  constructor(
    /** ARM id of the workspace. */
    readonly workspaceId: string,
  ) {}

  get uploads(): PlannedUpload[] {
    return [...this.uploadsByKey.values()];
  }
  get codes(): PlannedCode[] {
    return [...this.codesByPath.values()];
  }
  get assets(): AssetReference[] {
    return [...this.assetsByKey.values()];
  }
  get environments(): PlannedEnvironment[] {
    return [...this.environmentsById.values()];
  }
  get components(): PlannedComponent[] {
    return [...this.componentList];
  }

  warn(message: string): void {
    if (!this.warnings.includes(message)) this.warnings.push(message);
  }

  /** A local file/folder to upload as job input data; the same path and datastore is uploaded once. */
  addUpload(localPath: string, pathKind: 'file' | 'folder', datastore: string | undefined, usedBy: string): string {
    const key = `${datastore ?? ''}\u0000${localPath}`;
    const existing = this.uploadsByKey.get(key);
    if (existing) return use(existing, usedBy).placeholder;
    const upload = { placeholder: this.token('upload'), localPath, pathKind, ...(datastore ? { datastore } : {}), usedBy: [usedBy] };
    this.uploadsByKey.set(key, upload);
    return upload.placeholder;
  }

  /** A local code folder/file to upload and register; steps sharing a folder share one code version. */
  addCode(localPath: string, pathKind: 'file' | 'folder', usedBy: string): string {
    const existing = this.codesByPath.get(localPath);
    if (existing) return use(existing, usedBy).placeholder;
    const code = { placeholder: this.token('code'), localPath, pathKind, usedBy: [usedBy] };
    this.codesByPath.set(localPath, code);
    return code.placeholder;
  }

  /** An existing asset version; returns its ARM id. */
  addAssetVersion(assetType: AssetType, name: string, version: string, usedBy: string): string {
    const armId = `${this.workspaceId}/${assetType}/${name}/versions/${version}`;
    const key = `${assetType}/${name}/${version}`;
    const existing = this.assetsByKey.get(key);
    if (existing) use(existing, usedBy);
    else this.assetsByKey.set(key, { kind: 'version', assetType, name, version, armId, usedBy: [usedBy] });
    return armId;
  }

  /** An asset referenced by `@latest`; returns the placeholder run.ts replaces with the latest version's ARM id. */
  addAssetLatest(assetType: AssetType, name: string, usedBy: string): string {
    const key = `${assetType}/${name}@latest`;
    const existing = this.assetsByKey.get(key);
    if (existing && existing.kind === 'latest') return use(existing, usedBy).placeholder;
    const reference = { kind: 'latest' as const, assetType, name, placeholder: this.token('latest'), usedBy: [usedBy] };
    this.assetsByKey.set(key, reference);
    return reference.placeholder;
  }

  /** An environment version to create if absent; returns its ARM id. */
  addEnvironment(name: string, version: string, anonymous: boolean, properties: RestEnvironmentVersion, usedBy: string): string {
    const armId = `${this.workspaceId}/environments/${name}/versions/${version}`;
    const existing = this.environmentsById.get(armId);
    if (existing) use(existing, usedBy);
    else this.environmentsById.set(armId, { name, version, armId, anonymous, body: { properties }, usedBy: [usedBy] });
    return armId;
  }

  /** An anonymous component to register; returns the placeholder used as the step's componentId. */
  addComponent(component: Omit<PlannedComponent, 'placeholder'>): string {
    const placeholder = this.token('component');
    this.componentList.push({ ...component, placeholder });
    return placeholder;
  }

  private token(kind: string): string {
    return `{{plan:${kind}:${this.nextToken++}}}`;
  }
}

function use<T extends { usedBy: string[] }>(item: T, usedBy: string): T {
  if (!item.usedBy.includes(usedBy)) item.usedBy.push(usedBy);
  return item;
}
