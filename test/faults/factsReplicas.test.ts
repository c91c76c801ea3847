import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, PERSONAS } from '../../src/dev/personas.js';
import { loadConfig } from '../../src/config/env.js';
import { createAuthenticator, mintToken } from '../../src/privacy/authenticate/token.js';
import type { DisclosureContext } from '../../src/privacy/context/disclosureContext.js';
import { patronId } from '../../src/privacy/context/ids.js';
import { RemoteFacts } from '../../src/privacy/facts/factsEndpoint.js';

/**
 * Catalog and events ask circulation's facts endpoint, which may run as several replicas
 * (`CIRCULATION_URL` a comma list): a replica that is gone costs no facts; one that dies holding a
 * facts read costs none either (the read is asked again, elsewhere); but a card lookup, which may
 * count a refusal, is never asked twice. Fewer facts would mean redacted answers.
 */
const { minor } = PERSONA_PATRONS;
const FACTS = {
  facts: [
    {
      patronId: minor.id,
      exists: true,
      birthDate: '2012-01-01',
      callerIsGuardian: true,
      consents: [],
      legalOrders: [],
    },
  ],
};

interface Replica {
  url: string;
  received: number;
  close(): Promise<void>;
}
const opened: Replica[] = [];

/** A facts replica that answers, or (`dies`) reads the first call and dies holding it. */
async function replica(dies = false): Promise<Replica> {
  const state = { received: 0 };
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.received += 1;
      if (dies) {
        server.close();
        return req.socket.destroy();
      }
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(
          JSON.stringify(req.url === '/internal/facts' ? { ...FACTS, holders: [minor.id] } : {}),
        );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r: Replica = {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/graphql`,
    get received() {
      return state.received;
    },
    close: () =>
      new Promise((resolve) => (server.listening ? server.close(() => resolve()) : resolve())),
  };
  opened.push(r);
  return r;
}

async function gone(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/graphql`;
}

const config = loadConfig({ NODE_ENV: 'test' });
let caller: DisclosureContext;
beforeAll(async () => {
  const authenticate = await createAuthenticator(config);
  caller = await authenticate(
    {
      authorization: `Bearer ${await mintToken(PERSONAS.guardian, config)}`,
      legalProcess: undefined,
      purpose: undefined,
    },
    'facts-replicas',
  );
});
afterAll(async () => {
  for (const r of opened) await r.close();
});
const factsOver = (...urls: string[]) =>
  new RemoteFacts(() => urls.join(','), config.contextSecret, 5_000);

describe('circulation facts over several replicas', () => {
  it('asks the next replica when the first is gone, for facts and for card lookups', async () => {
    const live = await replica();
    const facts = factsOver(await gone(), live.url);
    expect((await facts.load(caller, [patronId(minor.id)]))[0]!.callerIsGuardian).toBe(true);
    expect(await facts.cardHolders(caller, ['29012000000099'])).toEqual([minor.id]);
    expect(live.received).toBe(2);
  });

  it('asks the next replica for facts a dying replica held', async () => {
    const [dying, live] = [await replica(true), await replica()];
    expect(
      (await factsOver(dying.url, live.url).load(caller, [patronId(minor.id)]))[0]!
        .callerIsGuardian,
    ).toBe(true);
    expect([dying.received, live.received]).toEqual([1, 1]);
  });

  it('never asks a card lookup a dying replica held again: it fails (and the action is refused)', async () => {
    const [dying, live] = [await replica(true), await replica()];
    await expect(
      factsOver(dying.url, live.url).cardHolders(caller, ['29012000000099']),
    ).rejects.toThrow();
    expect([dying.received, live.received]).toEqual([1, 0]);
  });
});
