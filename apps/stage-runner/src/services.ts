import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startPostgres, startRedis } from '@santa/services';

export type ServiceName = 'postgres' | 'redis';

export interface ProvisionedServices {
  /** Environment for the stage program: DATABASE_URL, REDIS_URL. */
  env: Record<string, string>;
  /** What was started or reused, for the console. */
  description: string[];
  stop(): Promise<void>;
}

/**
 * Starts the services a stage needs on loopback, unless the environment already
 * names one (DATABASE_URL, REDIS_URL), in which case that one is used as it is.
 * PostgreSQL keeps its data under `<dataDir>/postgres`, so a stage restarted on the
 * same data directory finds its data again; Redis is a cache and starts empty.
 */
export async function provisionServices(needed: ServiceName[], dataDir: string): Promise<ProvisionedServices> {
  const env: Record<string, string> = {};
  const description: string[] = [];
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const stopOne of stops.reverse()) await stopOne().catch(() => undefined);
  };
  try {
    if (needed.includes('postgres')) {
      if (process.env.DATABASE_URL) {
        env.DATABASE_URL = process.env.DATABASE_URL;
        description.push('postgres: DATABASE_URL from the environment');
      } else {
        const pgDataDir = join(dataDir, 'postgres');
        mkdirSync(pgDataDir, { recursive: true });
        const postgres = await startPostgres({ dataDir: pgDataDir });
        stops.push(() => postgres.stop());
        env.DATABASE_URL = postgres.url;
        description.push(`postgres: ${postgres.version} on 127.0.0.1:${postgres.port}, data in ${pgDataDir}`);
      }
    }
    if (needed.includes('redis')) {
      if (process.env.REDIS_URL) {
        env.REDIS_URL = process.env.REDIS_URL;
        description.push('redis: REDIS_URL from the environment');
      } else {
        const redis = await startRedis();
        stops.push(() => redis.stop());
        env.REDIS_URL = redis.url;
        description.push(`redis: ${redis.version.split(' ').slice(0, 3).join(' ')} on 127.0.0.1:${redis.port}`);
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { env, description, stop };
}
