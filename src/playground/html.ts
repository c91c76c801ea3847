import type { PlaygroundManifest } from './bundle.js';

/** Options of the playground's HTML page. */
export interface PlaygroundHtmlOptions {
  manifest: PlaygroundManifest;
  /** Whether the gateway mints persona tokens (development only); the page disables the switcher otherwise. */
  tokens: boolean;
  /** The GraphQL endpoint the page sends operations to. */
  endpoint: string;
}

const escapeAttribute = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/**
 * The page shell: the hashed bundle from `dist/playground/`, all from the gateway's own origin
 * (no CDN), and what the page needs to know about this deployment as data attributes.
 */
export function playgroundHtml({ manifest, tokens, endpoint }: PlaygroundHtmlOptions): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Library graph playground</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/playground/${escapeAttribute(manifest.stylesheet)}">
<script defer src="/playground/${escapeAttribute(manifest.script)}"></script>
</head>
<body>
<div id="root" data-tokens="${tokens ? 'on' : 'off'}" data-endpoint="${escapeAttribute(endpoint)}"></div>
</body>
</html>
`;
}
