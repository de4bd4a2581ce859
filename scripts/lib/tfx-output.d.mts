export declare function findTfxWarnings(output: string): string[];
