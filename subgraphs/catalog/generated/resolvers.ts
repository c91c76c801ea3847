import type { GraphQLResolveInfo, GraphQLScalarType, GraphQLScalarTypeConfig } from 'graphql';
import type { WorkRow, ItemRow, BranchRow } from '../store.js';
import type { CatalogContext } from '../context.js';
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

/** A library building. */
export type Branch = {
  __typename?: 'Branch';
  address: Scalars['String']['output'];
  code: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  name: Scalars['String']['output'];
};

/** How analytics may receive a field instead of having it redacted. */
export type Deidentification =
  /** A birth date generalized to an age band. */
  | 'AGE_BAND'
  /** A timestamp truncated to its day. */
  | 'DAY'
  /** A keyed, period-rotated pseudonym of the patron id. */
  | 'PSEUDONYM';

/** The physical or digital form of a work; it sets the loan period. */
export type Format =
  | 'AUDIOBOOK'
  | 'BOOK'
  | 'DVD'
  | 'LARGE_PRINT'
  | 'MAGAZINE'
  | 'VIDEO_GAME';

/** One copy of a work, with a barcode, on a branch's shelf. */
export type Item = {
  __typename?: 'Item';
  barcode: Scalars['String']['output'];
  branch: Branch;
  callNumber: Scalars['String']['output'];
  id: Scalars['ID']['output'];
  status: ItemStatus;
  work: Work;
};

/** Whether an item is in service; whether it is on loan is circulation's business. */
export type ItemStatus =
  | 'IN_REPAIR'
  | 'IN_SERVICE'
  | 'LOST'
  | 'WITHDRAWN';

/** Cursor pagination: pass `endCursor` as `after` for the next page. */
export type PageInfo = {
  __typename?: 'PageInfo';
  endCursor?: Maybe<Scalars['String']['output']>;
  hasNextPage: Scalars['Boolean']['output'];
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
  branches: Array<Branch>;
  /** An item by its id or by the barcode on its spine label. */
  item?: Maybe<Item>;
  work?: Maybe<Work>;
  /** Works whose title, creator or subject contains `search`, oldest id first, in pages. */
  works: WorkConnection;
};


export type QueryItemArgs = {
  barcode?: InputMaybe<Scalars['String']['input']>;
  id?: InputMaybe<Scalars['ID']['input']>;
};


export type QueryWorkArgs = {
  id: Scalars['ID']['input'];
};


export type QueryWorksArgs = {
  after?: InputMaybe<Scalars['String']['input']>;
  first?: InputMaybe<Scalars['Int']['input']>;
  format?: InputMaybe<Format>;
  search?: InputMaybe<Scalars['String']['input']>;
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

/** A title in the catalog: what a patron asks for. */
export type Work = {
  __typename?: 'Work';
  creators: Array<Scalars['String']['output']>;
  format: Format;
  id: Scalars['ID']['output'];
  isbn?: Maybe<Scalars['String']['output']>;
  items: Array<Item>;
  subjects: Array<Scalars['String']['output']>;
  title: Scalars['String']['output'];
  year?: Maybe<Scalars['Int']['output']>;
};

export type WorkConnection = {
  __typename?: 'WorkConnection';
  nodes: Array<Work>;
  pageInfo: PageInfo;
  totalCount: Scalars['Int']['output'];
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
  Branch: Branch;
  Item: Item;
  Work: Work;
};

/** Mapping of federation reference types */
export type FederationReferenceTypes = {
  Branch:
    ( { __typename: 'Branch' }
    & GraphQLRecursivePick<FederationTypes['Branch'], {"id":true}> );
  Item:
    ( { __typename: 'Item' }
    & GraphQLRecursivePick<FederationTypes['Item'], {"id":true}> );
  Work:
    ( { __typename: 'Work' }
    & GraphQLRecursivePick<FederationTypes['Work'], {"id":true}> );
};



/** Mapping between all available schema types and the resolvers types */
export type ResolversTypes = {
  Branch: ResolverTypeWrapper<BranchRow>;
  ID: ResolverTypeWrapper<Scalars['ID']['output']>;
  DateTime: ResolverTypeWrapper<Scalars['DateTime']['output']>;
  Deidentification: Deidentification;
  Format: Format;
  Item: ResolverTypeWrapper<ItemRow>;
  ItemStatus: ItemStatus;
  PageInfo: ResolverTypeWrapper<PageInfo>;
  Boolean: ResolverTypeWrapper<Scalars['Boolean']['output']>;
  PatronDataCategory: PatronDataCategory;
  Query: ResolverTypeWrapper<Record<PropertyKey, never>>;
  Int: ResolverTypeWrapper<Scalars['Int']['output']>;
  StaffDuty: StaffDuty;
  StatutoryException: StatutoryException;
  SubjectSource: SubjectSource;
  Work: ResolverTypeWrapper<WorkRow>;
  WorkConnection: ResolverTypeWrapper<Omit<WorkConnection, 'nodes'> & { nodes: Array<ResolversTypes['Work']> }>;
  String: ResolverTypeWrapper<Scalars['String']['output']>;
};

/** Mapping between all available schema types and the resolvers parents */
export type ResolversParentTypes = {
  Branch: BranchRow;
  ID: Scalars['ID']['output'];
  DateTime: Scalars['DateTime']['output'];
  Item: ItemRow;
  PageInfo: PageInfo;
  Boolean: Scalars['Boolean']['output'];
  Query: Record<PropertyKey, never>;
  Int: Scalars['Int']['output'];
  Work: WorkRow;
  WorkConnection: Omit<WorkConnection, 'nodes'> & { nodes: Array<ResolversParentTypes['Work']> };
  String: Scalars['String']['output'];
};

export type ConfidentialDirectiveArgs = {
  category: PatronDataCategory;
  deidentify?: Maybe<Deidentification>;
  subject?: SubjectSource;
  subjectField?: Maybe<Scalars['String']['input']>;
};

export type ConfidentialDirectiveResolver<Result, Parent, ContextType = CatalogContext, Args = ConfidentialDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type DisclosableUnderDirectiveArgs = {
  duties?: Array<StaffDuty>;
  exceptions: Array<StatutoryException>;
};

export type DisclosableUnderDirectiveResolver<Result, Parent, ContextType = CatalogContext, Args = DisclosableUnderDirectiveArgs> = DirectiveResolverFn<Result, Parent, ContextType, Args>;

export type BranchResolvers<ContextType = CatalogContext, ParentType extends ResolversParentTypes['Branch'] = ResolversParentTypes['Branch'], FederationReferenceType extends FederationReferenceTypes['Branch'] = FederationReferenceTypes['Branch']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Branch']> | FederationReferenceType, FederationReferenceType, ContextType>;
  address?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  code?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  name?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
};

export interface DateTimeScalarConfig extends GraphQLScalarTypeConfig<ResolversTypes['DateTime'], any> {
  name: 'DateTime';
}

export type ItemResolvers<ContextType = CatalogContext, ParentType extends ResolversParentTypes['Item'] = ResolversParentTypes['Item'], FederationReferenceType extends FederationReferenceTypes['Item'] = FederationReferenceTypes['Item']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Item']> | FederationReferenceType, FederationReferenceType, ContextType>;
  barcode?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  branch?: Resolver<ResolversTypes['Branch'], ParentType, ContextType>;
  callNumber?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  status?: Resolver<ResolversTypes['ItemStatus'], ParentType, ContextType>;
  work?: Resolver<ResolversTypes['Work'], ParentType, ContextType>;
};

export type PageInfoResolvers<ContextType = CatalogContext, ParentType extends ResolversParentTypes['PageInfo'] = ResolversParentTypes['PageInfo']> = {
  endCursor?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  hasNextPage?: Resolver<ResolversTypes['Boolean'], ParentType, ContextType>;
};

export type QueryResolvers<ContextType = CatalogContext, ParentType extends ResolversParentTypes['Query'] = ResolversParentTypes['Query']> = {
  branches?: Resolver<Array<ResolversTypes['Branch']>, ParentType, ContextType>;
  item?: Resolver<Maybe<ResolversTypes['Item']>, ParentType, ContextType, Partial<QueryItemArgs>>;
  work?: Resolver<Maybe<ResolversTypes['Work']>, ParentType, ContextType, RequireFields<QueryWorkArgs, 'id'>>;
  works?: Resolver<ResolversTypes['WorkConnection'], ParentType, ContextType, RequireFields<QueryWorksArgs, 'first'>>;
};

export type WorkResolvers<ContextType = CatalogContext, ParentType extends ResolversParentTypes['Work'] = ResolversParentTypes['Work'], FederationReferenceType extends FederationReferenceTypes['Work'] = FederationReferenceTypes['Work']> = {
  __resolveReference?: ReferenceResolver<Maybe<ResolversTypes['Work']> | FederationReferenceType, FederationReferenceType, ContextType>;
  creators?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  format?: Resolver<ResolversTypes['Format'], ParentType, ContextType>;
  id?: Resolver<ResolversTypes['ID'], ParentType, ContextType>;
  isbn?: Resolver<Maybe<ResolversTypes['String']>, ParentType, ContextType>;
  items?: Resolver<Array<ResolversTypes['Item']>, ParentType, ContextType>;
  subjects?: Resolver<Array<ResolversTypes['String']>, ParentType, ContextType>;
  title?: Resolver<ResolversTypes['String'], ParentType, ContextType>;
  year?: Resolver<Maybe<ResolversTypes['Int']>, ParentType, ContextType>;
};

export type WorkConnectionResolvers<ContextType = CatalogContext, ParentType extends ResolversParentTypes['WorkConnection'] = ResolversParentTypes['WorkConnection']> = {
  nodes?: Resolver<Array<ResolversTypes['Work']>, ParentType, ContextType>;
  pageInfo?: Resolver<ResolversTypes['PageInfo'], ParentType, ContextType>;
  totalCount?: Resolver<ResolversTypes['Int'], ParentType, ContextType>;
};

export type Resolvers<ContextType = CatalogContext> = {
  Branch?: BranchResolvers<ContextType>;
  DateTime?: GraphQLScalarType;
  Item?: ItemResolvers<ContextType>;
  PageInfo?: PageInfoResolvers<ContextType>;
  Query?: QueryResolvers<ContextType>;
  Work?: WorkResolvers<ContextType>;
  WorkConnection?: WorkConnectionResolvers<ContextType>;
};

export type DirectiveResolvers<ContextType = CatalogContext> = {
  confidential?: ConfidentialDirectiveResolver<any, any, ContextType>;
  disclosableUnder?: DisclosableUnderDirectiveResolver<any, any, ContextType>;
};
