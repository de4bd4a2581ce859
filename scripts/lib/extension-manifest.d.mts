import type { Problem } from './problems.mjs';
export declare const TASK_CONTRIBUTION_TYPE: string;
export declare const TASK_CONTRIBUTION_TARGET: string;
export declare function checkExtensionManifest(manifest: unknown, taskNames: string[], file: string): Problem[];
export declare function contributionIdFor(taskName: string): string;
export declare function stageManifest<T extends object>(manifest: T, version: string): T & { version: string };
