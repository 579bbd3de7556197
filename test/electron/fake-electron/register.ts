/** `node --import …/register.js dist/electron/main.js`: runs the main process on the fake 'electron'. */
import { register } from 'node:module';

register('./hooks.js', import.meta.url);
