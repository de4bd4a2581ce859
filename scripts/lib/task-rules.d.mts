import type { Problem } from './problems.mjs';
export declare const REQUIRED_HANDLERS: string[];
export declare const HANDLER_MIN_AGENT: Record<string, string>;
export interface TaskManifestContext {
  file: string;
  folderName: string;
  stagedDir?: string;
  outputsSetInCode?: { name: string; where: string }[];
  publishedIds?: Map<string, string>;
}
export declare function checkTaskManifest(task: unknown, ctx: TaskManifestContext): Problem[];
export declare function checkTaskIdsUnique(manifests: { task: unknown; file: string }[]): Problem[];
export declare function readPublishedIds(markdownPath: string): Map<string, string>;
