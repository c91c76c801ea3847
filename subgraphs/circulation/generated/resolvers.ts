import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { PatronParent, EntityReference } from '../parents.js';
import type { LoanRow, HoldRow, FineRow } from '../store.js';
import type { ConsentRecord, LegalOrderRecord, GuardianshipRecord } from '../registers.js';
import type { CardLoginResult } from '../cardLogin.js';
import type { CirculationContext } from '../context.js';
export type Maybe<T> = T | null;
export type InputMaybe<T> = Maybe<T>;
export type Omit<T, K extends keyof T> = Pick<T, Exclude<keyof T, K>>;
export type RequireFields<T, K extends keyof T> = Omit<T, K> & { [P in K]-?: NonNullable<T[P]> };
/** All built-in and custom scalars, mapped to their actual values */
export type Scalars = {
  ID: { input: string; output: string; }
  String: { input: string; output: string; }
  Boolean: { input: boolean; output: boolean; }
  Int: { input: number; output: number; }
  Float: { input: number; output: number; }
  /** An ISO 8601 calendar date. */
  Date: { input: string; output: string; }
  /** An ISO 8601 date-time in UTC. */
  DateTime: { input: string; output: string; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type Availability =
  | 'AVAILABLE'
  | 'ON_HOLD_SHELF'
  | 'ON_LOAN';

export type Branch = {
  __typename?: 'Branch';
  id: Scalars['ID']['output'];
};

/** A card login: a patron token to send as `Authorization: Bearer <token>`. */
export type CardLogin = {
  __typename?: 'CardLogin';
  expiresAt: Scalars['DateTime']['output'];
  token: Scalars['String']['output'];
};

/** What circulation statistics can be grouped by. */
export type CirculationDimension =
  /** The borrower's age band on the day of checkout (0-12, 13-17, 18-24, 25-44, 45-64, 65+). */
  | 'AGE_BAND'
  /** The branch that lent the item. */
  | 'BRANCH'
  /** The item's format (BOOK, DVD, ...). */
  | 'FORMAT'
  /** The borrower's home branch at checkout. */
  | 'HOME_BRANCH'
  /** The month of checkout, YYYY-MM (UTC). */
  | 'MONTH';

/**
 * A group of loans: its value on each grouped dimension (null where not grouped, or unknown), and
 * its numbers, which are all null when `suppressed`.
 */
export type CirculationGroup = {
  __typename?: 'CirculationGroup';
  ageBand?: Maybe<Scalars['String']['output']>;
  branch?: Maybe<Branch>;
  checkouts?: Maybe<Scalars['Int']['output']>;
  /** Half-width of the 95% interval of `checkouts` (DIFFERENTIAL_PRIVACY; approximate for sums over several months); null otherwise. */
  checkoutsMarginOfError?: Maybe<Scalars['Float']['output']>;
  /** For a margin, the dimension it totals; null for cells and the total. */
  dimension?: Maybe<CirculationDimension>;
  /**
   * Distinct borrowers, tallied while the loans still named them (so retention does not erase
   * them). Null when the group spans several months: each month is tallied apart, under its own
   * key, and no one can be followed from one month to the next.
   */
  distinctBorrowers?: Maybe<Scalars['Int']['output']>;
  format?: Maybe<Scalars['String']['output']>;
  homeBranch?: Maybe<Branch>;
  month?: Maybe<Scalars['String']['output']>;
  suppressed: Scalars['Boolean']['output'];
};

/** A page of a statistics answer's groups (`cellPage`). */
export type CirculationGroupPage = {
  __typename?: 'CirculationGroupPage';
  nodes: Array<CirculationGroup>;
  pageInfo: PageInfo;
  /** How many groups the answer has in all. */
  totalCount: Scalars['Int']['output'];
};

/** Circulation statistics over whole months, small groups suppressed (`circulationStats`). */
export type CirculationStats = {
  __typename?: 'CirculationStats';
  /** How many groups the answer has (`cells` lists an answer of at most 1000; `cellPage` any, page by page). */
  cellCount: Scalars['Int']['output'];
  /**
   * The groups of `cells`, `first` (default and most 1000) at a time, in the same order, after the
   * cursor `after` (`pageInfo.endCursor` of the page before; omitted for the first page). A cursor
   * holds for the same arguments and releases only: one of another answer, or of the same question
   * after a correction was released, is refused (BAD_USER_INPUT); ask again from the first page.
   * Every page is a slice of the one answer, with the same margins, total and releases.
   */
  cellPage: CirculationGroupPage;
  /**
   * One per non-empty group, in order of its values; a few empty groups may be listed, suppressed,
   * because hiding them hides others. Absent groups are empty. An answer of more than 1000
   * groups (`cellCount`) is refused here (BAD_USER_INPUT): read it page by page with `cellPage`.
   */
  cells: Array<CirculationGroup>;
  /** First month, YYYY-MM. */
  from: Scalars['String']['output'];
  groupBy: Array<CirculationDimension>;
  /** With two or more dimensions: the totals of each grouped dimension alone (`dimension` says which). */
  margins: Array<CirculationGroup>;
  /** k: the fewest distinct borrowers a published number may stand for (SUPPRESSION); null under DIFFERENTIAL_PRIVACY. */
  minGroupSize?: Maybe<Scalars['Int']['output']>;
  /** How the releases it drew on are protected. */
  protection: StatsProtection;
  /** The releases the answer drew on: the latest version of each released month of the range. */
  releases: Array<StatsRelease>;
  /** Last month, inclusive, YYYY-MM. */
  to: Scalars['String']['output'];
  /** All loans of the range. */
  total: CirculationGroup;
  /** Months of the range without a release (the open month, later ones, months not yet released): not counted. */
  unreleasedMonths: Array<Scalars['String']['output']>;
};


/** Circulation statistics over whole months, small groups suppressed (`circulationStats`). */
export type CirculationStatsCellPageArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** A patron's written consent (statute (b)). It names no patron: it is not confidential, so it carries nothing identifying. */
export type Consent = {
  __typename?: 'Consent';
  documentRef: Scalars['String']['output'];
  grantee: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  revokedAt?: Maybe<Scalars['DateTime']['output']>;
  scope: Array<PatronDataCategory>;
  validFrom: Scalars['DateTime']['output'];
  validUntil: Scalars['DateTime']['output'];
};

/** How analytics may receive a field instead of having it redacted. */
export type Deidentification =
  /** A birth date generalized to an age band. */
  | 'AGE_BAND'
  /** A timestamp truncated to its day. */
  | 'DAY'
  /** A keyed, period-rotated pseudonym of the patron id. */
  | 'PSEUDONYM';

export type DisclosureConnection = {
  __typename?: 'DisclosureConnection';
  nodes: Array<DisclosureRecord>;
  pageInfo: PageInfo;
};

/**
 * One disclosure of a patron's record under an exception (SELF is not recorded), as the audit keeps it:
 * one record per request and patron, listing the fields disclosed. Itself confidential, and whole only
 * for the records custodian: patrons and guardians get `PatronDisclosure`, which names no one.
 */
export type DisclosureRecord = {
  __typename?: 'DisclosureRecord';
  at?: Maybe<Scalars['DateTime']['output']>;
  exception?: Maybe<StatutoryException>;
  /** The fields disclosed, as `Type.field`. */
  fields?: Maybe<Array<Scalars['String']['output']>>;
  /** `<subgraph>:<sequence>`: the record's place in its subgraph's hash chain. */
  id?: Maybe<Scalars['ID']['output']>;
  patron?: Maybe<Patron>;
  /** Who received the data: the token subject of the caller. */
  principal?: Maybe<Scalars['String']['output']>;
  /** The purpose the caller stated (X-Disclosure-Purpose). */
  purpose?: Maybe<Scalars['String']['output']>;
  /** The consent form or legal order relied on, if any. */
  reference?: Maybe<Scalars['String']['output']>;
  requestId?: Maybe<Scalars['String']['output']>;
  roles?: Maybe<Array<Scalars['String']['output']>>;
  /** The subgraph that disclosed (and recorded) it. */
  subgraph?: Maybe<Scalars['String']['output']>;
};

/** A charge on a patron's account, such as an overdue fine. */
export type Fine = {
  __typename?: 'Fine';
  amountCents: Scalars['Int']['output'];
  createdAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  loan?: Maybe<Loan>;
  paidAt?: Maybe<Scalars['DateTime']['output']>;
  reason: Scalars['String']['output'];
};

/** A guardian's link to a minor (statute (d)); it names neither. */
export type Guardianship = {
  __typename?: 'Guardianship';
  createdAt: Scalars['DateTime']['output'];
  evidenceRef: Scalars['String']['output'];
  id: Scalars['ID']['output'];
};

/** A patron's request for the next available copy of a work. */
export type Hold = {
  __typename?: 'Hold';
  id: Scalars['ID']['output'];
  /** The copy set aside once the hold is ready. */
  item?: Maybe<Item>;
  patron?: Maybe<Patron>;
  pickupBranch: Branch;
  placedAt: Scalars['DateTime']['output'];
  status: HoldStatus;
  work: Work;
};

export type HoldStatus =
  | 'CANCELLED'
  | 'FILLED'
  | 'READY'
  | 'WAITING';

/** Circulation's view of a catalog item: whether it can be borrowed, never by whom it is. */
export type Item = {
  __typename?: 'Item';
  availability: Availability;
  dueAt?: Maybe<Scalars['DateTime']['output']>;
  id: Scalars['ID']['output'];
};

/** A registered legal order (statute (c)): how many patrons it names, never which. */
export type LegalOrder = {
  __typename?: 'LegalOrder';
  approvedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The second custodian who approved it; null while it awaits approval. */
  approvedBy?: Maybe<Scalars['String']['output']>;
  authority: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  kind: LegalOrderKind;
  patronCount: Scalars['Int']['output'];
  reference: Scalars['String']['output'];
  registeredAt: Scalars['DateTime']['output'];
  /** The custodian (token subject) who registered it. */
  registeredBy?: Maybe<Scalars['String']['output']>;
  scope: Array<PatronDataCategory>;
  sealedUntil?: Maybe<Scalars['DateTime']['output']>;
  status: LegalOrderStatus;
  validFrom: Scalars['DateTime']['output'];
  validUntil: Scalars['DateTime']['output'];
};

export type LegalOrderKind =
  | 'COURT_ORDER'
  | 'OTHER_LEGAL_REQUIREMENT'
  | 'SUBPOENA';

/** Whether a legal order may disclose yet. */
export type LegalOrderStatus =
  /** Approved by a custodian other than its registrar; discloses within its dates and scope. */
  | 'APPROVED'
  /** Registered; discloses nothing until a second custodian approves it. */
  | 'AWAITING_APPROVAL';

export type LinkGuardianInput = {
  /** The reference of the evidence of guardianship. */
  evidenceRef: Scalars['String']['input'];
  /** The custodial parent or legal guardian: a patron who is not a minor. */
  guardianId: Scalars['ID']['input'];
  /** A patron under 18 today. */
  minorId: Scalars['ID']['input'];
};

/** One lending of an item. The borrower is behind `patron`, which is confidential. */
export type Loan = {
  __typename?: 'Loan';
  /**
   * The borrower as analytics see them: a keyed pseudonym, the same for one patron within a period
   * (PSEUDONYM_PERIOD) and unlinkable across periods; never the patron's id. Analytics only.
   */
  borrowerKey?: Maybe<Scalars['String']['output']>;
  branch: Branch;
  checkedOutAt: Scalars['DateTime']['output'];
  /** The day of checkout (analytics only; analytics get every time of a loan cut to its day). */
  checkedOutDay?: Maybe<Scalars['Date']['output']>;
  dueAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  item: Item;
  patron?: Maybe<Patron>;
  renewals: Scalars['Int']['output'];
  returnedAt?: Maybe<Scalars['DateTime']['output']>;
  /** The day of return (analytics only). */
  returnedDay?: Maybe<Scalars['Date']['output']>;
  status: LoanStatus;
};

export type LoanConnection = {
  __typename?: 'LoanConnection';
  nodes: Array<Loan>;
  pageInfo: PageInfo;
};

export type LoanStatus =
  | 'OPEN'
  | 'RETURNED';

export type Mutation = {
  __typename?: 'Mutation';
  /**
   * Approves a registered legal order: the second person of the two-person rule (records custodian
   * only). The custodian who registered it gets FORBIDDEN; an order is approved once. Recorded in the
   * audit (chain `registers`).
   */
  approveLegalOrder: LegalOrder;
  /**
   * Logs in with a library card and its PIN (statute (d): whoever has a minor's card and its
   * authorization number); anyone may call it. Every failure gives the same BAD_USER_INPUT, and a
   * card locks for 15 minutes after 5 failures in 15 minutes.
   */
  authenticateWithCard: CardLogin;
  cancelHold: Hold;
  /**
   * Lends an item. Circulation staff give the number of the card the patron presents; a patron omits
   * it (self-checkout) or gives their own. An unknown card and one the caller may not act for get the
   * same BAD_USER_INPUT.
   */
  checkout: Loan;
  /** Links a custodial parent or legal guardian to a minor (statute (d); records custodian only). */
  linkGuardian: Guardianship;
  /** Places a hold on a work; `cardNumber` as for `checkout` (staff give the presented card; a patron omits it). */
  placeHold: Hold;
  /**
   * Records a patron's written consent to disclose their data to a grantee (statute (b); records
   * custodian only). The result names no patron.
   */
  recordConsent: Consent;
  /**
   * Registers a subpoena, court order or other legal requirement and the patrons it names (statute (c);
   * records custodian only). It awaits approval by a second custodian (`approveLegalOrder`) and
   * discloses nothing until then; afterwards the custodian invokes it with `X-Legal-Process: <reference>`.
   * Recorded in the audit (chain `registers`).
   */
  registerLegalOrder: LegalOrder;
  /** Registers a new patron (circulation staff). */
  registerPatron?: Maybe<Patron>;
  /** Renews a loan unless it reached the renewal limit or another patron waits for the work. */
  renewLoan: Loan;
  /** Checks an item in, charges an overdue fine and fills the oldest waiting hold on its work. */
  returnItem: Loan;
  /** Revokes a consent from now on; the next request no longer discloses under it (records custodian only). */
  revokeConsent: Consent;
  /**
   * Turns the calling patron's reading history on or off (a patron, for themself only; anyone else
   * is FORBIDDEN). Off by default. Turning it off anonymizes the patron's returned loans at once, by
   * the retention rules (a loan with an unpaid fine keeps its link until the fine is paid).
   */
  setReadingHistory: ReadingHistorySetting;
};


export type MutationApproveLegalOrderArgs = {
  orderId: Scalars['ID']['input'];
};


export type MutationAuthenticateWithCardArgs = {
  cardNumber: Scalars['String']['input'];
  pin: Scalars['String']['input'];
};


export type MutationCancelHoldArgs = {
  holdId: Scalars['ID']['input'];
};


export type MutationCheckoutArgs = {
  cardNumber?: InputMaybe<Scalars['String']['input']>;
  itemId: Scalars['ID']['input'];
};


export type MutationLinkGuardianArgs = {
  input: LinkGuardianInput;
};


export type MutationPlaceHoldArgs = {
  cardNumber?: InputMaybe<Scalars['String']['input']>;
  pickupBranchId: Scalars['ID']['input'];
  workId: Scalars['ID']['input'];
};


export type MutationRecordConsentArgs = {
  input: RecordConsentInput;
};


export type MutationRegisterLegalOrderArgs = {
  input: RegisterLegalOrderInput;
};


export type MutationRegisterPatronArgs = {
  input: RegisterPatronInput;
};


export type MutationRenewLoanArgs = {
  loanId: Scalars['ID']['input'];
};


export type MutationReturnItemArgs = {
  itemId: Scalars['ID']['input'];
};


export type MutationRevokeConsentArgs = {
  consentId: Scalars['ID']['input'];
};


export type MutationSetReadingHistoryArgs = {
  enabled: Scalars['Boolean']['input'];
};

/** Cursor pagination: pass `endCursor` as `after` for the next page. */
export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

/** A library card holder. Everything but `id` identifies the person and is confidential. */
export type Patron = {
  __typename?: 'Patron';
  address?: Maybe<Scalars['String']['output']>;
  birthDate?: Maybe<Scalars['Date']['output']>;
  cardNumber?: Maybe<Scalars['String']['output']>;
  /**
   * Who has seen this record: the disclosures made of it under an exception, newest first, each
   * recipient told as a role and exception (never another person). A sealed legal order's
   * disclosures appear once its seal ends.
   */
  disclosures?: Maybe<Array<PatronDisclosure>>;
  email?: Maybe<Scalars['String']['output']>;
  fines?: Maybe<Array<Fine>>;
  holds?: Maybe<Array<Hold>>;
  homeBranch?: Maybe<Branch>;
  id: Scalars['ID']['output'];
  loans?: Maybe<Array<Loan>>;
  name?: Maybe<Scalars['String']['output']>;
  phone?: Maybe<Scalars['String']['output']>;
  /** Whether a PIN is set; the PIN's hash is never exposed. */
  pinSet?: Maybe<Scalars['Boolean']['output']>;
  /** Returned loans the patron chose to keep (reading history is opt-in). */
  readingHistory?: Maybe<Array<Loan>>;
};


/** A library card holder. Everything but `id` identifies the person and is confidential. */
export type PatronDisclosuresArgs = {
  first?: InputMaybe<Scalars['Int']['input']>;
};

/** Kinds of patron data; consents and legal orders are scoped by them. */
export type PatronDataCategory =
  | 'CIRCULATION'
  | 'CONTACT'
  | 'DISCLOSURES'
  | 'EVENTS'
  | 'IDENTITY'
  | 'READING_HISTORY';

/**
 * One disclosure of a patron's record as the patron (or their guardian) sees it in `Patron.disclosures`:
 * who received it is given as a role and exception ("circulation staff, OPERATIONS", "guardian",
 * "subpoena JEFFCO-2026-CV-0142"), never their principal, request or stated purpose. Itself confidential.
 */
export type PatronDisclosure = {
  __typename?: 'PatronDisclosure';
  at?: Maybe<Scalars['DateTime']['output']>;
  exception?: Maybe<StatutoryException>;
  /** The fields disclosed, as `Type.field`. */
  fields?: Maybe<Array<Scalars['String']['output']>>;
  /** `<subgraph>:<sequence>`: the record's place in its subgraph's hash chain. */
  id?: Maybe<Scalars['ID']['output']>;
  /** Who received the data, as a role and exception. */
  recipient?: Maybe<Scalars['String']['output']>;
  /** The consent form or legal order relied on, if any. */
  reference?: Maybe<Scalars['String']['output']>;
  /** The subgraph that disclosed it. */
  subgraph?: Maybe<Scalars['String']['output']>;
};

export type Query = {
  __typename?: 'Query';
  /**
   * Checkouts and distinct borrowers over whole months (YYYY-MM, `to` inclusive), grouped by any of
   * branch, format, the borrower's age band and home branch at checkout, and month (analytics,
   * circulation staff, records custodian). Computed only from the frozen releases of closed months
   * (`releases` names them; the open month is never published): each release was protected once,
   * over every grouping, so that no answer can be differenced against another. A group of fewer
   * than k distinct borrowers (ANALYTICS_MIN_CELL, default 10) is suppressed, with enough others.
   * An answer of more than 1000 groups comes in pages (`cellPage`); `cellCount` says how many.
   */
  circulationStats: CirculationStats;
  /**
   * The disclosure audit, newest first (records custodian only): who saw which fields of which
   * patron, when, and under which exception. Filter by patron, principal, exception and time.
   */
  disclosures: DisclosureConnection;
  /** Loans, newest first, for circulation staff, custodians and analytics; never their borrowers unless an exception applies. */
  loans: LoanConnection;
  /** The calling patron's own record. */
  me?: Maybe<Patron>;
  /** A patron by id; the same redaction for an unknown id as for one the caller may not see. */
  patron?: Maybe<Patron>;
};


export type QueryCirculationStatsArgs = {
  from: Scalars['String']['input'];
  groupBy?: Array<CirculationDimension>;
  protection?: StatsProtection;
  to: Scalars['String']['input'];
};


export type QueryDisclosuresArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  exception?: InputMaybe<StatutoryException>;
  first?: InputMaybe<Scalars['Int']['input']>;
  from?: InputMaybe<Scalars['DateTime']['input']>;
  patronId?: InputMaybe<Scalars['ID']['input']>;
  principal?: InputMaybe<Scalars['String']['input']>;
  to?: InputMaybe<Scalars['DateTime']['input']>;
};


export type QueryLoansArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  status?: InputMaybe<LoanStatus>;
};


export type QueryPatronArgs = {
  id: Scalars['ID']['input'];
};

/** The caller's reading-history setting after `setReadingHistory`; it names no patron and no material. */
export type ReadingHistorySetting = {
  __typename?: 'ReadingHistorySetting';
  enabled: Scalars['Boolean']['output'];
  /** Returned loans that lost their link to the caller just now (0 when turning it on). */
  loansAnonymized: Scalars['Int']['output'];
};

export type RecordConsentInput = {
  /** The reference of the signed consent form. */
  documentRef: Scalars['String']['input'];
  /** The principal the patron consents to, as its tokens name it, e.g. `partner:front-range-literacy`. */
  grantee: Scalars['String']['input'];
  patronId: Scalars['ID']['input'];
  /** The kinds of patron data the consent covers: at least one, each once. */
  scope: Array<PatronDataCategory>;
  validFrom: Scalars['DateTime']['input'];
  /** After `validFrom`, and in the future. */
  validUntil: Scalars['DateTime']['input'];
};

export type RegisterLegalOrderInput = {
  /** The court or authority that issued it. */
  authority: Scalars['String']['input'];
  kind: LegalOrderKind;
  /** The patrons it names: 1 to 1000, each once. */
  patronIds: Array<Scalars['ID']['input']>;
  /** The order's reference, unique; printable ASCII, as it is sent in `X-Legal-Process`. */
  reference: Scalars['String']['input'];
  scope: Array<PatronDataCategory>;
  /**
   * Until when its subjects must not learn of it: its disclosures stay in the audit and the
   * custodian's view, and reach the patron's (and guardian's) own log only after this instant.
   */
  sealedUntil?: InputMaybe<Scalars['DateTime']['input']>;
  /** When it starts; omitted, at registration. Never before registration (BAD_USER_INPUT). */
  validFrom?: InputMaybe<Scalars['DateTime']['input']>;
  validUntil: Scalars['DateTime']['input'];
};

export type RegisterPatronInput = {
  address?: InputMaybe<Scalars['String']['input']>;
  birthDate: Scalars['Date']['input'];
  email?: InputMaybe<Scalars['String']['input']>;
  homeBranchId: Scalars['ID']['input'];
  name: Scalars['String']['input'];
  phone?: InputMaybe<Scalars['String']['input']>;
  /** A 4 to 8 digit PIN; stored only as a salted slow hash. */
  pin: Scalars['String']['input'];
};

/**
 * The duties that can unlock an OPERATIONS field: staff hold CIRCULATION or EVENTS; RECORDS is the
 * records custodian's own (the disclosure audit).
 */
export type StaffDuty =
  | 'CIRCULATION'
  | 'EVENTS'
  | 'RECORDS';

/**
 * How statistics are protected. SUPPRESSION publishes exact counts and hides groups of fewer than k
 * people (and enough others); DIFFERENTIAL_PRIVACY publishes every group with calibrated noise and
 * its 95% margin of error (cells whose noisy count is within that margin of 0 are left out, like
 * empty ones), and no distinct people.
 */
export type StatsProtection =
  | 'DIFFERENTIAL_PRIVACY'
  | 'SUPPRESSION';

/**
 * A frozen release of one closed month's statistics. A release never changes; a correction is a new
 * version, and answers use the latest.
 */
export type StatsRelease = {
  __typename?: 'StatsRelease';
  /** The most rows one person counts for in the month (DIFFERENTIAL_PRIVACY). */
  contributionBound?: Maybe<Scalars['Int']['output']>;
  /** Privacy loss per person of the month's release (DIFFERENTIAL_PRIVACY). */
  epsilon?: Maybe<Scalars['Float']['output']>;
  /** `<scope>:<month>:<mode>:v<version>`. */
  id: Scalars['ID']['output'];
  /** k of the release's suppression. */
  minGroupSize?: Maybe<Scalars['Int']['output']>;
  month: Scalars['String']['output'];
  protection: StatsProtection;
  releasedAt: Scalars['DateTime']['output'];
  version: Scalars['Int']['output'];
};

/**
 * The grounds on which a confidential field may be disclosed: the patron's own record (SELF) and
 * the statute's four exceptions, (a) OPERATIONS, (b) CONSENT, (c) LEGAL_PROCESS, (d) GUARDIAN.
 */
export type StatutoryException =
  | 'CONSENT'
  | 'GUARDIAN'
  | 'LEGAL_PROCESS'
  | 'OPERATIONS'
  | 'SELF';

/** Where the patron a confidential field identifies (the data subject) is found. */
export type SubjectSource =
  /** An argument of the field, named by `subjectField`, holds the patron's id. */
  | 'ARGUMENT'
  /** The caller: the patron id of the caller's own disclosure context. */
  | 'CALLER'
  /** The object itself is the patron; `subjectField` names its id field. */
  | 'OBJECT'
  /** A field of the parent object, named by `subjectField`, holds the patron's id. */
  | 'PARENT_FIELD';

export type Work = {
  __typename?: 'Work';
  /** Patrons waiting for this work (a count, never who). */
  holdCount: Scalars['Int']['output'];
  id: Scalars['ID']['output'];
};



export type ResolverTypeWrapper<T> = Promise<T> | T;

export type ReferenceResolver<TResult, TReference, TContext> = (
      reference: TReference,
      context: TContext,
      info: GraphQLResolveInfo
    ) => Promise<TResult> | TResult;

      type ScalarCheck<T, S> = S extends true ? T : NullableCheck<T, S>;
      type NullableCheck<T, S> = Maybe<T> extends T ? Maybe<ListCheck<NonNullable<T>, S>> : ListCheck<T, S>;
      type ListCheck<T, S> = T extends (infer U)[] ? NullableCheck<U, S>[] : GraphQLRecursivePick<T, S>;
      export type GraphQLRecursivePick<T, S> = { [K in keyof T & keyof S]: ScalarCheck<T[K], S[K]> };
    

export type ResolverWithResolve<TResult, TParent, TContext, TArgs> = {
  resolve: ResolverFn<TResult, TParent, TContext, TArgs>;
};
export type Resolver<TResult, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = ResolverFn<TResult, TParent, TContext, TArgs> | ResolverWithResolve<TResult, TParent, TContext, TArgs>;

export type ResolverFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => Promise<TResult> | TResult;

export type SubscriptionSubscribeFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => AsyncIterable<TResult> | Promise<AsyncIterable<TResult>>;

export type SubscriptionResolveFn<TResult, TParent, TContext, TArgs> = (
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

export interface SubscriptionSubscriberObject<TResult, TKey extends string, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<{ [key in TKey]: TResult }, TParent, TContext, TArgs>;
  resolve?: SubscriptionResolveFn<TResult, { [key in TKey]: TResult }, TContext, TArgs>;
}

export interface SubscriptionResolverObject<TResult, TParent, TContext, TArgs> {
  subscribe: SubscriptionSubscribeFn<any, TParent, TContext, TArgs>;
  resolve: SubscriptionResolveFn<TResult, any, TContext, TArgs>;
}

export type SubscriptionObject<TResult, TKey extends string, TParent, TContext, TArgs> =
  | SubscriptionSubscriberObject<TResult, TKey, TParent, TContext, TArgs>
  | SubscriptionResolverObject<TResult, TParent, TContext, TArgs>;

export type SubscriptionResolver<TResult, TKey extends string, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> =
  | ((...args: any[]) => SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>)
  | SubscriptionObject<TResult, TKey, TParent, TContext, TArgs>;

export type TypeResolveFn<TTypes, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (
  parent: TParent,
  context: TContext,
  info: GraphQLResolveInfo
) => Maybe<TTypes> | Promise<Maybe<TTypes>>;

export type IsTypeOfResolverFn<T = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>> = (obj: T, context: TContext, info: GraphQLResolveInfo) => boolean | Promise<boolean>;

export type NextResolverFn<T> = () => Promise<T>;

export type DirectiveResolverFn<TResult = Record<PropertyKey, never>, TParent = Record<PropertyKey, never>, TContext = Record<PropertyKey, never>, TArgs = Record<PropertyKey, never>> = (
  next: NextResolverFn<TResult>,
  parent: TParent,
  args: TArgs,
  context: TContext,
  info: GraphQLResolveInfo
) => TResult | Promise<TResult>;

/** Mapping of federation types */
export type FederationTypes = {
  Hold: Hold;
  Item: Item;
  Loan: Loan;
  Patron: Patron;
  Work: Work;
};

/** Mapping of federation reference types */
export type FederationReferenceTypes = {
  Hold:
    ( { __typename: 'Hold' }
    & GraphQLRecursivePick<FederationTypes['Hold'], {"id":true}> );
  Item:
    ( { __typename: 'Item' }
    & GraphQLRecursivePick<FederationTypes['Item'], {"id":true}> );
  Loan:
    ( { __typename: 'Loan' }
    & GraphQLRecursivePick<FederationTypes['Loan'], {"id":true}> );
  Patron:
    ( { __typename: 'Patron' }
    & GraphQLRecursivePick<FederationTypes['Patron'], {"id":true}> );
  Work:
    ( { __typename: 'Work' }
    & GraphQLRecursivePick<FederationTypes['Work'], {"id":true}> );
};



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Availability: Availability;
  Branch: ResolverTypeWrapper<Branch>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  CardLogin: ResolverTypeWrapper<CardLoginResult>;
  CirculationDimension: CirculationDimension;
  CirculationGroup: ResolverTypeWrapper<CirculationGroup>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  CirculationGroupPage: ResolverTypeWrapper<CirculationGroupPage>;
  CirculationStats: ResolverTypeWrapper<CirculationStats>;
  Consent: ResolverTypeWrapper<ConsentRecord>;
  Date: ResolverTypeWrapper<Scalars['Date']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Deidentification: Deidentification;
  DisclosureConnection: ResolverTypeWrapper<Omit<DisclosureConnection, 'nodes'> & { nodes: Array<ResolversTypes['DisclosureRecord']> }>;
  DisclosureRecord: ResolverTypeWrapper<Omit<DisclosureRecord, 'patron'> & { patron?: Maybe<ResolversTypes['Patron']> }>;
  Fine: ResolverTypeWrapper<FineRow>;
  Guardianship: ResolverTypeWrapper<GuardianshipRecord>;
  Hold: ResolverTypeWrapper<HoldRow>;
  HoldStatus: HoldStatus;
  Item: ResolverTypeWrapper<EntityReference>;
  LegalOrder: ResolverTypeWrapper<LegalOrderRecord>;
  LegalOrderKind: LegalOrderKind;
  LegalOrderStatus: LegalOrderStatus;
  LinkGuardianInput: LinkGuardianInput;
  Loan: ResolverTypeWrapper<LoanRow>;
  LoanConnection: ResolverTypeWrapper<Omit<LoanConnection, 'nodes'> & { nodes: Array<ResolversTypes['Loan']> }>;
  LoanStatus: LoanStatus;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Patron: ResolverTypeWrapper<PatronParent>;
  PatronDataCategory: PatronDataCategory;
  PatronDisclosure: ResolverTypeWrapper<PatronDisclosure>;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  ReadingHistorySetting: ResolverTypeWrapper<ReadingHistorySetting>;
  RecordConsentInput: RecordConsentInput;
  RegisterLegalOrderInput: RegisterLegalOrderInput;
  RegisterPatronInput: RegisterPatronInput;
  StaffDuty: StaffDuty;
  StatsProtection: StatsProtection;
  StatsRelease: ResolverTypeWrapper<StatsRelease>;
  StatutoryException: StatutoryException;
  SubjectSource: SubjectSource;
  Work: ResolverTypeWrapper<EntityReference>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Branch: Branch;
  ID: Scalars['ID']['output'];
  CardLogin: CardLoginResult;
  CirculationGroup: CirculationGroup;
  Int: Scalars['Int']['output'];
  Float: Scalars['Float']['output'];
  Boolean: Scalars['Boolean']['output'];
  CirculationGroupPage: CirculationGroupPage;
  CirculationStats: CirculationStats;
  Consent: ConsentRecord;
  Date: Scalars['Date']['output'];
  DateTime: Scalars['DateTime']['output'];
  DisclosureConnection: Omit<DisclosureConnection, 'nodes'> & { nodes: Array<ResolversParentTypes['DisclosureRecord']> };
  DisclosureRecord: Omit<DisclosureRecord, 'patron'> & { patron?: Maybe<ResolversParentTypes['Patron']> };
  Fine: FineRow;
  Guardianship: GuardianshipRecord;
  Hold: HoldRow;
  Item: EntityReference;
  LegalOrder: LegalOrderRecord;
  LinkGuardianInput: LinkGuardianInput;
  Loan: LoanRow;
  LoanConnection: Omit<LoanConnection, 'nodes'> & { nodes: Array<ResolversParentTypes['Loan']> };
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Patron: PatronParent;
  PatronDisclosure: PatronDisclosure;
  Query: Record<PropertyKey, never>;
  ReadingHistorySetting: ReadingHistorySetting;
  RecordConsentInput: RecordConsentInput;
  RegisterLegalOrderInput: RegisterLegalOrderInput;
  RegisterPatronInput: RegisterPatronInput;
  StatsRelease: StatsRelease;
  Work: EntityReference;
  String: Scalars['String']['output'];
};

export type ConfidentialDirectiveArgs = {
  category: PatronDataCategory;
  deidentify?: Maybe<Deidentification>;
  subject?: SubjectSource;
  subjectField?: Maybe<Scalars['String']['input']>;
};

export type ConfidentialDirectiveResolver<Result, Parent, ContextType = CirculationContext, Args = ConfidentialDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type DisclosableUnderDirectiveArgs = {
  duties?: Array<StaffDuty>;
  exceptions: Array<StatutoryException>;
};

export type DisclosableUnderDirectiveResolver<Result, Parent, ContextType = CirculationContext, Args = DisclosableUnderDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type BranchResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Branch'] = ResolversParentTypes['Branch']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type CardLoginResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['CardLogin'] = ResolversParentTypes['CardLogin']> = {
  expiresAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  token?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type CirculationGroupResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['CirculationGroup'] = ResolversParentTypes['CirculationGroup']> = {
  ageBand?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  branch?: Resolver<Maybe<ResolversTypes['Branch']>, ParentType, ContextType>;
  checkouts?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  checkoutsMarginOfError?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  dimension?: Resolver<Maybe<ResolversTypes['CirculationDimension']>, ParentType, ContextType>;
  distinctBorrowers?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  format?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  homeBranch?: Resolver<Maybe<ResolversTypes['Branch']>, ParentType, ContextType>;
  month?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  suppressed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type CirculationGroupPageResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['CirculationGroupPage'] = ResolversParentTypes['CirculationGroupPage']> = {
  nodes?: Resolver<Array<ResolversTypes['CirculationGroup']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type CirculationStatsResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['CirculationStats'] = ResolversParentTypes['CirculationStats']> = {
  cellCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  cellPage?: Resolver<ResolversTypes['CirculationGroupPage'], ParentType, ContextType, RequireFields<CirculationStatsCellPageArgs, 'first'>>;
  cells?: Resolver<Array<ResolversTypes['CirculationGroup']>, ParentType, ContextType>;
  from?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  groupBy?: Resolver<Array<ResolversTypes['CirculationDimension']>, ParentType, ContextType>;
  margins?: Resolver<Array<ResolversTypes['CirculationGroup']>, ParentType, ContextType>;
  minGroupSize?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  protection?: Resolver<ResolversTypes['StatsProtection'], ParentType, ContextType>;
  releases?: Resolver<Array<ResolversTypes['StatsRelease']>, ParentType, ContextType>;
  to?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['CirculationGroup'], ParentType, ContextType>;
  unreleasedMonths?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
};

export type ConsentResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Consent'] = ResolversParentTypes['Consent']> = {
  documentRef?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  grantee?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  revokedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  scope?: Resolver<Array<ResolversTypes['PatronDataCategory']>, ParentType, ContextType>;
  validFrom?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  validUntil?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export interface DateScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['Date'], any> {
  name: 'Date';
}

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type DisclosureConnectionResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['DisclosureConnection'] = ResolversParentTypes['DisclosureConnection']> = {
  nodes?: Resolver<Array<ResolversTypes['DisclosureRecord']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type DisclosureRecordResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['DisclosureRecord'] = ResolversParentTypes['DisclosureRecord']> = {
  at?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  exception?: Resolver<Maybe<ResolversTypes['StatutoryException']>, ParentType, ContextType>;
  fields?: Resolver<Maybe<Array<ResolversTypes['String']>>, ParentType, ContextType>;
  id?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  patron?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType>;
  principal?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  purpose?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  reference?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  requestId?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  roles?: Resolver<Maybe<Array<ResolversTypes['String']>>, ParentType, ContextType>;
  subgraph?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type FineResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Fine'] = ResolversParentTypes['Fine']> = {
  amountCents?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  loan?: Resolver<Maybe<ResolversTypes['Loan']>, ParentType, ContextType>;
  paidAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  reason?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type GuardianshipResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Guardianship'] = ResolversParentTypes['Guardianship']> = {
  createdAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  evidenceRef?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type HoldResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Hold'] = ResolversParentTypes['Hold'], FederationReferenceType extends FederationReferenceTypes['Hold'] = FederationReferenceTypes['Hold']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Hold']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  item?: Resolver<Maybe<ResolversTypes['Item']>, ParentType, ContextType>;
  patron?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType>;
  pickupBranch?: Resolver<ResolversTypes['Branch'], ParentType, ContextType>;
  placedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['HoldStatus'], ParentType, ContextType>;
  work?: Resolver<ResolversTypes['Work'], ParentType, ContextType>;
};

export type ItemResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Item'] = ResolversParentTypes['Item'], FederationReferenceType extends FederationReferenceTypes['Item'] = FederationReferenceTypes['Item']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Item']> | FederationReferenceType, FederationReferenceType, ContextType>;
  availability?: Resolver<ResolversTypes['Availability'], ParentType, ContextType>;
  dueAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type LegalOrderResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['LegalOrder'] = ResolversParentTypes['LegalOrder']> = {
  approvedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  approvedBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  authority?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  kind?: Resolver<ResolversTypes['LegalOrderKind'], ParentType, ContextType>;
  patronCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  reference?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  registeredAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  registeredBy?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  scope?: Resolver<Array<ResolversTypes['PatronDataCategory']>, ParentType, ContextType>;
  sealedUntil?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['LegalOrderStatus'], ParentType, ContextType>;
  validFrom?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  validUntil?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export type LoanResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Loan'] = ResolversParentTypes['Loan'], FederationReferenceType extends FederationReferenceTypes['Loan'] = FederationReferenceTypes['Loan']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Loan']> | FederationReferenceType, FederationReferenceType, ContextType>;
  borrowerKey?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  branch?: Resolver<ResolversTypes['Branch'], ParentType, ContextType>;
  checkedOutAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  checkedOutDay?: Resolver<Maybe<ResolversTypes['Date']>, ParentType, ContextType>;
  dueAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  item?: Resolver<ResolversTypes['Item'], ParentType, ContextType>;
  patron?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType>;
  renewals?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  returnedAt?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  returnedDay?: Resolver<Maybe<ResolversTypes['Date']>, ParentType, ContextType>;
  status?: Resolver<ResolversTypes['LoanStatus'], ParentType, ContextType>;
};

export type LoanConnectionResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['LoanConnection'] = ResolversParentTypes['LoanConnection']> = {
  nodes?: Resolver<Array<ResolversTypes['Loan']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
};

export type MutationResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  approveLegalOrder?: Resolver<ResolversTypes['LegalOrder'], ParentType, ContextType, RequireFields<MutationApproveLegalOrderArgs, 'orderId'>>;
  authenticateWithCard?: Resolver<ResolversTypes['CardLogin'], ParentType, ContextType, RequireFields<MutationAuthenticateWithCardArgs, 'cardNumber' | 'pin'>>;
  cancelHold?: Resolver<ResolversTypes['Hold'], ParentType, ContextType, RequireFields<MutationCancelHoldArgs, 'holdId'>>;
  checkout?: Resolver<ResolversTypes['Loan'], ParentType, ContextType, RequireFields<MutationCheckoutArgs, 'itemId'>>;
  linkGuardian?: Resolver<ResolversTypes['Guardianship'], ParentType, ContextType, RequireFields<MutationLinkGuardianArgs, 'input'>>;
  placeHold?: Resolver<ResolversTypes['Hold'], ParentType, ContextType, RequireFields<MutationPlaceHoldArgs, 'pickupBranchId' | 'workId'>>;
  recordConsent?: Resolver<ResolversTypes['Consent'], ParentType, ContextType, RequireFields<MutationRecordConsentArgs, 'input'>>;
  registerLegalOrder?: Resolver<ResolversTypes['LegalOrder'], ParentType, ContextType, RequireFields<MutationRegisterLegalOrderArgs, 'input'>>;
  registerPatron?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType, RequireFields<MutationRegisterPatronArgs, 'input'>>;
  renewLoan?: Resolver<ResolversTypes['Loan'], ParentType, ContextType, RequireFields<MutationRenewLoanArgs, 'loanId'>>;
  returnItem?: Resolver<ResolversTypes['Loan'], ParentType, ContextType, RequireFields<MutationReturnItemArgs, 'itemId'>>;
  revokeConsent?: Resolver<ResolversTypes['Consent'], ParentType, ContextType, RequireFields<MutationRevokeConsentArgs, 'consentId'>>;
  setReadingHistory?: Resolver<ResolversTypes['ReadingHistorySetting'], ParentType, ContextType, RequireFields<MutationSetReadingHistoryArgs, 'enabled'>>;
};

export type PageInfoResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PatronResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Patron'] = ResolversParentTypes['Patron'], FederationReferenceType extends FederationReferenceTypes['Patron'] = FederationReferenceTypes['Patron']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Patron']> | FederationReferenceType, FederationReferenceType, ContextType>;
  address?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  birthDate?: Resolver<Maybe<ResolversTypes['Date']>, ParentType, ContextType>;
  cardNumber?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  disclosures?: Resolver<Maybe<Array<ResolversTypes['PatronDisclosure']>>, ParentType, ContextType, RequireFields<PatronDisclosuresArgs, 'first'>>;
  email?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  fines?: Resolver<Maybe<Array<ResolversTypes['Fine']>>, ParentType, ContextType>;
  holds?: Resolver<Maybe<Array<ResolversTypes['Hold']>>, ParentType, ContextType>;
  homeBranch?: Resolver<Maybe<ResolversTypes['Branch']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  loans?: Resolver<Maybe<Array<ResolversTypes['Loan']>>, ParentType, ContextType>;
  name?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  phone?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  pinSet?: Resolver<Maybe<ResolversTypes['Boolean']>, ParentType, ContextType>;
  readingHistory?: Resolver<Maybe<Array<ResolversTypes['Loan']>>, ParentType, ContextType>;
};

export type PatronDisclosureResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['PatronDisclosure'] = ResolversParentTypes['PatronDisclosure']> = {
  at?: Resolver<Maybe<ResolversTypes['DateTime']>, ParentType, ContextType>;
  exception?: Resolver<Maybe<ResolversTypes['StatutoryException']>, ParentType, ContextType>;
  fields?: Resolver<Maybe<Array<ResolversTypes['String']>>, ParentType, ContextType>;
  id?: Resolver<Maybe<ResolversTypes['ID']>, ParentType, ContextType>;
  recipient?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  reference?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  subgraph?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  circulationStats?: Resolver<ResolversTypes['CirculationStats'], ParentType, ContextType, RequireFields<QueryCirculationStatsArgs, 'from' | 'groupBy' | 'protection' | 'to'>>;
  disclosures?: Resolver<ResolversTypes['DisclosureConnection'], ParentType, ContextType, RequireFields<QueryDisclosuresArgs, 'first'>>;
  loans?: Resolver<ResolversTypes['LoanConnection'], ParentType, ContextType, RequireFields<QueryLoansArgs, 'first'>>;
  me?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType>;
  patron?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType, RequireFields<QueryPatronArgs, 'id'>>;
};

export type ReadingHistorySettingResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['ReadingHistorySetting'] = ResolversParentTypes['ReadingHistorySetting']> = {
  enabled?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  loansAnonymized?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type StatsReleaseResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['StatsRelease'] = ResolversParentTypes['StatsRelease']> = {
  contributionBound?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  epsilon?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  minGroupSize?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  month?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  protection?: Resolver<ResolversTypes['StatsProtection'], ParentType, ContextType>;
  releasedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type WorkResolvers<ContextType = CirculationContext, ParentType extends ResolversParentTypes['Work'] = ResolversParentTypes['Work'], FederationReferenceType extends FederationReferenceTypes['Work'] = FederationReferenceTypes['Work']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Work']> | FederationReferenceType, FederationReferenceType, ContextType>;
  holdCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export type Resolvers<ContextType = CirculationContext> = {
  Branch?: BranchResolvers<ContextType>;
  CardLogin?: CardLoginResolvers<ContextType>;
  CirculationGroup?: CirculationGroupResolvers<ContextType>;
  CirculationGroupPage?: CirculationGroupPageResolvers<ContextType>;
  CirculationStats?: CirculationStatsResolvers<ContextType>;
  Consent?: ConsentResolvers<ContextType>;
  Date?: GraphQLScalarType;
  DateTime?: GraphQLScalarType;
  DisclosureConnection?: DisclosureConnectionResolvers<ContextType>;
  DisclosureRecord?: DisclosureRecordResolvers<ContextType>;
  Fine?: FineResolvers<ContextType>;
  Guardianship?: GuardianshipResolvers<ContextType>;
  Hold?: HoldResolvers<ContextType>;
  Item?: ItemResolvers<ContextType>;
  LegalOrder?: LegalOrderResolvers<ContextType>;
  Loan?: LoanResolvers<ContextType>;
  LoanConnection?: LoanConnectionResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Patron?: PatronResolvers<ContextType>;
  PatronDisclosure?: PatronDisclosureResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  ReadingHistorySetting?: ReadingHistorySettingResolvers<ContextType>;
  StatsRelease?: StatsReleaseResolvers<ContextType>;
  Work?: WorkResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = CirculationContext> = {
  confidential?: ConfidentialDirectiveResolver<any, any, ContextType>;
  disclosableUnder?: DisclosableUnderDirectiveResolver<any, any, ContextType>;
};
