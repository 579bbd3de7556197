/** `node --import …/register.js dist/electron/main.js`: runs the main process on the fake 'electron'. */
import { register } from 'node:module';

register('./hooks.js', import.meta.url);
// The scenario a test drives step by step over the child_process IPC channel (remote.ts).
if (process.env.FAKE_ELECTRON_SCENARIO === 'remote') await import('./remote.js');
