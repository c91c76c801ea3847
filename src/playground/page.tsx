import 'graphiql/graphiql.css';
import './page.css';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { StrictMode, useMemo, useRef, useState, type ChangeEvent } from 'react';
import { createRoot } from 'react-dom/client';
import { PERSONA_NAMES, type PersonaName } from '../dev/personas.js';
import { COMPARE_EXAMPLE, EXAMPLES, type Example } from './examples.js';
import { createPersonaHeaders } from './personaHeaders.js';
import { PERSONA_SUMMARIES } from './personaSummaries.js';

/**
 * The playground page: GraphiQL (bundled, every asset served by the gateway, so it works on a
 * closed network) under a persona bar. The chosen persona's development token, and an optional
 * X-Legal-Process reference, go into every request; headers typed in GraphiQL's Headers tab win.
 */

const mount = document.getElementById('root')!;
/** The gateway says whether it mints persona tokens here (development only). */
const tokensEnabled = mount.dataset.tokens === 'on';
const endpoint = mount.dataset.endpoint ?? '/graphql';

/** Wraps a note into comment lines that fit the query editor's half of the screen. */
const comment = (text: string, width = 50): string => {
  const lines: string[] = [];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (last >= 0 && `${lines[last]} ${word}`.length <= width)
      lines[last] = `${lines[last]} ${word}`;
    else lines.push(word);
  }
  return lines.map((line) => `# ${line}`).join('\n');
};

const WELCOME = [
  comment('The library graph playground.'),
  '#',
  comment(
    'Pick a persona above: the gateway mints its development token and every request sends it as "Authorization: Bearer …".',
  ),
  comment(
    'Run this query as "anonymous", then as "circulation-staff": the patron is redacted (null + PRIVACY_REDACTED) for one and shown for the other.',
  ),
  comment('"Examples" loads what each persona may and may not see.'),
  '',
  COMPARE_EXAMPLE.query,
  '',
].join('\n');

const withNote = (example: Example) =>
  `${comment(example.title)}\n${comment(example.note)}\n\n${example.query}\n`;

function Playground() {
  const [persona, setPersona] = useState<PersonaName>('anonymous');
  const [legalProcess, setLegalProcess] = useState('');
  const [query, setQuery] = useState<string | undefined>(undefined);
  const [tokenState, setTokenState] = useState<string>('no Authorization header');
  // The fetcher is built once (GraphiQL refetches the schema when it changes); it reads the
  // current persona from this ref at request time.
  const selection = useRef({ persona, legalProcess });
  const personaHeaders = useMemo(() => createPersonaHeaders(), []);

  const fetcher = useMemo(
    () =>
      createGraphiQLFetcher({
        url: endpoint,
        enableIncrementalDelivery: false,
        fetch: async (input, init) => {
          const headers = new Headers(
            (await personaHeaders.headers(
              selection.current.persona,
              selection.current.legalProcess,
            )) as Record<string, string>,
          );
          // What the developer typed in the Headers tab overrides the persona, case-insensitively.
          new Headers(init?.headers).forEach((value, name) => headers.set(name, value));
          return fetch(input, { ...init, headers });
        },
      }),
    [personaHeaders],
  );

  const choosePersona = (event: ChangeEvent<HTMLSelectElement>) => {
    const next = event.target.value as PersonaName;
    selection.current = { ...selection.current, persona: next };
    setPersona(next);
    if (next === 'anonymous') {
      setTokenState('no Authorization header');
      return;
    }
    setTokenState('minting a development token…');
    personaHeaders.token(next).then(
      (token) => {
        if (selection.current.persona === next)
          setTokenState(`Authorization: Bearer ${token?.slice(0, 16) ?? ''}…`);
      },
      (error: unknown) => {
        if (selection.current.persona === next)
          setTokenState(error instanceof Error ? error.message : String(error));
      },
    );
  };

  const changeLegalProcess = (value: string) => {
    selection.current = { ...selection.current, legalProcess: value };
    setLegalProcess(value);
  };

  const examples = [COMPARE_EXAMPLE, ...EXAMPLES[persona]];
  const loadExample = (event: ChangeEvent<HTMLSelectElement>) => {
    const example = examples.find((e) => e.id === event.target.value);
    event.target.value = '';
    if (!example) return;
    if (example.legalProcess !== undefined) changeLegalProcess(example.legalProcess);
    setQuery(withNote(example));
  };

  return (
    <div className="pg">
      <header className="pg-bar">
        <div className="pg-controls">
          <strong className="pg-title">Library graph</strong>
          <label>
            Persona
            <select id="persona" value={persona} onChange={choosePersona} disabled={!tokensEnabled}>
              {PERSONA_NAMES.map((name) => (
                <option key={name} value={name}>
                  {name}
                </option>
              ))}
            </select>
          </label>
          <label>
            X-Legal-Process
            <input
              id="legal-process"
              value={legalProcess}
              placeholder="order reference"
              spellCheck={false}
              onChange={(event) => changeLegalProcess(event.target.value)}
            />
          </label>
          <label>
            Examples
            <select id="examples" defaultValue="" onChange={loadExample}>
              <option value="" disabled>
                load an operation…
              </option>
              {examples.map((example) => (
                <option key={example.id} value={example.id} title={example.note}>
                  {example.title}
                </option>
              ))}
            </select>
          </label>
        </div>
        <div className="pg-status">
          <p className="pg-sees" id="persona-sees">
            <span className="pg-persona">{persona}</span> {PERSONA_SUMMARIES[persona]}
          </p>
          <span className="pg-token" id="token-state" title="sent with every request">
            {tokensEnabled
              ? tokenState
              : 'Persona tokens are minted in development only: put an Authorization header in the Headers tab.'}
          </span>
        </div>
      </header>
      <main className="pg-graphiql">
        <GraphiQL
          fetcher={fetcher}
          defaultQuery={WELCOME}
          query={query}
          onEditQuery={setQuery}
          shouldPersistHeaders={false}
        />
      </main>
    </div>
  );
}

createRoot(mount).render(
  <StrictMode>
    <Playground />
  </StrictMode>,
);
