import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { openApiDocument } from '../openapi';

/**
 * Checks HTTP responses against `libs/http/openapi.yaml`: the status must be documented
 * for the operation, required headers present and well-formed, the media type the
 * documented one, and the body valid against its schema (every object schema is strict,
 * so a stray field fails). The HTTP tests of every stage run their responses through it.
 */

export interface ResponseToCheck {
  method: string;
  /** A concrete path (`/api/v1/exchanges/0190...`) or a template (`/api/v1/exchanges/{id}`); a query is ignored. */
  path: string;
  status: number;
  headers: Headers | Record<string, string | string[] | number | undefined>;
  /** The parsed JSON body, the text of a text body, or undefined/null/'' for none. */
  body: unknown;
}

export interface OpenApiValidator {
  /** Every way the response departs from the document; empty when it conforms. */
  check(response: ResponseToCheck): string[];
  /** Throws one Error listing every departure. */
  assert(response: ResponseToCheck): void;
  /**
   * Reads a fetch Response (consuming its body), asserts it, and returns the body:
   * parsed JSON for JSON media types, text otherwise, null when empty.
   */
  assertFetch(method: string, url: string, response: Response): Promise<unknown>;
  /** The path template a concrete path matches, or null. */
  templateOf(path: string): string | null;
}

interface HeaderObject {
  required?: boolean;
  schema?: object;
}
interface MediaTypeObject {
  schema?: object;
}
interface ResponseObject {
  headers?: Record<string, HeaderObject | Ref>;
  content?: Record<string, MediaTypeObject>;
}
interface Ref {
  $ref: string;
}
type PathItem = Record<string, unknown> & { parameters?: unknown };
interface Document {
  paths: Record<string, PathItem>;
  components: { schemas: Record<string, object>; responses: Record<string, ResponseObject>; headers: Record<string, HeaderObject> };
}

const COMPONENTS_ID = 'santa-openapi-components';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// ajv-formats is CommonJS with a default export; under ESM interop it can arrive wrapped.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule) as typeof addFormatsModule;

/** `#/components/schemas/X` becomes a reference into one registered schema holding every component. */
function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    copy[key] =
      key === '$ref' && typeof inner === 'string' && inner.startsWith('#/components/schemas/')
        ? `${COMPONENTS_ID}#/$defs/${inner.slice('#/components/schemas/'.length)}`
        : rewriteRefs(inner);
  }
  return copy;
}

function isRef(value: unknown): value is Ref {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

function headerValue(headers: ResponseToCheck['headers'], name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined) return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return undefined;
}

function describe(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((error) => {
    const at = `${where}${error.instancePath}`;
    if (error.keyword === 'additionalProperties') {
      return `${at} has a field the document does not allow: ${String((error.params as { additionalProperty: string }).additionalProperty)}`;
    }
    return `${at} ${error.message ?? error.keyword}${error.keyword === 'enum' || error.keyword === 'const' ? ` ${JSON.stringify(error.params)}` : ''}`;
  });
}

function isEmptyBody(body: unknown): boolean {
  return body === undefined || body === null || body === '';
}

export function createOpenApiValidator(): OpenApiValidator {
  const document = openApiDocument() as unknown as Document;
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addSchema({ $id: COMPONENTS_ID, $defs: rewriteRefs(document.components.schemas) as object });

  const compiled = new WeakMap<object, ValidateFunction>();
  const validatorFor = (schema: object): ValidateFunction => {
    let validate = compiled.get(schema);
    if (validate === undefined) {
      validate = ajv.compile(rewriteRefs(schema) as object);
      compiled.set(schema, validate);
    }
    return validate;
  };

  const resolveResponse = (response: ResponseObject | Ref): ResponseObject =>
    isRef(response) ? (document.components.responses[response.$ref.split('/').at(-1) as string] as ResponseObject) : response;
  const resolveHeader = (header: HeaderObject | Ref): HeaderObject =>
    isRef(header) ? (document.components.headers[header.$ref.split('/').at(-1) as string] as HeaderObject) : header;

  // Literal paths before templated ones, so `/participants.csv` never reads as a parameter.
  const templates = Object.keys(document.paths)
    .map((template) => ({
      template,
      params: (template.match(/\{[^}]+\}/g) ?? []).length,
      pattern: new RegExp(
        `^${template
          .split(/\{[^}]+\}/)
          .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
          .join('[^/]+')}$`,
      ),
    }))
    .sort((a, b) => a.params - b.params);

  const templateOf = (path: string): string | null => {
    const bare = path.split('?')[0] as string;
    if (bare in document.paths) return bare;
    const trimmed = bare.length > 1 ? bare.replace(/\/$/, '') : bare;
    return templates.find(({ pattern }) => pattern.test(trimmed))?.template ?? null;
  };

  const checkAgainst = (response: ResponseObject, actual: ResponseToCheck, label: string): string[] => {
    const problems: string[] = [];
    for (const [name, header] of Object.entries(response.headers ?? {})) {
      const { required, schema } = resolveHeader(header);
      const value = headerValue(actual.headers, name);
      if (value === undefined) {
        if (required) problems.push(`${label}: header ${name} is required`);
        continue;
      }
      if (schema && !validatorFor(schema)(value)) {
        problems.push(...describe(validatorFor(schema).errors, `${label}: header ${name}`));
      }
    }

    const content = response.content;
    if (content === undefined) {
      if (!isEmptyBody(actual.body)) problems.push(`${label}: must have no body`);
      return problems;
    }
    const contentType = headerValue(actual.headers, 'content-type');
    const essence = contentType?.split(';')[0]?.trim().toLowerCase();
    const media = essence === undefined ? undefined : content[essence];
    if (media === undefined) {
      problems.push(`${label}: Content-Type ${contentType ?? '(none)'} is not one of ${Object.keys(content).join(', ')}`);
      return problems;
    }
    if (actual.method.toUpperCase() === 'HEAD') return problems;
    if (media.schema) {
      const validate = validatorFor(media.schema);
      if (!validate(actual.body)) problems.push(...describe(validate.errors, `${label}: body`));
    }
    return problems;
  };

  const check = (actual: ResponseToCheck): string[] => {
    const method = actual.method.toUpperCase();
    const label = `${method} ${actual.path} -> ${actual.status}`;
    const template = templateOf(actual.path);
    if (template === null) {
      if (actual.status !== 404) return [`${label}: the path matches no operation, so only 404 is allowed`];
      return checkAgainst(resolveResponse({ $ref: '#/components/responses/NotFound' }), actual, label);
    }

    const pathItem = document.paths[template] as PathItem;
    const operation = pathItem[(method === 'HEAD' ? 'GET' : method).toLowerCase()] as
      | { responses: Record<string, ResponseObject | Ref> }
      | undefined;
    if (operation === undefined) {
      const allowed = METHODS.filter((name) => name in pathItem);
      if (method === 'OPTIONS') {
        const problems = actual.status === 204 ? [] : [`${label}: OPTIONS must answer 204`];
        if (headerValue(actual.headers, 'allow') === undefined) problems.push(`${label}: header Allow is required`);
        return problems;
      }
      if (actual.status !== 405) {
        return [`${label}: ${template} supports ${allowed.join(', ').toUpperCase()}, so ${method} must be 405`];
      }
      return checkAgainst(resolveResponse({ $ref: '#/components/responses/MethodNotAllowed' }), actual, label);
    }

    const documented = operation.responses[String(actual.status)] ?? operation.responses[`${String(actual.status)[0]}XX`];
    if (documented === undefined) {
      return [`${label}: status ${actual.status} is not documented (documented: ${Object.keys(operation.responses).join(', ')})`];
    }
    return checkAgainst(resolveResponse(documented), actual, label);
  };

  const assert = (actual: ResponseToCheck): void => {
    const problems = check(actual);
    if (problems.length > 0) {
      throw new Error(`The response departs from the OpenAPI document:\n  ${problems.join('\n  ')}\nbody: ${JSON.stringify(actual.body)?.slice(0, 2000)}`);
    }
  };

  return {
    check,
    assert,
    templateOf,
    async assertFetch(method, url, response) {
      const text = await response.text();
      const contentType = response.headers.get('content-type') ?? '';
      const isJson = /^application\/([a-z.+-]+\+)?json/i.test(contentType);
      let body: unknown = text === '' ? null : text;
      if (isJson && text !== '') {
        try {
          body = JSON.parse(text);
        } catch {
          throw new Error(`${method} ${url} -> ${response.status}: the body is not JSON: ${text.slice(0, 200)}`);
        }
      }
      assert({ method, path: new URL(url, 'http://localhost').pathname, status: response.status, headers: response.headers, body });
      return body;
    },
  };
}
