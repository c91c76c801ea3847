import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const PRIVACY = path.resolve('src/privacy');
const doc = fs.readFileSync('docs/privacy.md', 'utf8');

/** The pipeline table at the top of docs/privacy.md: its rows' step and folder columns. */
function pipeline(): { step: string; folder: string }[] {
  const table = doc.slice(doc.indexOf('| step | folder |'));
  const rows = table.split('\n').slice(2);
  const end = rows.findIndex((line) => !line.startsWith('|'));
  return rows.slice(0, end).map((line) => {
    const [step, folder] = line
      .split('|')
      .slice(1, 3)
      .map((cell) => cell.trim());
    return { step: step!, folder: folder! };
  });
}

/** The paths a folder cell names in backticks, relative to src/privacy/. */
const pathsOf = (cell: string): string[] => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);

describe("docs/privacy.md's table of folders", () => {
  it('names every folder of src/privacy/', () => {
    const named = new Set(
      pipeline()
        .flatMap((row) => pathsOf(row.folder))
        .map((p) => p.split('/')[0]),
    );
    const folders = fs
      .readdirSync(PRIVACY, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name);
    for (const folder of folders)
      expect(named, `src/privacy/${folder}/ is missing from the table`).toContain(folder);
  });

  it('names only places that exist', () => {
    for (const row of pipeline()) {
      for (const place of pathsOf(row.folder)) {
        expect(
          fs.existsSync(path.join(PRIVACY, place)),
          `${row.step}: src/privacy/${place} does not exist`,
        ).toBe(true);
      }
    }
  });
});
