import type { Problem } from './problems.mjs';
export declare function loadTaskSchema(schemaPath: string): { validate(task: unknown, file: string): Problem[] } | { skipped: string };
