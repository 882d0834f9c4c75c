// What every page shares: the API client, secrets from the URL fragment, building DOM
// from data (always as text, never as HTML), and showing problems in words.

/**
 * @typedef {{ type?: string, title?: string, status?: number, detail?: string, code?: string,
 *             errors?: { path: string, message: string }[] }} Problem
 * @typedef {{ ok: boolean, status: number, body: any, problem: Problem | null }} ApiReply
 */

/**
 * The secrets a page was opened with: `#token=...&code=...`. Fragments never reach the
 * server, so they stay out of its logs and out of any Referer.
 * @returns {URLSearchParams}
 */
export function fragmentParams() {
  return new URLSearchParams(location.hash.slice(1));
}

/**
 * One API request. A POST carries a fresh Idempotency-Key; a request that got no answer
 * at all (the network failed) is sent once more, with the same key, so the server
 * carries it out at most once.
 * @param {string} method
 * @param {string} path
 * @param {{ token?: string, json?: unknown, body?: string, contentType?: string }} [options]
 * @returns {Promise<ApiReply>}
 */
export async function api(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json, application/problem+json' };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (method === 'POST') headers['idempotency-key'] = crypto.randomUUID();
  let body = options.body;
  if (options.json !== undefined) {
    body = JSON.stringify(options.json);
    headers['content-type'] = 'application/json';
  }
  if (options.contentType) headers['content-type'] = options.contentType;
  const init = { method, headers, body, credentials: /** @type {const} */ ('omit'), cache: /** @type {const} */ ('no-store') };

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    try {
      response = await fetch(path, init);
    } catch {
      const problem = { status: 0, detail: 'The server could not be reached. Check your connection and try again.' };
      return { ok: false, status: 0, body: null, problem };
    }
  }
  const text = await response.text();
  let parsed = null;
  if (text !== '' && /json/.test(response.headers.get('content-type') ?? '')) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
  }
  if (response.ok) return { ok: true, status: response.status, body: parsed, problem: null };
  /** @type {Problem} */
  const problem = parsed && typeof parsed === 'object' ? parsed : { status: response.status, detail: `The server answered ${response.status}.` };
  return { ok: false, status: response.status, body: parsed, problem };
}

/**
 * Builds an element; children are nodes or text (text is always inserted as text).
 * @param {string} tag
 * @param {Record<string, string | boolean | ((event: Event) => void)>} [attributes]
 * @param {...(Node | string | null | undefined | false)} children
 * @returns {HTMLElement}
 */
export function el(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false) element.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return element;
}

/**
 * @param {string} id
 * @returns {HTMLElement}
 */
export function byId(id) {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no #${id}.`);
  return element;
}

/**
 * A problem in words: its detail, then what was wrong with each field.
 * @param {Problem} problem
 * @returns {string}
 */
export function problemText(problem) {
  return problem.detail || problem.title || `The server answered ${problem.status}.`;
}

/**
 * Fills a form's error summary (an aria-live region) with a problem and marks the
 * fields it names (`data-path` on a field is its JSON pointer in the request body).
 * @param {HTMLElement} summary
 * @param {Problem} problem
 * @param {HTMLFormElement | null} [form]
 * @param {string} [lead] what failed, in words: "The exchange was not created."
 */
export function showProblem(summary, problem, form = null, lead = '') {
  clearProblem(summary, form);
  const list = el('ul');
  for (const { path, message } of problem.errors ?? []) {
    const field = form?.querySelector(`[data-path="${CSS.escape(path)}"]`);
    if (field instanceof HTMLElement) {
      field.setAttribute('aria-invalid', 'true');
      const label = form?.querySelector(`label[for="${CSS.escape(field.id)}"]`)?.textContent?.trim() ?? path;
      list.append(el('li', {}, el('a', { href: `#${field.id}`, onclick: (event) => focusField(event, field) }, `${label}: ${message}`)));
    } else {
      list.append(el('li', {}, path ? `${path}: ${message}` : message));
    }
  }
  summary.append(el('p', { class: 'error-title' }, lead ? `${lead} ${problemText(problem)}` : problemText(problem)));
  if (list.childElementCount > 0) summary.append(list);
  summary.focus();
}

/**
 * @param {Event} event
 * @param {HTMLElement} field
 */
function focusField(event, field) {
  event.preventDefault();
  field.focus();
}

/**
 * @param {HTMLElement} summary
 * @param {HTMLFormElement | null} [form]
 */
export function clearProblem(summary, form = null) {
  summary.replaceChildren();
  for (const field of form?.querySelectorAll('[aria-invalid]') ?? []) field.removeAttribute('aria-invalid');
}

/**
 * Shows a short outcome in a status region (role="status", announced politely).
 * @param {HTMLElement} region
 * @param {...(Node | string)} content
 */
export function say(region, ...content) {
  region.replaceChildren(...content);
}

/**
 * Disables a form's buttons while its request is in flight, so one click is one request.
 * @template T
 * @param {HTMLFormElement | HTMLElement} container
 * @param {() => Promise<T>} task
 * @returns {Promise<T>}
 */
export async function busy(container, task) {
  const buttons = [...container.querySelectorAll('button')];
  for (const button of buttons) button.disabled = true;
  container.setAttribute('aria-busy', 'true');
  try {
    return await task();
  } finally {
    for (const button of buttons) button.disabled = false;
    container.removeAttribute('aria-busy');
  }
}

/**
 * A money amount and a date as people read them.
 * @param {{ budget: { amount: number, currency: string } | null, exchangeDate: string | null }} exchange
 * @returns {string[]}
 */
export function exchangeFacts(exchange) {
  const facts = [];
  if (exchange.budget) {
    const { amount, currency } = exchange.budget;
    facts.push(`Budget: ${new Intl.NumberFormat(undefined, { style: 'currency', currency }).format(amount)}`);
  }
  if (exchange.exchangeDate) {
    const date = new Date(`${exchange.exchangeDate}T00:00:00Z`);
    facts.push(`Date: ${new Intl.DateTimeFormat(undefined, { dateStyle: 'long', timeZone: 'UTC' }).format(date)}`);
  }
  return facts;
}

/**
 * A read-only link with a button that copies it.
 * @param {string} id
 * @param {string} label
 * @param {string} url
 * @returns {HTMLElement}
 */
export function copyableLink(id, label, url) {
  const input = /** @type {HTMLInputElement} */ (el('input', { id, type: 'text', readonly: true, value: url, class: 'link', spellcheck: 'false' }));
  const status = el('span', { class: 'copied', role: 'status' });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(url);
      say(status, 'Copied.');
    } catch {
      input.select();
      say(status, 'Selected: copy it with your keyboard or menu.');
    }
  };
  return el(
    'div',
    { class: 'copy-row' },
    el('label', { for: id }, label),
    el('div', { class: 'inline' }, input, el('button', { type: 'button', class: 'secondary', onclick: copy }, 'Copy')),
    status,
  );
}
