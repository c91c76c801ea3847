/** Why a service's process ended, as the supervisor logs it. */
export type ExitReason =
  | { kind: 'out-of-memory' }
  | { kind: 'signal'; signal: NodeJS.Signals }
  | { kind: 'exit'; code: number };

/** What V8 prints to stderr just before it aborts a process that reached its heap cap. */
const OUT_OF_MEMORY =
  /JavaScript heap out of memory|Reached heap limit|Ineffective mark-compacts near heap limit/;

/**
 * Classifies an exit from its code, its signal and the last lines the process wrote to stderr. A
 * process at its heap cap aborts (SIGABRT, or exit code 134 through a shell) after V8's message,
 * so the message decides, not the signal.
 */
export function exitReason(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string,
): ExitReason {
  if (OUT_OF_MEMORY.test(stderrTail)) return { kind: 'out-of-memory' };
  if (signal) return { kind: 'signal', signal };
  return { kind: 'exit', code: code ?? 0 };
}

/** One line for the log: what happened, in words an operator acts on. */
export function describeExit(reason: ExitReason, heapMb: number): string {
  switch (reason.kind) {
    case 'out-of-memory':
      return `out of memory (heap cap ${heapMb} MB; raise SERVICE_HEAP_MB if this is normal load)`;
    case 'signal':
      return `killed by ${reason.signal}`;
    case 'exit':
      return `exited with code ${reason.code}`;
  }
}
