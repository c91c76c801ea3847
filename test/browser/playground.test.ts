import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import packagedChromium from '@sparticuz/chromium';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PERSONA_PATRONS, type PersonaName } from '../../src/dev/personas.js';
import { COMPARE_EXAMPLE } from '../../src/playground/examples.js';
import { startTestGraph, type TestGraph } from '../support/graph.js';

/**
 * The playground in a real browser (headless Chromium driven by playwright-core), with
 * the network cut to this machine: the page loads every asset from the gateway, and the same
 * operation run through the UI as `anonymous` and as `circulation-staff` answers as CONTRACT.md
 * says (the patron redacted for one, named for the other).
 *
 * Screenshots go to test-output/; `UPDATE_SCREENSHOT=1` also refreshes docs/playground.png.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUTPUT = path.join(ROOT, 'test-output');
const SYSTEM_CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];
const LOCAL = new Set(['127.0.0.1', 'localhost', '[::1]']);
const REDACTED = {
  message: 'Redacted: confidential patron information',
  path: ['patron'],
  extensions: { code: 'PRIVACY_REDACTED' },
};

interface Run {
  response: { data?: unknown; errors?: unknown[] };
  authorization: string | undefined;
}

let t: TestGraph;
let context: BrowserContext;
let page: Page;
let profile: string;
/** Requests to anywhere but this machine: aborted, and each one fails the test. */
const offsite: string[] = [];
/** Responses with status >= 400, console errors and uncaught page errors. */
const problems: string[] = [];

/**
 * The Chromium to drive: `CHROMIUM_PATH` or Debian's when installed, else the build shipped inside
 * the npm package `@sparticuz/chromium` (unpacked to the temporary directory on first use), so a
 * machine with only Node and npm runs this test too.
 */
async function chromiumExecutable(): Promise<string> {
  if (fs.existsSync(SYSTEM_CHROMIUM)) return SYSTEM_CHROMIUM;
  if (process.env.CHROMIUM_PATH) throw new Error(`CHROMIUM_PATH=${SYSTEM_CHROMIUM} does not exist`);
  return packagedChromium.executablePath();
}

beforeAll(async () => {
  const executablePath = await chromiumExecutable();
  t = await startTestGraph({ PLAYGROUND: 'graphiql' });
  profile = fs.mkdtempSync(path.join(os.tmpdir(), 'library-graph-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: ARGS,
    viewport: { width: 1360, height: 820 },
    deviceScaleFactor: 1,
    colorScheme: 'light',
  });
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (LOCAL.has(url.hostname)) return route.continue();
    offsite.push(url.href);
    return route.abort('internetdisconnected');
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
  page.on('requestfailed', (request) =>
    problems.push(`failed ${request.url()}: ${request.failure()?.errorText ?? '?'}`),
  );
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
});

afterAll(async () => {
  await context?.close();
  await t?.stop();
  if (profile) fs.rmSync(profile, { recursive: true, force: true });
});

/** The response pane's text, from CodeMirror itself (the DOM holds only the visible lines). */
const responseText = () =>
  page.evaluate(() => {
    const editor = document.querySelector('.result-window .CodeMirror') as
      (Element & { CodeMirror?: { getValue(): string } }) | null;
    return editor?.CodeMirror?.getValue() ?? '';
  });

/** Chooses the persona, loads the comparison example from the menu, clicks run and reads the answer. */
async function runAs(persona: PersonaName): Promise<Run> {
  await page.selectOption('#persona', persona);
  await expect.poll(() => page.textContent('#persona-sees')).toContain(persona);
  if (persona !== 'anonymous')
    await expect.poll(() => page.textContent('#token-state')).toContain('Authorization: Bearer');
  await page.selectOption('#examples', COMPARE_EXAMPLE.id);
  await expect.poll(() => page.textContent('.graphiql-query-editor')).toContain('PatronById');
  const [request] = await Promise.all([
    page.waitForRequest(
      (r) =>
        r.url().endsWith('/graphql') &&
        r.method() === 'POST' &&
        (r.postData() ?? '').includes('PatronById'),
    ),
    page.click('.graphiql-execute-button'),
  ]);
  await request.response();
  await expect.poll(responseText).toContain('"data"');
  await page.screenshot({ path: path.join(OUTPUT, `playground-${persona}.png`) });
  return {
    response: JSON.parse(await responseText()) as Run['response'],
    authorization: (await request.allHeaders()).authorization,
  };
}

describe('the playground, offline, in headless Chromium', () => {
  it('runs the same query as anonymous and as circulation-staff: redacted for one, named for the other', async () => {
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.goto(t.gatewayUrl.replace(/\/graphql$/, '/'));
    await page.waitForSelector('.graphiql-execute-button');

    const anonymous = await runAs('anonymous');
    expect(anonymous.authorization).toBeUndefined();
    expect(anonymous.response).toEqual({ data: { patron: null }, errors: [REDACTED] });

    const staff = await runAs('circulation-staff');
    expect(staff.authorization).toMatch(/^Bearer [\w-]+\.[\w-]+\.[\w-]+$/);
    expect(staff.response).toEqual({
      data: { patron: { name: PERSONA_PATRONS.patron.name, email: PERSONA_PATRONS.patron.email } },
    });

    expect(offsite, 'requests to other hosts').toEqual([]);
    expect(problems, 'failed loads and console errors').toEqual([]);

    if (process.env.UPDATE_SCREENSHOT === '1') {
      fs.copyFileSync(
        path.join(OUTPUT, 'playground-circulation-staff.png'),
        path.join(ROOT, 'docs', 'playground.png'),
      );
    }
  });
});
