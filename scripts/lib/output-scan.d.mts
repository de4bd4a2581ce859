export declare function findOutputsSetInCode(srcDir: string): { name: string; where: string }[];
