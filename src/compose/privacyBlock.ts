/**
 * Rover composes each subgraph from one SDL file, so each file carries the privacy directive
 * definitions. They are written once in schema/privacy.graphql and copied between these markers
 * by `npm run compose`; the lint refuses a file whose copy differs.
 */
export const BLOCK_START =
  '# >>> privacy directives: copied from schema/privacy.graphql by `npm run compose`; edit that file, not this block';
export const BLOCK_END = '# <<< privacy directives';

/** The block as it should appear in a subgraph file. */
export const renderBlock = (privacySdl: string): string =>
  `${BLOCK_START}\n${privacySdl.trim()}\n${BLOCK_END}\n`;

/** The block currently in a subgraph file, or null when it has none. */
export function extractBlock(sdl: string): string | null {
  const start = sdl.indexOf(BLOCK_START);
  const end = sdl.indexOf(BLOCK_END);
  if (start < 0 || end < start) return null;
  return sdl.slice(start, end + BLOCK_END.length) + '\n';
}

/** The subgraph SDL with its block replaced by (or appended as) the current definitions. */
export function syncBlock(sdl: string, privacySdl: string): string {
  const current = extractBlock(sdl);
  const wanted = renderBlock(privacySdl);
  if (current === null) return `${sdl.trimEnd()}\n\n${wanted}`;
  return sdl.replace(current, wanted);
}
