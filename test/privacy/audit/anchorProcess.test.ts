import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startGraph } from '../../../src/app/graph.js';
import { loadConfig } from '../../../src/config/env.js';
import { createLogger } from '../../../src/log/logger.js';
import { AuditStore } from '../../../src/privacy/audit/store/auditStore.js';
import { readAnchors } from '../../../src/privacy/audit/store/anchor.js';
import { sqliteAudit } from '../../../src/privacy/audit/store/migrations.js';

/**
 * Under the supervisor each subgraph runs in its own process over one audit database: only the
 * process serving circulation anchors the chain heads, so the anchor file gets one writer.
 */
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'anchor-process-'));
const config = loadConfig({
  NODE_ENV: 'test',
  DATA_DIR: dataDir,
  GATEWAY_PORT: '0',
  CATALOG_PORT: '0',
  CIRCULATION_PORT: '0',
  EVENTS_PORT: '0',
  LOG_LEVEL: 'silent',
});
const logger = createLogger('test', 'silent');
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

describe('which process anchors', () => {
  it('the events process writes no anchors; the circulation process anchors every chain', async () => {
    const anchorFile = config.audit.anchorFile!;
    const events = await startGraph(config, logger, 'events');
    new AuditStore(sqliteAudit(events.databases!.audit), config.audit.key).append('events', [
      {
        at: new Date().toISOString(),
        requestId: 'r',
        principal: 'staff:desk',
        roles: ['staff'],
        exception: 'OPERATIONS',
        patronId: 'pat_1',
        fields: ['Patron.name'],
        reference: null,
        purpose: null,
      },
    ]);
    await events.stop();
    expect(fs.existsSync(anchorFile)).toBe(false);

    const circulation = await startGraph(config, logger, 'circulation');
    await circulation.stop();
    expect(readAnchors(anchorFile, config.audit.key).anchors.map((a) => a.chain)).toContain(
      'events',
    );
  }, 60_000);
});
