export interface Problem {
  readonly rule: string;
  readonly file: string;
  readonly message: string;
}
export declare function problem(rule: string, file: string, message: string): Problem;
export declare function formatProblem(p: Problem): string;
export declare class BuildFailure extends Error {
  constructor(summary: string, problems?: Problem[]);
  readonly summary: string;
  readonly problems: Problem[];
}
export declare function runCli(main: () => Promise<void>): Promise<void>;
