import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../log/logger.js';
import type { AuditLog } from './auditStore.js';

/**
 * Anchors of the disclosure audit: each chain's head (its newest record's place and hash), signed
 * with AUDIT_KEY and appended to a sink outside the audit database. A hash chain shows an edited,
 * deleted or reordered record, but not its newest records cut off: the shorter chain still holds
 * together. An anchor written earlier names a record the truncated chain no longer has, and
 * `audit:verify --anchors` says so.
 */

/** One signed chain head, as one line of the anchor file. */
export interface Anchor {
  chain: string;
  seq: number;
  hash: string;
  /** When it was written. */
  at: string;
  signature: string;
}

const message = (a: Omit<Anchor, 'signature'>): string =>
  ['audit-anchor-v1', a.chain, a.seq, a.hash, a.at].join('\n');

/** Signs a chain head: the anchor cannot be forged or moved without the audit key. */
export function signAnchor(a: Omit<Anchor, 'signature'>, key: string): Anchor {
  return { ...a, signature: createHmac('sha256', key).update(message(a)).digest('base64url') };
}

/** Checks an anchor's signature in constant time. */
export function anchorValid(a: Anchor, key: string): boolean {
  const expected = Buffer.from(signAnchor(a, key).signature, 'base64url');
  const given = Buffer.from(a.signature, 'base64url');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Where anchors go: append-only, outside the audit database. */
export interface AnchorSink {
  append(anchors: readonly Anchor[]): void;
}

/**
 * The default sink: a file of JSON lines, opened for appending only and synced after each write,
 * so a written anchor survives a crash. Point AUDIT_ANCHOR_FILE at storage the audit database's
 * host cannot rewrite (an append-only mount, another machine's share) for the anchors to outlive
 * an intruder on that host.
 */
export class FileAnchorSink implements AnchorSink {
  constructor(readonly file: string) {}

  append(anchors: readonly Anchor[]): void {
    if (anchors.length === 0) return;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const fd = fs.openSync(this.file, 'a');
    try {
      fs.writeSync(fd, anchors.map((a) => `${JSON.stringify(a)}\n`).join(''));
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
}

/**
 * Writes the heads that moved since the last anchor (each chain's first one at once), signed.
 * Returns what it wrote.
 */
export class Anchorer {
  readonly #written = new Map<string, string>();

  constructor(
    private readonly store: AuditLog,
    private readonly sink: AnchorSink,
    private readonly key: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Anchors every chain whose head moved; returns the anchors written. */
  async anchor(): Promise<Anchor[]> {
    const at = this.now().toISOString();
    const fresh = (await this.store.heads()).filter(
      (h) => this.#written.get(h.chain) !== `${h.seq}:${h.hash}`,
    );
    const anchors = fresh.map((h) =>
      signAnchor({ chain: h.chain, seq: h.seq, hash: h.hash, at }, this.key),
    );
    this.sink.append(anchors);
    for (const a of anchors) this.#written.set(a.chain, `${a.seq}:${a.hash}`);
    return anchors;
  }
}

/** A running periodic anchoring: stop() writes a last anchor, then ends. */
export interface Anchoring {
  stop(): Promise<void>;
}

/** Anchors now, then every `intervalMs`, and once more on stop; a failed write is logged and retried next time. */
export function startAnchoring(anchorer: Anchorer, intervalMs: number, logger: Logger): Anchoring {
  // A tick while a run is still reading (PostgreSQL) is skipped; the heads are read as the run
  // starts (at once on SQLite), so the first anchor is of the heads at the start.
  let inFlight: Promise<void> | null = null;
  const run = (): Promise<void> => {
    const current = anchorer.anchor().then(
      () => undefined,
      (error: unknown) =>
        logger.error({ err: (error as Error).message }, 'could not write the audit anchors'),
    );
    inFlight = current;
    void current.then(() => {
      if (inFlight === current) inFlight = null;
    });
    return current;
  };
  void run();
  const timer = setInterval(() => {
    if (!inFlight) void run();
  }, intervalMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await inFlight;
      await run();
    },
  };
}

/** A problem found checking the audit against its anchors. */
export interface AnchorProblem {
  chain: string;
  problem: string;
}

/** Reads an anchor file: the anchors, and a problem for each line that is not a well-signed anchor. */
export function readAnchors(
  file: string,
  key: string,
): { anchors: Anchor[]; problems: AnchorProblem[] } {
  const anchors: Anchor[] = [];
  const problems: AnchorProblem[] = [];
  fs.readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      let parsed: Anchor;
      try {
        parsed = JSON.parse(line) as Anchor;
      } catch {
        problems.push({ chain: '?', problem: `anchor line ${i + 1} is not JSON` });
        return;
      }
      const wellFormed =
        typeof parsed.chain === 'string' &&
        Number.isInteger(parsed.seq) &&
        typeof parsed.hash === 'string' &&
        typeof parsed.at === 'string' &&
        typeof parsed.signature === 'string';
      if (!wellFormed || !anchorValid(parsed, key)) {
        problems.push({
          chain: typeof parsed.chain === 'string' ? parsed.chain : '?',
          problem: `anchor line ${i + 1}: its signature does not verify`,
        });
        return;
      }
      anchors.push(parsed);
    });
  return { anchors, problems };
}

/**
 * Checks the store against anchors: every anchored record must still be there with the anchored
 * hash, unless a retention cut whose signature verifies removed it. The newest anchor of each chain is the one that
 * catches truncation; older ones catch a rewritten history.
 */
export async function checkAnchors(
  store: AuditLog,
  anchors: readonly Anchor[],
): Promise<AnchorProblem[]> {
  const problems: AnchorProblem[] = [];
  const heads = new Map((await store.heads()).map((h) => [h.chain, h]));
  const newest = new Map<string, Anchor>();
  for (const a of anchors) if ((newest.get(a.chain)?.seq ?? -1) < a.seq) newest.set(a.chain, a);
  for (const a of anchors) {
    const found = await store.at(a.chain, a.seq);
    if (found.kind === 'record' && found.hash === a.hash) continue;
    if (found.kind === 'purged' && (found.hash === null || found.hash === a.hash)) continue;
    if (found.kind === 'forged') {
      problems.push({
        chain: a.chain,
        problem: `record ${a.seq} is covered by a retention cut whose signature does not verify (the cut at record ${found.cutSeq})`,
      });
      continue;
    }
    if (found.kind === 'absent') {
      if (newest.get(a.chain) !== a) continue; // the newest anchor of the chain reports it once
      const head = heads.get(a.chain);
      problems.push({
        chain: a.chain,
        problem: `truncated: the anchor of ${a.at} names record ${a.seq}, but the chain ends at record ${head?.seq ?? 0}; its newest ${a.seq - (head?.seq ?? 0)} or more records were removed`,
      });
      continue;
    }
    problems.push({
      chain: a.chain,
      problem: `record ${a.seq} does not match its anchor of ${a.at} (its hash changed)`,
    });
  }
  return problems;
}
