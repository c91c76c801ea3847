import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * Hosts for tests that run services on "separate machines": one Linux network namespace per host,
 * each with its own address on a private /24 behind a bridge in this (the test's) namespace, and
 * a data directory of its own. Where namespaces cannot be made (not root, no `ip`), every host is
 * this machine's loopback, with the reason logged; the data directories stay separate.
 */
export interface Host {
  name: string;
  /** The address its services listen on and are reached at. */
  address: string;
  /** Its network namespace (null: loopback). */
  netns: string | null;
  /** A data directory no other host shares. */
  dataDir: string;
  /** The command line that runs `command` on this host. */
  command(file: string, args: string[]): { file: string; args: string[] };
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });

/** Forwards connections from `listen` to `target`: how the hosts reach the PostgreSQL server on this machine's loopback. */
async function forwarder(
  host: string,
  target: { host: string; port: number },
): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((inbound) => {
    const outbound = net.connect(target);
    for (const s of [inbound, outbound]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => (s === inbound ? outbound : inbound).destroy());
    }
    inbound.pipe(outbound).pipe(inbound);
  });
  await new Promise<void>((resolve, reject) =>
    server.once('error', reject).listen(0, host, resolve),
  );
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A set of hosts, and how their processes reach a server of this machine (the database). */
export class Hosts {
  private constructor(
    readonly hosts: Host[],
    /** 'netns' or 'loopback', and why loopback when it is. */
    readonly mode: { kind: 'netns'; subnet: string } | { kind: 'loopback'; reason: string },
    private readonly teardown: (() => Promise<void> | void)[],
  ) {}

  /**
   * Makes `count` hosts named `prefix-1..n` (namespaces `<prefix><id>-<n>`, unique per call), and a
   * forwarder on the bridge for each server of this machine the hosts must reach.
   */
  static create(
    prefix: string,
    count: number,
    log: (line: string) => void = console.warn,
    options: { namespaces?: boolean } = {},
  ): Hosts {
    const id = randomBytes(2).toString('hex');
    const dataDirs = Array.from({ length: count }, (_, i) =>
      fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-host${i + 1}-`)),
    );
    const removeDirs = () => {
      for (const dir of dataDirs) fs.rmSync(dir, { recursive: true, force: true });
    };
    const bridge = `rpl${id}b`;
    const netns = (i: number) => `${prefix}${id}-${i + 1}`;
    const made: string[] = [];
    const undoNamespaces = () => {
      for (const ns of made) {
        try {
          ip('netns', 'del', ns);
        } catch {
          // Already gone.
        }
      }
      try {
        ip('link', 'del', bridge);
      } catch {
        // Never made.
      }
    };
    // 10.X.Y.0/24 with X, Y from the id: one subnet per run, so concurrent runs never collide.
    const subnet = `10.${200 + (parseInt(id.slice(0, 2), 16) % 50)}.${parseInt(id.slice(2), 16)}`;
    try {
      if (options.namespaces === false) throw new Error('asked for loopback');
      if (process.platform !== 'linux') throw new Error('network namespaces are Linux only');
      ip('link', 'add', bridge, 'type', 'bridge');
      ip('addr', 'add', `${subnet}.1/24`, 'dev', bridge);
      ip('link', 'set', bridge, 'up');
      for (let i = 0; i < count; i++) {
        const ns = netns(i);
        ip('netns', 'add', ns);
        made.push(ns);
        const veth = `rpl${id}v${i + 1}`;
        ip('link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns);
        ip('link', 'set', veth, 'master', bridge, 'up');
        ip('-n', ns, 'addr', 'add', `${subnet}.${10 + i}/24`, 'dev', 'eth0');
        ip('-n', ns, 'link', 'set', 'eth0', 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
      }
    } catch (error) {
      undoNamespaces();
      const reason =
        error instanceof Error
          ? (error as Error & { stderr?: Buffer }).stderr?.toString().trim() || error.message
          : String(error);
      log(
        `hosts: network namespaces not available (${reason}); every host is this machine's loopback`,
      );
      const hosts = dataDirs.map((dataDir, i): Host => ({
        name: `${prefix}-${i + 1}`,
        address: '127.0.0.1',
        netns: null,
        dataDir,
        command: (file, args) => ({ file, args }),
      }));
      return new Hosts(hosts, { kind: 'loopback', reason }, [removeDirs]);
    }
    const hosts = dataDirs.map((dataDir, i): Host => ({
      name: `${prefix}-${i + 1}`,
      address: `${subnet}.${10 + i}`,
      netns: netns(i),
      dataDir,
      command: (file, args) => ({ file: 'ip', args: ['netns', 'exec', netns(i), file, ...args] }),
    }));
    return new Hosts(hosts, { kind: 'netns', subnet: `${subnet}.0/24` }, [
      undoNamespaces,
      removeDirs,
    ]);
  }

  /** The address and port at which every host reaches `target` on this machine (a forwarder on the bridge in netns mode). */
  async reach(target: { host: string; port: number }): Promise<{ host: string; port: number }> {
    if (this.mode.kind === 'loopback') return target;
    const bridgeAddress = this.mode.subnet.replace(/\.0\/24$/, '.1');
    const forward = await forwarder(bridgeAddress, target);
    this.teardown.unshift(() => forward.close());
    return { host: bridgeAddress, port: forward.port };
  }

  /** Removes the namespaces, the bridge, the forwarders and the data directories. */
  async close(): Promise<void> {
    for (const step of this.teardown.splice(0)) await step();
  }
}
