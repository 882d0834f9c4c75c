/**
 * The writer of durability.test.ts. Usage:
 *   node --import tsx write-until-killed.ts <database file> <exchange id>
 * Adds participants to the exchange one write at a time, and prints each one's id
 * once the store has acknowledged it, until the process is killed.
 */
import { hashSecret, isoNow, newId, newParticipantToken } from '@santa/domain';
import { openSqliteStore } from '../sqlite-store';

const [path, exchangeId] = process.argv.slice(2);
if (!path || !exchangeId) throw new Error('usage: write-until-killed.ts <database file> <exchange id>');

const store = openSqliteStore({ path });
for (let number = 1; ; number += 1) {
  const id = newId();
  await store.addParticipants(exchangeId, [
    {
      id,
      exchangeId,
      name: `Writer ${number}`,
      email: `writer${number}@example.test`,
      wishlist: number % 2 === 0 ? 'Socks' : '',
      joinedAt: isoNow(),
      tokenHash: hashSecret(newParticipantToken()),
    },
  ]);
  // Writes to a pipe are synchronous on Linux: once this returns, the line is out.
  process.stdout.write(`${id}\n`);
}
