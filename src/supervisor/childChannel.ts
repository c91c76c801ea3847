/**
 * The child's side of supervision: a service started by the supervisor tells it where it listens,
 * and never outlives it. The channel is the IPC pipe `fork` opens; a service started any other way
 * (`npm run start:catalog`, the benchmarks) has none, and this module does nothing there.
 */

/**
 * Set in a service's environment by the supervisor: an IPC pipe alone does not say who is at the
 * other end (pm2 and test runners fork with one too).
 */
export const SUPERVISED_VARIABLE = 'LIBRARY_GRAPH_SUPERVISED';

/** What a service's process tells the supervisor: its code is loaded, or it listens at `url`. */
export type ChildMessage = { kind: 'loaded' } | { kind: 'ready'; url: string };

/** What the supervisor tells a service whose code is loaded: the services it needs are up, listen. */
export interface ListenMessage {
  kind: 'listen';
}

/** True in a process the supervisor started. */
export function isSupervised(): boolean {
  return (
    typeof process.send === 'function' &&
    process.connected &&
    process.env[SUPERVISED_VARIABLE] === '1'
  );
}

/**
 * Says the service's code is loaded and waits for the supervisor's word to listen: the gateway
 * loads while the subgraphs start, and listens only once they answer.
 */
export function loadedAwaitListen(): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: unknown) => {
      if ((message as Partial<ListenMessage> | null)?.kind !== 'listen') return;
      process.off('message', onMessage);
      resolve();
    };
    process.on('message', onMessage);
    process.send?.({ kind: 'loaded' } satisfies ChildMessage);
  });
}

/** Tells the supervisor that the service answers at `url`. */
export function reportReady(url: string): void {
  process.send?.({ kind: 'ready', url } satisfies ChildMessage);
}

/**
 * Stops the service when the supervisor goes away: its IPC pipe closes when it exits for any reason,
 * SIGKILL included, so a service left behind does not keep its port and its databases open.
 * `forceAfterMs` bounds a stop that hangs.
 */
export function stopWithSupervisor(stop: () => Promise<void>, forceAfterMs = 10_000): void {
  process.once('disconnect', () => {
    setTimeout(() => process.exit(1), forceAfterMs).unref();
    void stop().finally(() => process.exit(0));
  });
}

/** Reads a message from a child, or null if it is not one this protocol defines. */
export function childMessage(message: unknown): ChildMessage | null {
  if (typeof message !== 'object' || message === null) return null;
  const { kind, url } = message as { kind?: unknown; url?: unknown };
  if (kind === 'loaded') return { kind };
  return kind === 'ready' && typeof url === 'string' ? { kind, url } : null;
}
