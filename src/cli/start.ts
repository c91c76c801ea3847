import { runStart } from './runStart.js';

await runStart();
