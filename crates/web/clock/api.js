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
  return { status: response.status, body: parseAnswer(await response.text(), response.status) };
}

/** The answer's JSON, or an error body of our own when the server sent something else. */
function parseAnswer(text, status) {
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { code: 'bad_answer', message: `the server answered ${status} without JSON` } };
  }
}

/** The server's sentence for an error answer. */
export function errorMessage({ status, body }) {
  return body?.error?.message ?? `the server answered ${status}`;
}
