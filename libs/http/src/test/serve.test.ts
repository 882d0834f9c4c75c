import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { ExchangeStore } from '@santa/domain';
import { createMemoryStore } from '@santa/store-memory';
import { beginShutdown, createApp } from '../app';
import { serve } from '../serve';

/** A store whose `getMeView` waits until the test opens the gate, and notes when it answers. */
function gatedStore(events: string[]) {
  const store = createMemoryStore();
  let entered!: () => void;
  const inFlight = new Promise<void>((resolve) => (entered = resolve));
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const gated: ExchangeStore = Object.assign(Object.create(null) as ExchangeStore, store, {
    async getMeView(tokenHash: string) {
      entered();
      await gate;
      const view = await store.getMeView(tokenHash);
      events.push('store answered');
      return view;
    },
  });
  return { store: gated, inFlight, open };
}

describe('serve', () => {
  it('listens on a free port and reports its url', async () => {
    const served = await serve(createApp({ store: createMemoryStore() }), { port: 0 });
    expect(served.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(served.server.keepAliveTimeout).toBe(65_000);
    expect(served.server.headersTimeout).toBe(66_000);
    const health = await fetch(`${served.url}/healthz`);
    expect(health.status).toBe(200);
    await served.close();
  });

  it('sets the keep-alive and header timeouts it is given', async () => {
    const served = await serve(createApp({ store: createMemoryStore() }), { port: 0, keepAliveTimeoutMs: 75_000, headersTimeoutMs: 80_000 });
    expect(served.server.keepAliveTimeout).toBe(75_000);
    expect(served.server.headersTimeout).toBe(80_000);
    await served.close();
  });

  it('fails readiness once shutdown begins', async () => {
    const app = createApp({ store: createMemoryStore() });
    const served = await serve(app, { port: 0 });
    expect((await fetch(`${served.url}/readyz`)).status).toBe(200);
    beginShutdown(app);
    const ready = await fetch(`${served.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.headers.get('retry-after')).toBe('1');
    expect(((await ready.json()) as { detail: string }).detail).toBe('The server is shutting down.');
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
    await served.close();
  });

  it('finishes an in-flight request before closing the store', async () => {
    const events: string[] = [];
    const { store, inFlight, open } = gatedStore(events);
    const served = await serve(createApp({ store }), {
      port: 0,
      onShutdown: async () => {
        events.push('onShutdown');
      },
    });
    const pending = fetch(`${served.url}/api/v1/me`, { headers: { authorization: 'Bearer sp_anyone' } });
    await inFlight;
    const closed = served.close().then(() => events.push('closed'));
    open();
    const response = await pending;
    // The whole answer arrives: the connection was not cut under it.
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('unauthorized');
    await closed;
    expect(events).toEqual(['store answered', 'onShutdown', 'closed']);
    await expect(fetch(`${served.url}/healthz`)).rejects.toThrow();
  });

  it('on SIGTERM, finishes the request in flight, closes the store and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./fixtures/graceful-child.ts', import.meta.url))], {
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    const waiters: { text: string; resolve: (line: string) => void }[] = [];
    let buffered = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) !== -1) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        lines.push(line);
        for (const waiter of waiters.filter(({ text }) => line.startsWith(text))) waiter.resolve(line);
      }
    });
    const lineStarting = (text: string) =>
      new Promise<string>((resolve) => {
        const seen = lines.find((line) => line.startsWith(text));
        if (seen !== undefined) resolve(seen);
        else waiters.push({ text, resolve });
      });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    onTestFinished(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });

    const url = (await lineStarting('ready ')).slice('ready '.length);
    const created = await fetch(`${url}/api/v1/exchanges`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Office' }),
    });
    const { exchange, organizerToken } = (await created.json()) as { exchange: { id: string }; organizerToken: string };
    const added = await fetch(`${url}/api/v1/exchanges/${exchange.id}/participants`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${organizerToken}` },
      body: JSON.stringify({ name: 'Ann', email: 'ann@example.com' }),
    });
    const { participantToken } = (await added.json()) as { participantToken: string };

    const me = fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${participantToken}` } });
    await lineStarting('in-flight');
    child.kill('SIGTERM');

    const response = await me;
    expect(response.status).toBe(200);
    expect(((await response.json()) as { participant: { name: string } }).participant.name).toBe('Ann');
    expect(await exited).toBe(0);
    expect(lines).toContain('store closed');
  }, 30_000);
});
