import { Command } from 'commander';
import { ConfigError, loadConfig } from '../config/env.js';
import { PERSONA_NAMES, PERSONAS, type PersonaName } from '../dev/personas.js';
import { mintToken } from '../privacy/authenticate/token.js';

const program = new Command()
  .name('token')
  .description('Print a signed development token for a seeded persona (one line on stdout).')
  .argument('<persona>', `one of: ${PERSONA_NAMES.filter((p) => p !== 'anonymous').join(', ')}`)
  .option('--ttl <seconds>', 'lifetime in seconds', '28800')
  .parse();

const [persona] = program.args as [string];
const ttl = Number(program.opts<{ ttl: string }>().ttl);

try {
  const config = loadConfig();
  if (config.env === 'production') {
    console.error('token: refuses to mint development tokens when NODE_ENV=production.');
    process.exit(2);
  }
  if (persona === 'anonymous') {
    console.error('token: anonymous callers send no token; omit the Authorization header.');
    process.exit(2);
  }
  const claims = PERSONAS[persona as Exclude<PersonaName, 'anonymous'>];
  if (!claims) {
    console.error(
      `token: unknown persona "${persona}". Known: ${PERSONA_NAMES.filter((p) => p !== 'anonymous').join(', ')}`,
    );
    process.exit(2);
  }
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 7 * 86400) {
    console.error('token: --ttl must be a whole number of seconds up to one week.');
    process.exit(2);
  }
  process.stdout.write(`${await mintToken(claims, config, ttl)}\n`);
} catch (error) {
  console.error(
    error instanceof ConfigError ? error.message : `token: ${(error as Error).message}`,
  );
  process.exit(2);
}
