declare const brand: unique symbol;

/** A value of `T` that the type checker keeps apart from other values of `T`. */
export type Brand<T, Name extends string> = T & { readonly [brand]: Name };

/** A patron's id: the data subject of confidential fields. Never mixed up with a principal. */
export type PatronId = Brand<string, 'PatronId'>;
/** Who is calling (a token's `sub`): a consent names its grantee by this. */
export type PrincipalId = Brand<string, 'PrincipalId'>;

/** Marks a string read from trusted data as a patron id. */
export const patronId = (value: string): PatronId => value as PatronId;
/** Marks a string read from a verified token as a principal id. */
export const principalId = (value: string): PrincipalId => value as PrincipalId;
