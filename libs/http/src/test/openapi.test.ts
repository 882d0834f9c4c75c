import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_PATH, openApiDocument } from '../openapi';
import { createOpenApiValidator } from '../testing';
import { startHarness, type Harness } from './harness';

const validator = createOpenApiValidator();
const METHODS = ['get', 'post', 'put', 'delete', 'patch'] as const;

describe('openapi.yaml', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const api = await SwaggerParser.validate(OPENAPI_PATH);
    expect((api as { openapi?: string }).openapi).toBe('3.1.0');
  });

  it('keeps every object schema strict', () => {
    const loose: string[] = [];
    const visit = (node: unknown, where: string): void => {
      if (Array.isArray(node)) return node.forEach((item, index) => visit(item, `${where}/${index}`));
      if (node === null || typeof node !== 'object') return;
      const schema = node as Record<string, unknown>;
      if (schema.type === 'object' && schema.properties !== undefined && schema.additionalProperties !== false) loose.push(where);
      for (const [key, value] of Object.entries(schema)) visit(value, `${where}/${key}`);
    };
    const document = openApiDocument() as { components: object; paths: object };
    visit(document.components, '#/components');
    // The one deliberate exception: the OpenAPI document itself, served as JSON.
    visit(document.paths, '#/paths');
    expect(loose).toEqual(['#/paths//api/v1/openapi.json/get/responses/200/content/application/json/schema']);
  });
});

describe('the app serves exactly the documented operations', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(() => harness.close());

  it('routes every documented method and refuses every other one with 405', async () => {
    const paths = (openApiDocument() as { paths: Record<string, Record<string, unknown>> }).paths;
    for (const [template, item] of Object.entries(paths)) {
      const path = template.replace(/\{[^}]+\}/g, '01900000-0000-7000-8000-000000000000');
      for (const method of METHODS) {
        const response = await fetch(harness.url + path, { method: method.toUpperCase() });
        const body = response.status === 204 ? null : await response.text();
        if (method in item) {
          expect(response.status, `${method} ${template}`).not.toBe(405);
          expect(body ?? '', `${method} ${template}`).not.toContain('No such resource.');
        } else {
          expect(response.status, `${method} ${template}`).toBe(405);
        }
      }
    }
  });
});

describe('createOpenApiValidator', () => {
  const exchange = {
    id: '01900000-0000-7000-8000-000000000000',
    name: 'Office',
    budget: null,
    exchangeDate: null,
    rules: { singleCycle: false },
    status: 'open',
    participantCount: 0,
    wishlistCount: 0,
    exclusionCount: 0,
    createdAt: '2026-12-01T10:00:00.000Z',
    drawnAt: null,
  };
  const json = { 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' };
  const path = `/api/v1/exchanges/${exchange.id}`;

  it('accepts a conforming response', () => {
    expect(validator.check({ method: 'GET', path, status: 200, headers: json, body: { exchange } })).toEqual([]);
  });

  it('names a stray field', () => {
    const problems = validator.check({ method: 'GET', path, status: 200, headers: json, body: { exchange: { ...exchange, organizerTokenHash: 'x' } } });
    expect(problems.join('\n')).toContain('organizerTokenHash');
  });

  it('refuses an undocumented status, a missing header and the wrong media type', () => {
    expect(validator.check({ method: 'GET', path, status: 500, headers: json, body: {} })[0]).toContain('not documented');
    const problem = { type: 'urn:santa-ladder:problem:unauthorized', title: 't', status: 401, detail: 'd', code: 'unauthorized' };
    const unauthorized = validator.check({
      method: 'GET',
      path,
      status: 401,
      headers: { ...json, 'content-type': 'application/problem+json' },
      body: problem,
    });
    expect(unauthorized).toEqual([expect.stringContaining('WWW-Authenticate is required')]);
    const wrongType = validator.check({ method: 'GET', path, status: 200, headers: { ...json, 'content-type': 'text/html' }, body: { exchange } });
    expect(wrongType[0]).toContain('Content-Type text/html');
  });

  it('maps concrete paths to templates, literal segments first', () => {
    expect(validator.templateOf(`/api/v1/exchanges/${exchange.id}/participants.csv`)).toBe('/api/v1/exchanges/{id}/participants.csv');
    expect(validator.templateOf(`/api/v1/exchanges/${exchange.id}/participants/abc`)).toBe('/api/v1/exchanges/{id}/participants/{pid}');
    expect(validator.templateOf('/api/v1/me?x=1')).toBe('/api/v1/me');
    expect(validator.templateOf('/api/v2/me')).toBeNull();
  });

  it('throws a readable error from assert', () => {
    expect(() => validator.assert({ method: 'GET', path, status: 200, headers: json, body: { exchange: { ...exchange, status: 'done' } } })).toThrow(
      /body\/exchange\/status must be equal to one of the allowed values/,
    );
  });
});
