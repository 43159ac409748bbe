// The device API, as the clock calls it. A network failure throws `Offline`; any answer from the
// server (even an error) resolves with { status, body }.

import { CATALOGUES, language, t } from './i18n.js';

export class Offline extends Error {
  constructor(cause) {
    super('no network');
    this.cause = cause;
  }
}

/** Calls `/api/v1${path}`. `json` sends JSON; `form` sends multipart (FormData). */
export async function call(path, { method = 'POST', token, json, form } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  let response;
  try {
    response = await fetch(`/api/v1${path}`, { method, headers, body, cache: 'no-store' });
  } catch (error) {
    throw new Offline(error);
  }
  return { status: response.status, body: parseAnswer(await response.text(), response.status) };
}

/** The answer's JSON, or an error body of our own when the server sent something else. */
function parseAnswer(text, status) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: 'bad_answer', message: t('error.bad_answer', { status }) } };
  }
}

/**
 * The sentence for an error answer. The server writes its sentences in English, which an English
 * clock shows as they are; in another language the clock says it in its own words when the
 * catalogue knows the error's code (`error.<code>.<field>`, then `error.<code>`), else the server's.
 */
export function errorMessage({ status, body }) {
  const error = body?.error;
  if (error?.message && language() === 'en') return error.message;
  const known = [error?.field && `error.${error.code}.${error.field}`, error?.code && `error.${error.code}`].find(
    (key) => key && key in CATALOGUES[language()],
  );
  if (known) return t(known);
  return error?.message ?? t('error.server', { status });
}
