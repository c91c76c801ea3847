import { purge } from '../../retention/purge.js';
import { DEFAULT_RETENTION_RULES } from '../../config/retention.js';
import type { SeedContext } from './context.js';

/**
 * Leaves the seeded circulation data as the default retention rules would have it on the seeding
 * day: the purge, run at the start of that day, anonymizes the late loans whose fine is paid or was
 * never charged (the loans phase wrote the other returned loans anonymized already). Loans with an
 * unpaid fine, and every loan of a patron who keeps reading history, stay linked. Deterministic:
 * it depends on the day, not the hour, of `now`. Progress counts loan ids scanned.
 */
export async function applyRetention(ctx: SeedContext): Promise<number> {
  ctx.progress('retention', 0, 1);
  const report = await purge(
    { circulation: ctx.db.circulation },
    {
      rules: DEFAULT_RETENTION_RULES,
      now: new Date(ctx.clock.anchor),
      // Synthetic data, and the seed itself rebuilds nothing else: the first real purge vacuums.
      vacuum: false,
      onProgress: (p) => {
        if (p.table === 'loans') ctx.progress('retention', p.position, Math.max(p.end, 1));
      },
    },
  );
  ctx.progress('retention', 1, 1);
  return report.anonymized.loans;
}
