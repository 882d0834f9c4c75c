import type { Request, Response } from 'express';
import type { DrawFunction, ExchangeStore } from '@santa/domain';

/** What the route handlers share. */
export interface RouteContext {
  store: ExchangeStore;
  draw: DrawFunction;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  clock: () => number;
  /** Called after a write queued e-mails in the outbox (a draw, reminders), so a worker can send them at once. */
  onMessagesQueued?: () => void;
}

export type Handler = (req: Request, res: Response) => Promise<void> | void;

/** A path parameter. Express 5 types them as strings; a route only asks for its own. */
export function param(req: Request, name: string): string {
  return (req.params as Record<string, string>)[name] ?? '';
}
