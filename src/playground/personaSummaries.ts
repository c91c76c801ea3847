import type { PersonaName } from '../dev/personas.js';

/**
 * What each persona of CONTRACT.md may see, in one line: the playground shows it beside the persona
 * switcher so a developer knows what to expect before running anything.
 */
export const PERSONA_SUMMARIES: Record<PersonaName, string> = {
  anonymous:
    'No token. Catalog, events, item availability, registration counts; no patron data at all.',
  patron:
    'Avery Quintana: own record, loans, holds, fines, registrations, reading history, own disclosure log (SELF).',
  minor: 'Milo, 12: own record (SELF).',
  guardian:
    "Ingrid, Milo's guardian: own record, and the minor's record and activity while Milo is under 18 (GUARDIAN).",
  'circulation-staff':
    "Circulation desk: patrons' contact data, loans, holds, fines (OPERATIONS); not events, reading history or disclosure logs.",
  'events-staff':
    "Events desk: event registrations and attendees' names (OPERATIONS); nothing of circulation.",
  partner:
    'Front Range Literacy: patrons who consented to this partner, within the consent’s scope and dates (CONSENT).',
  'records-custodian':
    "Writes the registers; with X-Legal-Process: <order> sees that order's patrons within its scope and dates (LEGAL_PROCESS).",
  'records-custodian-2':
    'The second records custodian: approves the legal orders another custodian registers (two-person rule); otherwise as records-custodian.',
  analytics:
    'De-identified data only: pseudonymous keys, generalized attributes, aggregates with small cells suppressed.',
};
