import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Logger } from '../log/logger.js';
import { restartDelay, type BackoffPolicy } from './backoff.js';
import { childMessage, type ListenMessage } from './childChannel.js';
import { describeExit, exitReason } from './exitReason.js';

/** How one service's process is started. */
export interface ServiceProcessOptions {
  /** The service's name, as in the logs and the banner. */
  name: string;
  /** The script the process runs, and its arguments. */
  script: string;
  args: readonly string[];
  /** Node flags besides the heap cap (the TypeScript loader when run from source). */
  execArgv: readonly string[];
  /** The process's environment; `portVariable` is pinned to the first port it listens on. */
  env: NodeJS.ProcessEnv;
  portVariable: string;
  heapMb: number;
  /** The young generation's largest semi-space in MB (`--max-semi-space-size`); 0 or absent: V8's default. */
  semiSpaceMb?: number;
  backoff: BackoffPolicy;
  logger: Logger;
  /** How long a stop waits for the process to finish its in-flight requests before SIGKILL. */
  stopTimeoutMs?: number;
  /** Settles when the service may listen (the gateway: once the subgraphs answer); it loads meanwhile. */
  listenAfter?: Promise<void>;
}

/** How much of a process's stderr is kept to tell why it died. */
const STDERR_TAIL_CHARS = 8192;

/**
 * One service in its own process, with a heap cap, started again whenever it dies (after a delay
 * that doubles with each death, see backoff.ts), and stopped with SIGTERM so it lets its in-flight
 * requests finish. Its port is pinned after the first start, so whatever points at the service (the
 * gateway, the facts client) finds it again after a restart.
 */
export class ServiceProcess {
  #child: ChildProcess | null = null;
  #url: string | null = null;
  #stopping = false;
  /** Deaths since the process was last stable; sets the next delay. */
  #attempt = 0;
  #restarts = 0;
  #restartTimer: NodeJS.Timeout | null = null;
  #stableTimer: NodeJS.Timeout | null = null;
  #stderrTail = '';
  /** Settles the first start: the URL once the service listens, or why it could not start. */
  #firstStart: { resolve(url: string): void; reject(error: Error): void } | null = null;

  constructor(private readonly options: ServiceProcessOptions) {}

  /** The service's URL once it has listened. */
  get url(): string | null {
    return this.#url;
  }

  /** The running process's id (null between a death and its restart). */
  get pid(): number | null {
    return this.#child?.pid ?? null;
  }

  /** How many times the service was started again after dying. */
  get restarts(): number {
    return this.#restarts;
  }

  /**
   * Starts the process; resolves with the service's URL once it listens. A first start that fails
   * rejects (a bad port or file stops `npm start` with its reason), and is not retried.
   */
  start(): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#firstStart = { resolve, reject };
      this.#spawn();
    });
  }

  /** Stops the process (SIGTERM, then SIGKILL after the timeout) and starts it no more. */
  async stop(): Promise<void> {
    this.#stopping = true;
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    if (this.#stableTimer) clearTimeout(this.#stableTimer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), this.options.stopTimeoutMs ?? 20_000);
    await exited;
    clearTimeout(force);
  }

  /** Kills the process at once, for a supervisor that is exiting and cannot wait. */
  killNow(): void {
    this.#stopping = true;
    this.#child?.kill('SIGKILL');
  }

  #spawn(): void {
    const { options } = this;
    this.#stderrTail = '';
    const child = fork(options.script, [...options.args], {
      execArgv: [
        ...options.execArgv,
        `--max-old-space-size=${options.heapMb}`,
        ...(options.semiSpaceMb ? [`--max-semi-space-size=${options.semiSpaceMb}`] : []),
      ],
      env: options.env,
      stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
      // Its own process group: a Ctrl-C in the terminal reaches the supervisor alone, which stops
      // the gateway before the subgraphs it still needs for the requests in flight.
      detached: true,
    });
    this.#child = child;
    child.stderr!.on('data', (chunk: Buffer) => {
      process.stderr.write(chunk);
      this.#stderrTail = (this.#stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: unknown) => {
      const said = childMessage(message);
      if (said?.kind === 'ready') this.#ready(said.url);
      if (said?.kind === 'loaded') {
        void (options.listenAfter ?? Promise.resolve()).then(() => {
          if (child.connected) child.send({ kind: 'listen' } satisfies ListenMessage);
        });
      }
    });
    child.once('error', (error) =>
      options.logger.error(
        { service: options.name, err: error.message },
        'could not start the process',
      ),
    );
    child.once('exit', (code, signal) => this.#exited(child, code, signal));
  }

  #ready(url: string): void {
    const { options } = this;
    this.#url = url;
    const port = new URL(url).port;
    if (port) options.env[options.portVariable] = port;
    if (this.#firstStart) {
      this.#firstStart.resolve(url);
      this.#firstStart = null;
    } else {
      options.logger.info(
        { service: options.name, restarts: this.#restarts, pid: this.pid },
        `${options.name} is back`,
      );
    }
    // Up long enough: the next death counts as a first one again.
    this.#stableTimer = setTimeout(() => (this.#attempt = 0), options.backoff.resetAfterMs);
    this.#stableTimer.unref();
  }

  #exited(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = null;
    if (this.#stableTimer) clearTimeout(this.#stableTimer);
    if (this.#stopping) return;
    const { options } = this;
    const reason = exitReason(code, signal, this.#stderrTail);
    const why = describeExit(reason, options.heapMb);
    if (this.#firstStart) {
      this.#firstStart.reject(new Error(`${options.name} could not start: ${why}`));
      this.#firstStart = null;
      return;
    }
    this.#attempt += 1;
    const delayMs = restartDelay(this.#attempt, options.backoff);
    options.logger.error(
      {
        service: options.name,
        reason: reason.kind,
        code,
        signal,
        attempt: this.#attempt,
        restartInMs: delayMs,
      },
      `${options.name} died: ${why}; restarting in ${(delayMs / 1000).toFixed(1)} s`,
    );
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      if (this.#stopping) return;
      this.#restarts += 1;
      this.#spawn();
    }, delayMs);
  }
}
