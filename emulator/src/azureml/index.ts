// PLACEHOLDER until the Azure ML module lands: registers no routes.
import type { Router } from '../http/router';
import type { EmulatorContext } from '../context';
import type { EmulatorInspector } from '../api';

/** What the Azure ML module gives back to the emulator assembly. */
export interface AzureMlModule {
  readonly inspect: Pick<EmulatorInspector, 'job' | 'jobNames' | 'metrics'>;
  stop(): Promise<void>;
}

export function registerAzureMl(_router: Router, _ctx: EmulatorContext): AzureMlModule {
  return {
    inspect: { job: () => undefined, jobNames: () => [], metrics: () => ({}) },
    stop: async () => undefined,
  };
}
