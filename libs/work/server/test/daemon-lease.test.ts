import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { silentLogger } from '@livelab/service-kit';
import { DaemonLease, openWorkDatabase, type SqlDatabase } from '../src';
import { BACKENDS, useBackend } from './helpers';

describe.each(BACKENDS)('daemon lease on %s', (backend) => {
  const databases = useBackend(backend);
  let db: SqlDatabase;
  let dir: string;
  let clock = 1_000_000;
  beforeEach(async () => {
    dir = mkdtempSync(`${tmpdir()}/work-lease-`);
    db = await openWorkDatabase(await databases.database(dir));
  });
  afterEach(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const replica = (holder: string, events: string[]) =>
    new DaemonLease(db, { holder, ttlMs: 3000, logger: silentLogger(), now: () => clock, onAcquired: (l, prev) => events.push(`${holder} acquired epoch ${l.epoch} from ${prev ?? 'nobody'}`), onLost: () => events.push(`${holder} lost`) });

  it('one holder at a time; taken over after the expiry, released at once on shutdown', async () => {
    const events: string[] = [];
    const [a, b] = [replica('a', events), replica('b', events)];
    expect(await a.renew()).toBe(true);
    expect(await b.renew()).toBe(false);
    clock += 2000;
    expect([await a.renew(), await b.renew()]).toEqual([true, false]); // renewed: b still waits
    clock += 2999;
    expect(await b.renew()).toBe(false);
    expect(a.held).toBe(false); // a's own margin (ttl/3) ran out before the expiry: it stops running daemons first
    clock += 1;
    expect(await b.renew()).toBe(true); // a died (no renewal for the whole ttl)
    expect(await a.renew()).toBe(false);
    await b.release();
    expect(await a.renew()).toBe(true);
    expect(events).toEqual(['a acquired epoch 1 from nobody', 'b acquired epoch 2 from a', 'a lost', 'b lost', 'a acquired epoch 3 from b']);
  });
});
