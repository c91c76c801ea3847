import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { DisclosureContext } from '../context/disclosureContext.js';
import type { PatronId } from '../context/ids.js';
import type { Decision } from '../decide/decision.js';
import type { FieldRule } from '../decide/rule.js';
import type { DisclosureEntry } from './record.js';

/** Writes a batch of records to one chain; throws when it cannot (then nothing is disclosed). */
export type AuditSink = (entries: readonly DisclosureEntry[]) => void;

/** The outcome of writing a request's records: on failure, where the disclosed values sit. */
export type FlushResult = { ok: true; records: number } | { ok: false; paths: (string | number)[][]; error: unknown };

type Path = GraphQLResolveInfo['path'];

interface Pending {
  entry: Omit<DisclosureEntry, 'fields' | 'at'>;
  fields: Set<string>;
}

/**
 * Collects one request's disclosures while it executes, and writes them in one batch before the
 * response leaves (the subgraph's `willSendResponse`): one record per subject, exception and
 * reference, listing its fields, not one per list element. If the write fails, every disclosed
 * value is replaced by a redaction before anything is sent (fail closed). SELF needs no record.
 */
export class AuditRecorder {
  readonly #pending = new Map<string, Pending>();
  readonly #paths: Path[] = [];

  constructor(
    private readonly caller: DisclosureContext,
    private readonly sink: AuditSink,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Notes one disclosed field at its response path. */
  note(rule: FieldRule, subject: PatronId, decision: Extract<Decision, { kind: 'disclose' }>, path: Path): void {
    const key = `${subject}\u0000${decision.exception}\u0000${decision.reference ?? ''}`;
    let pending = this.#pending.get(key);
    if (!pending) {
      const c = this.caller;
      pending = {
        entry: { requestId: c.requestId, principal: c.principal, roles: c.roles, exception: decision.exception, patronId: subject, reference: decision.reference, purpose: c.purpose },
        fields: new Set(),
      };
      this.#pending.set(key, pending);
    }
    pending.fields.add(rule.coordinate);
    this.#paths.push(path);
  }

  /** Writes what was noted, once; an empty request writes nothing. */
  flush(): FlushResult {
    if (this.#pending.size === 0) return { ok: true, records: 0 };
    const at = this.now().toISOString();
    const entries = [...this.#pending.values()].map((p) => ({ ...p.entry, at, fields: [...p.fields].sort() }));
    this.#pending.clear();
    try {
      this.sink(entries);
      return { ok: true, records: entries.length };
    } catch (error) {
      return { ok: false, paths: this.#paths.map((p) => responsePathAsArray(p)), error };
    }
  }
}
