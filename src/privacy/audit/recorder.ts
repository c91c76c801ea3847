import { responsePathAsArray, type GraphQLResolveInfo } from 'graphql';
import type { DisclosureContext } from '../context/disclosureContext.js';
import type { PatronId } from '../context/ids.js';
import type { Decision } from '../decide/decision.js';
import type { FieldRule } from '../decide/rule.js';
import type { WireBatch } from './record.js';

/** Writes one request's batches of records to its chain; rejects when it cannot (then nothing is disclosed). */
export type AuditSink = (batches: readonly WireBatch[]) => Promise<void>;

/** The outcome of writing a request's records: on failure, where the disclosed values sit. */
export type FlushResult =
  { ok: true; records: number } | { ok: false; paths: (string | number)[][]; error: unknown };

type Path = GraphQLResolveInfo['path'];

type Disclosure = Extract<Decision, { kind: 'disclose' }>;

/**
 * A set of field coordinates, interned per request: adding a coordinate to a set is one lookup of
 * the set it leads to, so noting a field allocates nothing once the first row of a list has made
 * the sets its rows go through, and each distinct set is sorted and serialized once.
 */
class FieldSet {
  readonly #next = new Map<string, FieldSet>();
  #json: string | undefined;

  constructor(private readonly fields: readonly string[]) {}

  /** This set with `coordinate` in it. */
  with(coordinate: string): FieldSet {
    let next = this.#next.get(coordinate);
    if (next === undefined) {
      next = this.fields.includes(coordinate) ? this : new FieldSet([...this.fields, coordinate]);
      this.#next.set(coordinate, next);
    }
    return next;
  }

  /** The record's field list: sorted, as JSON. */
  json(): string {
    return (this.#json ??= JSON.stringify([...this.fields].sort()));
  }
}

/**
 * Collects one request's disclosures while it executes, and writes them in one batch before the
 * response leaves: one record per subject, exception and reference, listing its fields, not one
 * per list element. If the write fails, every disclosed value is replaced by a redaction before
 * anything is sent (fail closed; see auditPlugin.ts). SELF needs no record.
 */
export class AuditRecorder {
  #written: Promise<FlushResult> | null = null;
  /** The batches this recorder wrote (or is writing), for requests that share its execution to repeat. */
  #sent: readonly WireBatch[] | null = null;
  /** The recorder whose execution this request's response is, if it shares another's (adopt). */
  #leader: AuditRecorder | null = null;

  /** Fields noted per exception, reference and subject: the key of one record, with no key to build. */
  #pending = new Map<Disclosure['exception'], Map<string | null, Map<PatronId, FieldSet>>>();
  #paths: Path[] = [];
  /** The set every subject's fields start from. */
  readonly #none = new FieldSet([]);
  /**
   * The last subject noted (a list notes several fields of one subject in a row), updated in place:
   * its exception and reference, the map of subjects it is in, and its fields so far.
   */
  readonly #last: {
    subject: PatronId | null;
    exception: Disclosure['exception'] | null;
    reference: string | null;
    bySubject: Map<PatronId, FieldSet> | null;
    fields: FieldSet;
  } = { subject: null, exception: null, reference: null, bySubject: null, fields: this.#none };

  /**
   * @param heldByTransport the HTTP transport serializes the response, then holds it until the
   *   write settles (auditSettler); otherwise the audit plugin holds the response itself.
   */
  constructor(
    private readonly caller: DisclosureContext,
    private readonly sink: AuditSink,
    readonly heldByTransport = false,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Notes one disclosed field at its response path. */
  note(rule: FieldRule, subject: PatronId, decision: Disclosure, path: Path): void {
    this.#paths.push(path);
    const last = this.#last;
    let bySubject = last.bySubject;
    let fields: FieldSet;
    if (
      bySubject !== null &&
      last.subject === subject &&
      last.exception === decision.exception &&
      last.reference === decision.reference
    ) {
      fields = last.fields.with(rule.coordinate);
      if (fields === last.fields) return;
    } else {
      let byReference = this.#pending.get(decision.exception);
      if (!byReference) this.#pending.set(decision.exception, (byReference = new Map()));
      bySubject = byReference.get(decision.reference) ?? null;
      if (!bySubject) byReference.set(decision.reference, (bySubject = new Map()));
      fields = (bySubject.get(subject) ?? this.#none).with(rule.coordinate);
      last.subject = subject;
      last.exception = decision.exception;
      last.reference = decision.reference;
      last.bySubject = bySubject;
    }
    last.fields = fields;
    bySubject.set(subject, fields);
  }

  /** One batch per exception and reference, one record in it per subject, in wire form. */
  #batches(at: string): { batches: WireBatch[]; records: number } {
    const c = this.caller;
    const batches: WireBatch[] = [];
    let records = 0;
    for (const [exception, byReference] of this.#pending) {
      for (const [reference, bySubject] of byReference) {
        const patrons: string[] = [];
        const fields: string[] = [];
        for (const [patronId, set] of bySubject) {
          patrons.push(patronId);
          fields.push(set.json());
        }
        records += patrons.length;
        batches.push({
          at,
          requestId: c.requestId,
          principal: c.principal,
          roles: c.roles,
          exception,
          reference,
          purpose: c.purpose,
          patrons,
          fields,
        });
      }
    }
    return { batches, records };
  }

  /**
   * Takes over what `leader` noted, for a request answered with the leader's response (an
   * identical request of the same caller, executed once: SharedExecutions). This request's own
   * write then records the same disclosures under its own request id and time: as repeats of the
   * leader's batches where the leader wrote them first (the audit stores a repeat as a pointer to
   * the batch, not a copy of its records), else in full. Only before this recorder noted or wrote
   * anything, and only once the leader's execution is over.
   */
  adopt(leader: AuditRecorder): void {
    if (this.#written || this.#pending.size > 0)
      throw new Error('an audit recorder adopts another only before it notes or writes');
    this.#pending = leader.#pending;
    this.#paths = leader.#paths;
    this.#leader = leader;
  }

  /** The leader's batches under this request's header, each naming the batch it repeats. */
  #repeats(at: string, led: readonly WireBatch[]): { batches: WireBatch[]; records: number } {
    const c = this.caller;
    let records = 0;
    const batches = led.map((b): WireBatch => {
      records += b.patrons.length;
      return {
        at,
        requestId: c.requestId,
        principal: c.principal,
        roles: c.roles,
        exception: b.exception,
        reference: b.reference,
        purpose: c.purpose,
        patrons: b.patrons,
        fields: b.fields,
        repeats: b,
      };
    });
    return { batches, records };
  }

  /** The write of what was noted: started by the first call, once the response is final; later calls share it. */
  written(): Promise<FlushResult> {
    return (this.#written ??= this.#flush());
  }

  /** Writes what was noted; an empty request writes nothing. */
  async #flush(): Promise<FlushResult> {
    if (this.#pending.size === 0) return { ok: true, records: 0 };
    // What was noted stays: a request answered with this one's response adopts it (adopt).
    const at = this.now().toISOString();
    const led = this.#leader === null ? null : this.#leader.#sent;
    const { batches, records } = led ? this.#repeats(at, led) : this.#batches(at);
    this.#sent = batches;
    this.#last.bySubject = null;
    try {
      await this.sink(batches);
      return { ok: true, records };
    } catch (error) {
      return { ok: false, paths: this.#paths.map((p) => responsePathAsArray(p)), error };
    }
  }
}
