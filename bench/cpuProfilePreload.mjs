// Loaded with NODE_OPTIONS=--import by bench/processCpu.ts --cpu-prof: each service process
// (started with `--only <service>`) profiles itself between two SIGUSR2s and writes the profile
// to CPU_PROFILE_DIR/<service>.cpuprofile, so a profile covers only the measured window.
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';
import process from 'node:process';

const only = process.argv.indexOf('--only');
const dir = process.env.CPU_PROFILE_DIR;
if (only >= 0 && dir) {
  const service = process.argv[only + 1];
  const session = new Session();
  session.connect();
  let running = false;
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 200 }, () => session.post('Profiler.start')));
      return;
    }
    running = false;
    session.post('Profiler.stop', (error, result) => {
      if (!error) fs.writeFileSync(path.join(dir, `${service}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
