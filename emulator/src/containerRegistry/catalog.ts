/** One manifest of a repository: what `az acr repository show-manifests` lists. */
export interface ImageManifest {
  readonly digest: string;
  readonly createdTime: string;
  /** Tags pointing at it now (a tag moves when it is pushed again). */
  readonly tags: string[];
  /** The ACR run that pushed it first (undefined for an imported one). */
  readonly runId: string | undefined;
}

/**
 * The images of the registry: per repository, its manifests (by digest) and tags, so that later checks (`show-tags`,
 * an import, the inspector) see what the builds pushed.
 */
export class ImageCatalog {
  private readonly repositories = new Map<string, Map<string, ImageManifest>>();

  /** Points `tags` of `repository` at `digest` (creating the manifest), moving each tag from where it was. */
  push(repository: string, digest: string, tags: readonly string[], runId: string | undefined): void {
    let manifests = this.repositories.get(repository);
    if (!manifests) {
      manifests = new Map();
      this.repositories.set(repository, manifests);
    }
    for (const manifest of manifests.values()) {
      for (const tag of tags) {
        const index = manifest.tags.indexOf(tag);
        if (index >= 0 && manifest.digest !== digest) manifest.tags.splice(index, 1);
      }
    }
    let manifest = manifests.get(digest);
    if (!manifest) {
      manifest = { digest, createdTime: new Date().toISOString(), tags: [], runId };
      manifests.set(digest, manifest);
    }
    for (const tag of tags) if (!manifest.tags.includes(tag)) manifest.tags.push(tag);
  }

  /** The digest `reference` (`tag` or `sha256:...`) designates in `repository`, or undefined. */
  resolve(repository: string, reference: string): string | undefined {
    const manifests = this.repositories.get(repository);
    if (!manifests) return undefined;
    if (reference.startsWith('sha256:')) return manifests.has(reference) ? reference : undefined;
    for (const manifest of manifests.values()) if (manifest.tags.includes(reference)) return manifest.digest;
    return undefined;
  }

  /** The tag's digest, when it points somewhere else than `digest`. */
  tagElsewhere(repository: string, tag: string, digest: string): string | undefined {
    const current = this.resolve(repository, tag);
    return current !== undefined && current !== digest ? current : undefined;
  }

  manifests(repository: string): ImageManifest[] {
    return [...(this.repositories.get(repository)?.values() ?? [])].map((m) => ({ ...m, tags: [...m.tags].sort() }));
  }

  repositoryNames(): string[] {
    return [...this.repositories.keys()].sort();
  }
}
