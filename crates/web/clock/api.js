// The device API, as the clock calls it. A network failure throws `Offline`; any answer from the
// server (even an error) resolves with { status, body }.

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
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { error: { code: 'bad_answer', message: `the server answered ${response.status} without JSON` } };
  }
  return { status: response.status, body: parsed };
}

/** The server's sentence for an error answer. */
export function errorMessage({ status, body }) {
  return body?.error?.message ?? `the server answered ${status}`;
}
