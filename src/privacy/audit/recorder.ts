import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { DisclosureContext } from '../context/disclosureContext.js';
import type { PatronId } from '../context/ids.js';
import type { Decision } from '../decide/decision.js';
import type { FieldRule } from '../decide/rule.js';
import type { DisclosureEntry } from './record.js';

/** Writes a batch of records to one chain; rejects when it cannot (then nothing is disclosed). */
export type AuditSink = (entries: readonly DisclosureEntry[]) => Promise<void>;

/** The outcome of writing a request's records: on failure, where the disclosed values sit. */
export type FlushResult = { ok: true; records: number } | { ok: false; paths: (string | number)[][]; error: unknown };

type Path = GraphQLResolveInfo['path'];

type Disclosure = Extract<Decision, { kind: 'disclose' }>;

/**
 * Collects one request's disclosures while it executes, and writes them in one batch before the
 * response leaves (the subgraph's `willSendResponse`): one record per subject, exception and
 * reference, listing its fields, not one per list element. If the write fails, every disclosed
 * value is replaced by a redaction before anything is sent (fail closed). SELF needs no record.
 */
export class AuditRecorder {
  /** Fields noted per exception, reference and subject: the key of one record, with no key to build. */
  readonly #pending = new Map<Disclosure['exception'], Map<string | null, Map<PatronId, Set<string>>>>();
  readonly #paths: Path[] = [];

  constructor(
    private readonly caller: DisclosureContext,
    private readonly sink: AuditSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Notes one disclosed field at its response path. */
  note(rule: FieldRule, subject: PatronId, decision: Disclosure, path: Path): void {
    let byReference = this.#pending.get(decision.exception);
    if (!byReference) this.#pending.set(decision.exception, (byReference = new Map()));
    let bySubject = byReference.get(decision.reference);
    if (!bySubject) byReference.set(decision.reference, (bySubject = new Map()));
    let fields = bySubject.get(subject);
    if (!fields) bySubject.set(subject, (fields = new Set()));
    fields.add(rule.coordinate);
    this.#paths.push(path);
  }

  /** One entry per subject, exception and reference. */
  #entries(at: string): DisclosureEntry[] {
    const c = this.caller;
    const entries: DisclosureEntry[] = [];
    for (const [exception, byReference] of this.#pending) {
      for (const [reference, bySubject] of byReference) {
        for (const [patronId, fields] of bySubject) {
          entries.push({ at, requestId: c.requestId, principal: c.principal, roles: c.roles, exception, patronId, fields: [...fields].sort(), reference, purpose: c.purpose });
        }
      }
    }
    return entries;
  }

  /** Writes what was noted, once; an empty request writes nothing. */
  async flush(): Promise<FlushResult> {
    if (this.#pending.size === 0) return { ok: true, records: 0 };
    const entries = this.#entries(this.now().toISOString());
    this.#pending.clear();
    try {
      await this.sink(entries);
      return { ok: true, records: entries.length };
    } catch (error) {
      return { ok: false, paths: this.#paths.map((p) => responsePathAsArray(p)), error };
    }
  }
}
