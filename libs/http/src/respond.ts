import type { ServerResponse } from 'node:http';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Writes a JSON response directly: express's `res.json` adds an ETag hash and charset
 * negotiation nobody here needs, on the hottest paths. Every API answer may carry a
 * token or private data, so nothing is cached.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendSerializedJson(res, status, JSON.stringify(body));
}

export function sendSerializedJson(res: ServerResponse, status: number, json: string): void {
  res.statusCode = status;
  res.setHeader('Content-Type', JSON_CONTENT_TYPE);
  res.setHeader('Content-Length', Buffer.byteLength(json));
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.end(json);
}
