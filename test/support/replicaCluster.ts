import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import type { SubgraphName } from '../../src/config/env.js';
import { REPO_ROOT } from '../../src/subgraph/service.js';
import type { Host } from './hosts.js';

/** A service of the graph, as `npm start -- --only <service>` names it. */
export type ServiceKind = SubgraphName | 'gateway';

/** The port each service takes on a host of its own (a namespace has its own ports). */
const NAMESPACE_PORTS: Record<ServiceKind, number> = {
  gateway: 4000,
  catalog: 4001,
  circulation: 4002,
  events: 4003,
};
const PORT_VARIABLE: Record<ServiceKind, string> = {
  gateway: 'GATEWAY_PORT',
  catalog: 'CATALOG_PORT',
  circulation: 'CIRCULATION_PORT',
  events: 'EVENTS_PORT',
};
const URL_VARIABLE: Record<SubgraphName, string> = {
  catalog: 'CATALOG_URL',
  circulation: 'CIRCULATION_URL',
  events: 'EVENTS_URL',
};

/** A port free on this machine's loopback now (for loopback hosts, where services share one port space). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One service running as its own process on its host. */
export class ServiceProcess {
  readonly #child: ChildProcess;
  #output = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    readonly name: string,
    readonly kind: ServiceKind,
    readonly host: Host,
    /** Its GraphQL URL (`/graphql`); `/ready` and `/health` are at the same origin. */
    readonly url: string,
    env: NodeJS.ProcessEnv,
  ) {
    const { file, args } = host.command(process.execPath, [
      '--import',
      'tsx',
      'src/cli/start.ts',
      '--only',
      kind,
    ]);
    this.#child = spawn(file, args, { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.#output = (this.#output + chunk.toString()).slice(-8_000);
    };
    this.#child.stdout!.on('data', keep);
    this.#child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) =>
      this.#child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** The process id (on `ip netns exec`, which execs the command, the service's own). */
  get pid(): number {
    return this.#child.pid!;
  }

  /** The last few kilobytes it wrote, for failure messages. */
  get output(): string {
    return this.#output;
  }

  get running(): boolean {
    return this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Resolves once `/ready` answers 200; rejects if the process exits first or `timeoutMs` passes. */
  async ready(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    const readyUrl = new URL('/ready', this.url);
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < until) {
      if (exited) throw new Error(`${this.name} exited before it was ready:\n${this.#output}`);
      try {
        const response = await fetch(readyUrl, { signal: AbortSignal.timeout(2_000) });
        await response.body?.cancel();
        if (response.status === 200) return;
      } catch {
        // Not listening yet.
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`${this.name} not ready within ${timeoutMs} ms:\n${this.#output}`);
  }

  /** Sends `signal`; resolves when the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.running) this.#child.kill(signal);
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.#child.kill('SIGTERM');
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

/** How many processes of each service, and where each runs. */
export interface ClusterPlan {
  /** Each process: its name, service and host. Subgraphs' URLs are joined into the lists every process is given. */
  processes: { name: string; kind: ServiceKind; host: Host }[];
  /** The database every subgraph process keeps its stores, its audit and its signature nonces in (as its hosts reach it). */
  databaseUrl: string;
  /** More environment for every process. */
  env?: Record<string, string>;
}

/** A graph of separate processes: any number of each service, every subgraph given all replicas of the others. */
export class ReplicaCluster {
  private constructor(readonly processes: ServiceProcess[]) {}

  /**
   * Starts every process at once (the ports are fixed before any starts, so each can be given
   * every other's URL), and waits until each answers `/ready`.
   */
  static async start(plan: ClusterPlan, readyTimeoutMs = 150_000): Promise<ReplicaCluster> {
    const located = await Promise.all(
      plan.processes.map(async (p) => {
        const port = p.host.netns ? NAMESPACE_PORTS[p.kind] : await freePort();
        return { ...p, port, url: `http://${p.host.address}:${port}/graphql` };
      }),
    );
    const urls = (kind: SubgraphName) =>
      located
        .filter((p) => p.kind === kind)
        .map((p) => p.url)
        .join(',');
    const base: NodeJS.ProcessEnv = { ...process.env };
    for (const name of [
      'DATABASE_URL',
      'CATALOG_DATABASE_URL',
      'CIRCULATION_DATABASE_URL',
      'EVENTS_DATABASE_URL',
      'AUDIT_DATABASE_URL',
      'DATA_DIR',
      'NONCE_STORE_FILE',
      'AUDIT_ANCHOR_FILE',
    ])
      delete base[name];
    const processes = located.map((p) => {
      const env: NodeJS.ProcessEnv = {
        ...base,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        SEED_ON_START: 'off',
        PURGE_SCHEDULE: 'off',
        // The test's callers come from one address and one token per persona: no limit of one client may stop them.
        RATE_LIMIT_PRINCIPAL_PER_MINUTE: '1000000',
        RATE_LIMIT_PRINCIPAL_BURST: '100000',
        RATE_LIMIT_ANONYMOUS_PER_MINUTE: '1000000',
        RATE_LIMIT_ANONYMOUS_BURST: '100000',
        DATABASE_URL: plan.databaseUrl,
        DATA_DIR: p.host.dataDir,
        HOST: p.host.address,
        [PORT_VARIABLE[p.kind]]: String(p.port),
        ...Object.fromEntries(
          (['catalog', 'circulation', 'events'] as const)
            .map((kind) => [URL_VARIABLE[kind], urls(kind)])
            .filter(([, v]) => v),
        ),
        ...plan.env,
      };
      return new ServiceProcess(p.name, p.kind, p.host, p.url, env);
    });
    const cluster = new ReplicaCluster(processes);
    try {
      await Promise.all(processes.map((p) => p.ready(readyTimeoutMs)));
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  /** The process named `name`. */
  get(name: string): ServiceProcess {
    const found = this.processes.find((p) => p.name === name);
    if (!found) throw new Error(`no process ${name}`);
    return found;
  }

  /** The processes of one service. */
  of(kind: ServiceKind): ServiceProcess[] {
    return this.processes.filter((p) => p.kind === kind);
  }

  /** Stops every process still running (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}
