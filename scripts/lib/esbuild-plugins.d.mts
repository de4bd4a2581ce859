export interface EsbuildPlugin {
  name: string;
  setup(build: unknown): void;
}
export declare function shelljsPlugin(): EsbuildPlugin;
export declare function preferModulePlugin(): EsbuildPlugin;
export declare function workspaceSourcesPlugin(sources: Record<string, string>): EsbuildPlugin;
export declare function makeShelljsCommandRequiresStatic(source: string, shelljsDir: string): string;
export declare function disableShelljsExecChild(source: string): string;
