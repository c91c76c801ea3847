import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { EventRow, RegistrationRow } from '../store.js';
import type { EventsContext } from '../context.js';
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
  /** An ISO 8601 date-time in UTC. */
  DateTime: { input: string; output: string; }
  _FieldSet: { input: unknown; output: unknown; }
};

export type Branch = {
  __typename?: 'Branch';
  id: Scalars['ID']['output'];
};

/** How analytics may receive a field instead of having it redacted. */
export type Deidentification =
  /** A birth date generalized to an age band. */
  | 'AGE_BAND'
  /** A timestamp truncated to its day. */
  | 'DAY'
  /** A keyed, period-rotated pseudonym of the patron id. */
  | 'PSEUDONYM';

/** A library program: a story time, a class, a talk. */
export type Event = {
  __typename?: 'Event';
  branch: Branch;
  capacity: Scalars['Int']['output'];
  description: Scalars['String']['output'];
  endsAt: Scalars['DateTime']['output'];
  id: Scalars['ID']['output'];
  registrationCount: Scalars['Int']['output'];
  /** Registrations; who registered is behind each `attendee`, which is confidential. */
  registrations: Array<Registration>;
  startsAt: Scalars['DateTime']['output'];
  title: Scalars['String']['output'];
};

/** What event statistics can be grouped by. Events keep no age of their attendees. */
export type EventDimension =
  /** The branch holding the event. */
  | 'BRANCH'
  /** The month the event starts, YYYY-MM (UTC). */
  | 'MONTH';

/**
 * A group of registrations: its value on each grouped dimension (null where not grouped), and its
 * numbers, which are all null when `suppressed`.
 */
export type EventGroup = {
  __typename?: 'EventGroup';
  /** Registrations marked attended (SUPPRESSION only). */
  attended?: Maybe<Scalars['Int']['output']>;
  branch?: Maybe<Branch>;
  /** For a margin, the dimension it totals; null for cells and the total. */
  dimension?: Maybe<EventDimension>;
  /**
   * Distinct patrons, tallied while the registrations still named them. Null when the group spans
   * several months (each month is tallied apart).
   */
  distinctPatrons?: Maybe<Scalars['Int']['output']>;
  month?: Maybe<Scalars['String']['output']>;
  registrations?: Maybe<Scalars['Int']['output']>;
  /** Half-width of the 95% interval of `registrations` (DIFFERENTIAL_PRIVACY; approximate for sums over several months); null otherwise. */
  registrationsMarginOfError?: Maybe<Scalars['Float']['output']>;
  suppressed: Scalars['Boolean']['output'];
};

/** A page of a statistics answer's groups (`cellPage`). */
export type EventGroupPage = {
  __typename?: 'EventGroupPage';
  nodes: Array<EventGroup>;
  pageInfo: PageInfo;
  /** How many groups the answer has in all. */
  totalCount: Scalars['Int']['output'];
};

/** Event statistics over whole months, small groups suppressed (`eventStats`). */
export type EventStats = {
  __typename?: 'EventStats';
  /** How many groups the answer has (`cells` lists at most 1000 of them; `cellPage` all, page by page). */
  cellCount: Scalars['Int']['output'];
  /**
   * The groups of `cells`, `first` (default and most 1000) at a time, in the same order, after the
   * cursor `after` (`pageInfo.endCursor` of the page before; omitted for the first page). A cursor
   * holds for the same arguments and releases only: one of another answer, or of the same question
   * after a correction was released, is refused (BAD_USER_INPUT); ask again from the first page.
   * Every page is a slice of the one answer, with the same margins, total and releases.
   */
  cellPage: EventGroupPage;
  /**
   * One per non-empty group, in order of its values; a few empty groups may be listed, suppressed,
   * because hiding them hides others. Absent groups are empty. At most the first 1000 groups: an
   * answer of more (`cellCount`) is read page by page with `cellPage`.
   */
  cells: Array<EventGroup>;
  /** First month, YYYY-MM. */
  from: Scalars['String']['output'];
  groupBy: Array<EventDimension>;
  /** With two dimensions: the totals of each dimension alone (`dimension` says which). */
  margins: Array<EventGroup>;
  /** k: the fewest distinct patrons a published number may stand for (SUPPRESSION); null under DIFFERENTIAL_PRIVACY. */
  minGroupSize?: Maybe<Scalars['Int']['output']>;
  /** How the releases it drew on are protected. */
  protection: StatsProtection;
  /** The releases the answer drew on: the latest version of each released month of the range. */
  releases: Array<StatsRelease>;
  /** Last month, inclusive, YYYY-MM. */
  to: Scalars['String']['output'];
  /** All registrations of the range. */
  total: EventGroup;
  /** Months of the range without a release (the open month, later ones, months not yet released): not counted. */
  unreleasedMonths: Array<Scalars['String']['output']>;
};


/** Event statistics over whole months, small groups suppressed (`eventStats`). */
export type EventStatsCellPageArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
};

export type Mutation = {
  __typename?: 'Mutation';
  cancelRegistration: Registration;
  /**
   * Registers a patron for an event. Events staff give the number of the card the patron presents; a
   * patron omits it (or gives their own). An unknown card and one the caller may not act for get the
   * same BAD_USER_INPUT.
   */
  registerForEvent: Registration;
};


export type MutationCancelRegistrationArgs = {
  registrationId: Scalars['ID']['input'];
};


export type MutationRegisterForEventArgs = {
  cardNumber?: InputMaybe<Scalars['String']['input']>;
  eventId: Scalars['ID']['input'];
};

/** Cursor pagination: pass `endCursor` as `after` for the next page. */
export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
};

export type Patron = {
  __typename?: 'Patron';
  id: Scalars['ID']['output'];
  /** The events this patron registered for. */
  registrations?: Maybe<Array<Registration>>;
};

/** Kinds of patron data; consents and legal orders are scoped by them. */
export type PatronDataCategory =
  | 'CIRCULATION'
  | 'CONTACT'
  | 'DISCLOSURES'
  | 'EVENTS'
  | 'IDENTITY'
  | 'READING_HISTORY';

export type Query = {
  __typename?: 'Query';
  event?: Maybe<Event>;
  /**
   * Registrations and attendance over whole months (YYYY-MM, `to` inclusive) of the events starting
   * then, grouped by branch and month (analytics, events staff, records custodian). Computed only
   * from the frozen releases of closed months, like `circulationStats`: a group of fewer than k
   * distinct patrons (ANALYTICS_MIN_CELL, default 10) is suppressed, with enough others. An
   * answer of more than 1000 groups comes in pages (`cellPage`), as in `circulationStats`.
   */
  eventStats: EventStats;
  /** Events starting at or after `from` (default: now), soonest first. */
  events: Array<Event>;
};


export type QueryEventArgs = {
  id: Scalars['ID']['input'];
};


export type QueryEventStatsArgs = {
  from: Scalars['String']['input'];
  groupBy?: Array<EventDimension>;
  protection?: StatsProtection;
  to: Scalars['String']['input'];
};


export type QueryEventsArgs = {
  branchId?: InputMaybe<Scalars['ID']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  from?: InputMaybe<Scalars['DateTime']['input']>;
};

/** A seat taken at an event. */
export type Registration = {
  __typename?: 'Registration';
  attended: Scalars['Boolean']['output'];
  attendee?: Maybe<Patron>;
  event: Event;
  id: Scalars['ID']['output'];
  registeredAt: Scalars['DateTime']['output'];
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
  Event: Event;
  Patron: Patron;
  Registration: Registration;
};

/** Mapping of federation reference types */
export type FederationReferenceTypes = {
  Event:
    ( { __typename: 'Event' }
    & GraphQLRecursivePick<FederationTypes['Event'], {"id":true}> );
  Patron:
    ( { __typename: 'Patron' }
    & GraphQLRecursivePick<FederationTypes['Patron'], {"id":true}> );
  Registration:
    ( { __typename: 'Registration' }
    & GraphQLRecursivePick<FederationTypes['Registration'], {"id":true}> );
};



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Branch: ResolverTypeWrapper<Branch>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Deidentification: Deidentification;
  Event: ResolverTypeWrapper<EventRow>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  EventDimension: EventDimension;
  EventGroup: ResolverTypeWrapper<EventGroup>;
  Float: ResolverTypeWrapper<Scalars['Float']['output']>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  EventGroupPage: ResolverTypeWrapper<EventGroupPage>;
  EventStats: ResolverTypeWrapper<EventStats>;
  Mutation: ResolverTypeWrapper<Record<PropertyKey, never>>;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Patron: ResolverTypeWrapper<Omit<Patron, 'registrations'> & { registrations?: Maybe<Array<ResolversTypes['Registration']>> }>;
  PatronDataCategory: PatronDataCategory;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Registration: ResolverTypeWrapper<RegistrationRow>;
  StaffDuty: StaffDuty;
  StatsProtection: StatsProtection;
  StatsRelease: ResolverTypeWrapper<StatsRelease>;
  StatutoryException: StatutoryException;
  SubjectSource: SubjectSource;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Branch: Branch;
  ID: Scalars['ID']['output'];
  DateTime: Scalars['DateTime']['output'];
  Event: EventRow;
  Int: Scalars['Int']['output'];
  EventGroup: EventGroup;
  Float: Scalars['Float']['output'];
  Boolean: Scalars['Boolean']['output'];
  EventGroupPage: EventGroupPage;
  EventStats: EventStats;
  Mutation: Record<PropertyKey, never>;
  PageInfo: PageInfo;
  Patron: Omit<Patron, 'registrations'> & { registrations?: Maybe<Array<ResolversParentTypes['Registration']>> } | FederationReferenceTypes['Patron'];
  Query: Record<PropertyKey, never>;
  Registration: RegistrationRow;
  StatsRelease: StatsRelease;
  String: Scalars['String']['output'];
};

export type ConfidentialDirectiveArgs = {
  category: PatronDataCategory;
  deidentify?: Maybe<Deidentification>;
  subject?: SubjectSource;
  subjectField?: Maybe<Scalars['String']['input']>;
};

export type ConfidentialDirectiveResolver<Result, Parent, ContextType = EventsContext, Args = ConfidentialDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type DisclosableUnderDirectiveArgs = {
  duties?: Array<StaffDuty>;
  exceptions: Array<StatutoryException>;
};

export type DisclosableUnderDirectiveResolver<Result, Parent, ContextType = EventsContext, Args = DisclosableUnderDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type BranchResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['Branch'] = ResolversParentTypes['Branch']> = {
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type EventResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['Event'] = ResolversParentTypes['Event'], FederationReferenceType extends FederationReferenceTypes['Event'] = FederationReferenceTypes['Event']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Event']> | FederationReferenceType, FederationReferenceType, ContextType>;
  branch?: Resolver<ResolversTypes['Branch'], ParentType, ContextType>;
  capacity?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  description?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  endsAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  registrationCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  registrations?: Resolver<Array<ResolversTypes['Registration']>, ParentType, ContextType>;
  startsAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export type EventGroupResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['EventGroup'] = ResolversParentTypes['EventGroup']> = {
  attended?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  branch?: Resolver<Maybe<ResolversTypes['Branch']>, ParentType, ContextType>;
  dimension?: Resolver<Maybe<ResolversTypes['EventDimension']>, ParentType, ContextType>;
  distinctPatrons?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  month?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  registrations?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  registrationsMarginOfError?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  suppressed?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type EventGroupPageResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['EventGroupPage'] = ResolversParentTypes['EventGroupPage']> = {
  nodes?: Resolver<Array<ResolversTypes['EventGroup']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type EventStatsResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['EventStats'] = ResolversParentTypes['EventStats']> = {
  cellCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
  cellPage?: Resolver<ResolversTypes['EventGroupPage'], ParentType, ContextType, RequireFields<EventStatsCellPageArgs, 'first'>>;
  cells?: Resolver<Array<ResolversTypes['EventGroup']>, ParentType, ContextType>;
  from?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  groupBy?: Resolver<Array<ResolversTypes['EventDimension']>, ParentType, ContextType>;
  margins?: Resolver<Array<ResolversTypes['EventGroup']>, ParentType, ContextType>;
  minGroupSize?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  protection?: Resolver<ResolversTypes['StatsProtection'], ParentType, ContextType>;
  releases?: Resolver<Array<ResolversTypes['StatsRelease']>, ParentType, ContextType>;
  to?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  total?: Resolver<ResolversTypes['EventGroup'], ParentType, ContextType>;
  unreleasedMonths?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
};

export type MutationResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['Mutation'] = ResolversParentTypes['Mutation']> = {
  cancelRegistration?: Resolver<ResolversTypes['Registration'], ParentType, ContextType, RequireFields<MutationCancelRegistrationArgs, 'registrationId'>>;
  registerForEvent?: Resolver<ResolversTypes['Registration'], ParentType, ContextType, RequireFields<MutationRegisterForEventArgs, 'eventId'>>;
};

export type PageInfoResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type PatronResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['Patron'] = ResolversParentTypes['Patron'], FederationReferenceType extends FederationReferenceTypes['Patron'] = FederationReferenceTypes['Patron']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Patron']> | FederationReferenceType, FederationReferenceType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  registrations?: Resolver<Maybe<Array<ResolversTypes['Registration']>>, ParentType, ContextType>;
};

export type QueryResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  event?: Resolver<Maybe<ResolversTypes['Event']>, ParentType, ContextType, RequireFields<QueryEventArgs, 'id'>>;
  eventStats?: Resolver<ResolversTypes['EventStats'], ParentType, ContextType, RequireFields<QueryEventStatsArgs, 'from' | 'groupBy' | 'protection' | 'to'>>;
  events?: Resolver<Array<ResolversTypes['Event']>, ParentType, ContextType, RequireFields<QueryEventsArgs, 'first'>>;
};

export type RegistrationResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['Registration'] = ResolversParentTypes['Registration'], FederationReferenceType extends FederationReferenceTypes['Registration'] = FederationReferenceTypes['Registration']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Registration']> | FederationReferenceType, FederationReferenceType, ContextType>;
  attended?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
  attendee?: Resolver<Maybe<ResolversTypes['Patron']>, ParentType, ContextType>;
  event?: Resolver<ResolversTypes['Event'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  registeredAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
};

export type StatsReleaseResolvers<ContextType = EventsContext, ParentType extends ResolversParentTypes['StatsRelease'] = ResolversParentTypes['StatsRelease']> = {
  contributionBound?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  epsilon?: Resolver<Maybe<ResolversTypes['Float']>, ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  minGroupSize?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
  month?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  protection?: Resolver<ResolversTypes['StatsProtection'], ParentType, ContextType>;
  releasedAt?: Resolver<ResolversTypes['DateTime'], ParentType, ContextType>;
  version?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type Resolvers<ContextType = EventsContext> = {
  Branch?: BranchResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Event?: EventResolvers<ContextType>;
  EventGroup?: EventGroupResolvers<ContextType>;
  EventGroupPage?: EventGroupPageResolvers<ContextType>;
  EventStats?: EventStatsResolvers<ContextType>;
  Mutation?: MutationResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Patron?: PatronResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Registration?: RegistrationResolvers<ContextType>;
  StatsRelease?: StatsReleaseResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = EventsContext> = {
  confidential?: ConfidentialDirectiveResolver<any, any, ContextType>;
  disclosableUnder?: DisclosableUnderDirectiveResolver<any, any, ContextType>;
};
