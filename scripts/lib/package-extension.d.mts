export declare const OVERVIEW_START: string;
export declare const OVERVIEW_END: string;
export declare function extractOverview(readme: string): string;
export declare function devTaskVariant<T extends { id: string; friendlyName: string }>(task: T, devExtensionKey: string): T;
export declare function packageExtension(options: { dev?: boolean; version: string; log?: (line: string) => void }): Promise<{ vsixPath: string; bytes: number; tfxOutput: string }>;
export declare function createVsix(options: { root: string; vsixPath: string; overridesFile?: string; log?: (line: string) => void }): Promise<{ bytes: number; tfxOutput: string }>;
