export declare const STAGED_TASK_FILES: string[];
export declare const TASK_ICON_SIZE: number;
export declare function extensionVersion(): string;
export declare function typeCheck(): void;
export declare function buildTasks(options?: { log?: (line: string) => void }): Promise<{ name: string; version: string; bundleBytes: number }[]>;
export declare function checkTasksTypeChecked(taskNames: string[], rootConfig: string, tasksDir: string): import('./problems.mjs').Problem[];
