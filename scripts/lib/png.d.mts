export declare function encodePng(width: number, height: number, rgba: Uint8Array): Buffer;
export declare function readPngSize(bytes: Uint8Array): { width: number; height: number } | undefined;
