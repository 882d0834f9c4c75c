/**
 * One of the competing processes of concurrent-draw.test.ts. Usage:
 *   node --import tsx race-draws.ts <database file>
 * Opens the store and prints "ready"; then, for every exchange id read from stdin,
 * draws that exchange and prints one JSON line `{ exchangeId, outcome }`, where the
 * outcome is "drawn" or the code of the DomainError that refused the draw.
 */
import { createInterface } from 'node:readline';
import { isDomainError, isoNow, type DrawFunction } from '@santa/domain';
import { openSqliteStore } from '../sqlite-store';

const pause = new Int32Array(new SharedArrayBuffer(4));

// Holds the write lock for a while, as the draw of a large exchange does, so that the
// other process's attempt on the same exchange lands inside this transaction.
const slowDraw: DrawFunction = ({ participants }) => {
  Atomics.wait(pause, 0, 0, 20);
  return participants.map((giver, index) => ({
    giverId: giver.id,
    receiverId: participants[(index + 1) % participants.length].id,
  }));
};

const [path] = process.argv.slice(2);
if (!path) throw new Error('usage: race-draws.ts <database file>');

const store = openSqliteStore({ path });
process.stdout.write('ready\n');
for await (const line of createInterface({ input: process.stdin })) {
  const exchangeId = line.trim();
  let outcome = 'drawn';
  try {
    await store.draw(exchangeId, isoNow(), slowDraw);
  } catch (error) {
    if (!isDomainError(error)) throw error;
    outcome = error.code;
  }
  process.stdout.write(`${JSON.stringify({ exchangeId, outcome })}\n`);
}
await store.close();
