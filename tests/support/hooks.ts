import { stopAllEmulators } from './emulatorFixture';

/** Mocha root hooks (`.mocharc` `require: tests/dist/support/hooks.js`): stop the emulators after the run. */
export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopAllEmulators();
  },
};
