import { spawn } from 'node:child_process';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log/logger.js';
import { restartDelay } from '../../src/supervisor/backoff.js';
import { ServiceProcess } from '../../src/supervisor/serviceProcess.js';

/**
 * The supervisor with real child processes: a service that dies is started again after a delay
 * that doubles and is forgiven once the service stays up; the log says why it died (an exit code,
 * a signal, the heap cap); a stop is a graceful SIGTERM; a killed supervisor leaves no service.
 */
const SERVICE = fileURLToPath(new URL('./fixtures/service.ts', import.meta.url));
const TSX = ['--import', import.meta.resolve('tsx')];

interface LogLine {
  msg: string;
  service?: string;
  reason?: string;
  restartInMs?: number;
  attempt?: number;
}

function supervised(
  env: Record<string, string>,
  backoff = { initialDelayMs: 100, maxDelayMs: 400, resetAfterMs: 60_000 },
  heapMb = 128,
  semiSpaceMb?: number,
) {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write: (chunk: Buffer, _e, done) => (
      lines.push(JSON.parse(chunk.toString()) as LogLine),
      done()
    ),
  });
  const service = new ServiceProcess({
    name: 'fixture',
    script: SERVICE,
    args: [],
    execArgv: TSX,
    env: { ...process.env, ...env },
    portVariable: 'PORT',
    heapMb,
    semiSpaceMb,
    backoff,
    logger: createLogger('test', 'info', sink),
  });
  return { service, lines, deaths: () => lines.filter((l) => / died: /.test(l.msg)) };
}

const until = async (check: () => boolean, ms: number) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

let running: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(running.map((s) => s.stop()));
  running = [];
});

describe('restart delay', () => {
  it('doubles from the first delay up to the ceiling', () => {
    const policy = { initialDelayMs: 500, maxDelayMs: 30_000, resetAfterMs: 60_000 };
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => restartDelay(n, policy))).toEqual([
      500, 1000, 2000, 4000, 8000, 16000, 30000, 30000,
    ]);
  });
});

describe('a service that keeps dying', () => {
  it('is restarted with delays that double up to the ceiling, each death logged with its exit code', async () => {
    const { service, deaths } = supervised({ FIXTURE_MODE: 'crash', FIXTURE_LIFE_MS: '0' });
    running.push(service);
    const url = await service.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/graphql$/);
    await until(() => deaths().length >= 4, 30_000);
    expect(
      deaths()
        .slice(0, 4)
        .map((d) => d.restartInMs),
    ).toEqual([100, 200, 400, 400]);
    expect(deaths()[0]!.msg).toBe('fixture died: exited with code 3; restarting in 0.1 s');
    expect(service.restarts).toBeGreaterThanOrEqual(3);
  }, 40_000);

  it('starts again from the first delay once it stayed up long enough', async () => {
    // The test kills the service itself, each time well after the reset (ten times over), so no
    // race between the child's lifetime and the reset timer decides the outcome.
    const { service, lines, deaths } = supervised(
      { FIXTURE_MODE: 'stay' },
      { initialDelayMs: 100, maxDelayMs: 400, resetAfterMs: 200 },
    );
    running.push(service);
    await service.start();
    for (let death = 1; death <= 3; death++) {
      await new Promise((r) => setTimeout(r, 2000));
      process.kill(service.pid!, 'SIGKILL');
      await until(() => lines.filter((l) => l.msg === 'fixture is back').length >= death, 20_000);
    }
    expect(deaths().map((d) => d.restartInMs)).toEqual([100, 100, 100]);
  }, 40_000);

  it('keeps its port across restarts, so whatever points at it finds it again', async () => {
    const { service, lines } = supervised({ FIXTURE_MODE: 'stay' });
    running.push(service);
    const url = await service.start();
    const first = service.pid!;
    process.kill(first, 'SIGKILL');
    await until(() => lines.some((l) => l.msg === 'fixture is back'), 20_000);
    expect(service.url).toBe(url);
    expect(service.pid).not.toBe(first);
    expect(await (await fetch(url)).text()).toBe(String(service.pid));
  }, 30_000);
});

describe('a service that runs out of memory', () => {
  it('dies at its heap cap alone, is logged as out of memory, and is restarted', async () => {
    const { service, deaths } = supervised({ FIXTURE_MODE: 'oom' }, undefined, 64);
    running.push(service);
    await service.start();
    await until(() => deaths().length >= 1, 30_000);
    expect(deaths()[0]).toMatchObject({ reason: 'out-of-memory', attempt: 1 });
    expect(deaths()[0]!.msg).toMatch(
      /^fixture died: out of memory \(heap cap 64 MB; raise SERVICE_HEAP_MB if this is normal load\); restarting in 0\.1 s$/,
    );
  }, 40_000);
});

describe('memory settings', () => {
  it('starts the service with its heap cap and young-generation size as Node flags', async () => {
    const { service } = supervised({ FIXTURE_MODE: 'stay' }, undefined, 256, 48);
    running.push(service);
    const url = await service.start();
    const flags = (await (await fetch(new URL('/flags', url))).json()) as string[];
    expect(flags).toEqual(
      expect.arrayContaining(['--max-old-space-size=256', '--max-semi-space-size=48']),
    );
  }, 20_000);

  it("leaves the young generation to V8's default when no size is set", async () => {
    const { service } = supervised({ FIXTURE_MODE: 'stay' });
    running.push(service);
    const url = await service.start();
    const flags = (await (await fetch(new URL('/flags', url))).json()) as string[];
    expect(flags.some((f) => f.startsWith('--max-semi-space-size'))).toBe(false);
  }, 20_000);
});

describe('stopping', () => {
  it('stops a service with SIGTERM and does not restart it', async () => {
    const { service, deaths } = supervised({ FIXTURE_MODE: 'stay' });
    await service.start();
    const pid = service.pid!;
    await service.stop();
    expect(alive(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 300));
    expect(service.pid).toBeNull();
    expect(deaths()).toEqual([]);
  }, 20_000);

  it('a service never outlives its supervisor, even one killed with SIGKILL', async () => {
    const supervisor = spawn(
      process.execPath,
      [...TSX, fileURLToPath(new URL('./fixtures/supervisor.ts', import.meta.url))],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    supervisor.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await until(() => /child \d+/.test(out), 20_000);
    const child = Number(/child (\d+)/.exec(out)![1]);
    expect(alive(child)).toBe(true);
    supervisor.kill('SIGKILL');
    await until(() => !alive(child), 10_000);
  }, 30_000);
});
