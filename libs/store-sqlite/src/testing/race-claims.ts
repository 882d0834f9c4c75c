/**
 * One of the competing processes of concurrent-claim.test.ts. Usage:
 *   node --import tsx race-claims.ts <database file>
 * Opens the store and prints "ready"; then, for every instant read from stdin, claims
 * the messages due at that instant, a few at a time, until a claim finds none, and
 * prints one JSON line: the ids of the messages this process claimed.
 */
import { createInterface } from 'node:readline';
import { hashSecret, newParticipantToken } from '@santa/domain';
import { openSqliteStore } from '../sqlite-store';

const [path] = process.argv.slice(2);
if (!path) throw new Error('usage: race-claims.ts <database file>');

const store = openSqliteStore({ path });
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const now = line.trim();
  const leaseUntil = new Date(Date.parse(now) + 60_000).toISOString();
  const claimed: string[] = [];
  for (;;) {
    const deliveries = await store.claimOutboxMessages({
      now,
      leaseUntil,
      linkTokenHashes: Array.from({ length: 3 }, () => hashSecret(newParticipantToken())),
    });
    if (deliveries.length === 0) break;
    claimed.push(...deliveries.map((delivery) => delivery.message.id));
  }
  process.stdout.write(`${JSON.stringify(claimed)}\n`);
}
await store.close();
