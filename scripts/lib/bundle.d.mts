import type { Problem } from './problems.mjs';
export interface MetafileLike {
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
}
export interface DynamicRequire {
  file: string;
  line: number;
  text: string;
}
export declare function bundleTask(options: { entryPoint: string; outfile: string; absWorkingDir: string; extensionVersion: string }): Promise<{ metafile: MetafileLike; dynamicRequires: DynamicRequire[] }>;
export declare function packageRoots(metafile: MetafileLike): Map<string, Set<string>>;
export declare function checkBundle(metafile: MetafileLike, ctx: { taskName: string; allTaskNames: string[]; file: string; dynamicRequires?: DynamicRequire[] }): Problem[];
