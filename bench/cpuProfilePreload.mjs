// Loaded with NODE_OPTIONS=--import by bench/processCpu.ts --cpu-prof: each service process
// (started with `--only <service>`) profiles itself between two SIGUSR2s and writes the profile
// to CPU_PROFILE_DIR/<service>.cpuprofile, so a profile covers only the measured window, and its
// event loop's delay over the window (ms) to <service>.loop.json.
import fs from 'node:fs';
import path from 'node:path';
import { Session } from 'node:inspector';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import process from 'node:process';

const only = process.argv.indexOf('--only');
const dir = process.env.CPU_PROFILE_DIR;
if (only >= 0 && dir) {
  const service = process.argv[only + 1];
  const session = new Session();
  session.connect();
  let running = false;
  // The event loop's delay over the window too: how long a ready callback (a reply) waits its turn.
  const delay = monitorEventLoopDelay({ resolution: 5 });
  process.on('SIGUSR2', () => {
    if (!running) {
      running = true;
      delay.enable();
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 200 }, () =>
          session.post('Profiler.start'),
        ),
      );
      return;
    }
    running = false;
    delay.disable();
    const ms = (ns) => Math.round(ns / 1e5) / 10;
    fs.writeFileSync(
      path.join(dir, `${service}.loop.json`),
      JSON.stringify({
        p50: ms(delay.percentile(50)),
        p90: ms(delay.percentile(90)),
        p99: ms(delay.percentile(99)),
        max: ms(delay.max),
      }),
    );
    session.post('Profiler.stop', (error, result) => {
      if (!error)
        fs.writeFileSync(path.join(dir, `${service}.cpuprofile`), JSON.stringify(result.profile));
    });
  });
}
