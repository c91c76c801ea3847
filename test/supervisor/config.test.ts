import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/env.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';

/** The supervisor's settings: safe defaults, and a bad value stops `npm start` naming the variable. */
describe('supervisor configuration', () => {
  it('defaults: supervised, 1024 MB heap and 64 MB semi-spaces per service, restarts after 0.5 s doubling to 30 s, forgiven after 60 s', () => {
    expect(loadConfig({}).supervisor).toEqual({
      enabled: true,
      heapMb: 1024,
      semiSpaceMb: 64,
      initialDelayMs: 500,
      maxDelayMs: 30_000,
      resetAfterMs: 60_000,
    });
  });

  it('never lets the ceiling sit below the first delay', () => {
    expect(
      loadConfig({ RESTART_DELAY_MS: '5000', RESTART_DELAY_MAX_MS: '1000' }).supervisor,
    ).toMatchObject({ initialDelayMs: 5000, maxDelayMs: 5000 });
  });

  it.each([
    ['SERVICE_HEAP_MB', '16'],
    ['SERVICE_HEAP_MB', 'lots'],
    ['SERVICE_SEMI_SPACE_MB', '-8'],
    ['RESTART_DELAY_MS', '-1'],
    ['SUPERVISE', 'maybe'],
  ])(
    'npm start refuses %s=%s with a message naming it, before starting anything',
    (name, value) => {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/start.ts'], {
        cwd: REPO_ROOT,
        env: { ...process.env, [name]: value, DATA_DIR: '/nonexistent/never-created' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain(`${name}:`);
      expect(run.stdout).not.toContain('Library graph is up');
    },
    40_000,
  );
});
