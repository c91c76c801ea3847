/**
 * A store refuses in the domain's terms (InvalidInput, NotFound, NotPermitted); the GraphQL edge
 * (`maskErrors`, used by every subgraph and the gateway) gives each its registered code and keeps
 * its message, while any other error a resolver throws stays masked.
 */
import { GraphQLError } from 'graphql';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { InvalidInput, NotFound, NotPermitted } from '../../src/errors/domain.js';
import { maskErrors } from '../../src/errors/mask.js';

const mask = maskErrors(pino({ level: 'silent' }));

/** What a client gets for `thrown`, raised by the resolver of `Mutation.act`. */
const asClientSees = (thrown: Error) => {
  const located = new GraphQLError(thrown.message, { path: ['act'], originalError: thrown });
  return mask(located.toJSON(), located);
};

describe('domain errors at the GraphQL edge', () => {
  it.each([
    [new InvalidInput('This item is already on loan.'), 'BAD_USER_INPUT'],
    [new NotFound('No event ev_9.'), 'NOT_FOUND'],
    [new NotPermitted('card login is not configured on this deployment'), 'FORBIDDEN'],
  ])('%s -> %s, with its message and path', (error, code) => {
    expect(asClientSees(error)).toEqual({
      message: error.message,
      path: ['act'],
      extensions: { code },
    });
  });

  it('any other error is still masked', () => {
    expect(asClientSees(new Error('SELECT * FROM patrons failed'))).toEqual({
      message: 'Internal server error',
      path: ['act'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });
});
