export declare function parseVersion(version: string): { major: number; minor: number; patch: number };
export declare function stampTaskVersion<T extends { version?: object }>(taskJson: T, extensionVersion: string): T & { version: { Major: number; Minor: number; Patch: number } };
export declare function compareVersions(a: string, b: string): number;
