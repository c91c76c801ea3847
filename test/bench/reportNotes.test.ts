import { describe, expect, it } from 'vitest';
import { NOTES_MARKER, withKeptNotes } from '../../bench/harness.js';

/** A benchmark that rewrites its report keeps the analyses written below its figures. */
describe('rewriting a benchmark report', () => {
  const notes = `${NOTES_MARKER}\n\n## Why round 2 was slow\n\nA compile ran beside it.\n`;

  it('replaces the figures and keeps everything from the marker on', () => {
    const previous = `# Bench\n\n| old | 1 |\n\n${notes}`;
    expect(withKeptNotes('# Bench\n\n| new | 2 |\n', previous)).toBe(
      `# Bench\n\n| new | 2 |\n\n${notes}`,
    );
  });

  it('writes the report alone when the old one has no notes, or there is none', () => {
    expect(withKeptNotes('# Bench\n', '# Bench\n\n| old | 1 |\n')).toBe('# Bench\n');
    expect(withKeptNotes('# Bench\n', null)).toBe('# Bench\n');
  });
});
