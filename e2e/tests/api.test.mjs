// The API's OpenAPI document, checked against the real server: it is a valid OpenAPI 3.1
// document, and every path, method and parameter it documents is served as documented.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { startServer, api, apiLogin } from '../lib/server.mjs';

const ADMIN = 'admin@acme.test';
const FALLBACK = 'no such page or endpoint';

async function ok(url, path, token, options = {}) {
  const answer = await api(url, path, { token, ...options });
  assert.ok(answer.status < 300, `${options.method ?? 'GET'} ${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A company with one of everything a path can name: role, employee, device, punch with a photo. */
async function fixtures(url) {
  const token = await apiLogin(url, ADMIN);
  const role = await ok(url, '/api/v1/roles', token, { method: 'POST', body: { name: 'Docs crew', abilities: {} } });
  const employee = await ok(url, '/api/v1/employees', token, { method: 'POST', body: { name: 'Doc Umented', number: 'D1', role_id: role.id, pin: '9182' } });
  const { code } = await ok(url, '/api/v1/devices/registration-codes', token, { method: 'POST', body: {} });
  const registered = await ok(url, '/api/v1/device/register', null, { method: 'POST', body: { code, name: 'Docs phone', has_front_camera: false } });
  const recorded = await ok(url, '/api/v1/punches', registered.token, {
    method: 'POST',
    body: { client_id: crypto.randomUUID(), employee_id: employee.id, kind: 'in', device_time: new Date().toISOString() },
  });
  return { token, deviceToken: registered.token, role, employee, device: registered.device, punch: recorded.punch };
}

/** A value of a parameter's schema, for a request that should be understood. */
function sample(parameter) {
  const schema = parameter.schema ?? {};
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (schema.format === 'date') return new Date().toISOString().slice(0, 10);
  if (schema.format === 'uuid') return crypto.randomUUID();
  if (type === 'integer' || type === 'number') return '1';
  if (type === 'boolean') return 'true';
  return 'doc';
}

test('the OpenAPI document is valid OpenAPI 3.1, and every documented path, method and parameter is served', async (t) => {
  const server = await startServer({ email: ADMIN });
  t.after(server.stop);
  const document = (await api(server.url, '/api/v1/openapi.json')).body;
  assert.match(document.openapi, /^3\.1\./);
  const validator = new Validator();
  const result = await validator.validate(document);
  assert.equal(result.valid, true, `not a valid OpenAPI document: ${JSON.stringify(result.errors, null, 2)}`);

  const f = await fixtures(server.url);
  const ids = { roles: f.role.id, employees: f.employee.id, devices: f.device.id, punches: f.punch.id };
  const sha256 = '0'.repeat(64);
  const operations = Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => ['get', 'post', 'put', 'delete', 'patch'].includes(method))
      .map(([method, operation]) => ({ path, method, operation })),
  );
  assert.ok(operations.length >= 30, `the document lists ${operations.length} operations`);
  // Deleting comes last, so that what a path names still exists for the others.
  operations.sort((a, b) => (a.method === 'delete') - (b.method === 'delete'));

  for (const { path, method, operation } of operations) {
    const parameters = [...(document.paths[path].parameters ?? []), ...(operation.parameters ?? [])];
    for (const parameter of parameters.filter((p) => p.in === 'path')) {
      assert.ok(path.includes(`{${parameter.name}}`), `${method} ${path}: path parameter ${parameter.name} is in the path`);
    }
    const resource = path.split('/')[3]; // /api/v1/<resource>/...
    const concrete = path.replace('{sha256}', sha256).replace('{start}', '2026-11-16').replace('{id}', ids[resource] ?? crypto.randomUUID());
    assert.ok(!/[{}]/.test(concrete), `${method} ${path}: every path parameter is documented and filled`);
    const query = new URLSearchParams(parameters.filter((p) => p.in === 'query').map((p) => [p.name, sample(p)]));
    const url = `${concrete}${query.size ? `?${query}` : ''}`;
    const security = Object.keys((operation.security ?? [{}])[0] ?? {})[0];
    const token = security === 'admin' ? f.token : security === 'device' ? f.deviceToken : undefined;
    const body = ['post', 'put', 'patch'].includes(method) ? {} : undefined;
    // Signing out would end the session the rest of the walk uses; it gets a session of its own.
    const sessionToken = path === '/api/v1/auth/logout' ? await apiLogin(server.url, ADMIN) : token;
    const answer = await api(server.url, url, { method: method.toUpperCase(), token: sessionToken, body });
    const what = `${method.toUpperCase()} ${url} answered ${answer.status} ${JSON.stringify(answer.body)}`;
    assert.notEqual(answer.status, 405, `${what}: the method is not served`);
    assert.ok(!(answer.status === 404 && answer.body?.error?.message === FALLBACK), `${what}: the path is not served`);
    assert.ok(answer.status < 500, `${what}: a server error`);
    if (query.size) assert.notEqual(answer.status, 400, `${what}: the documented query parameters were refused`);
    const documented = Object.keys(operation.responses ?? {});
    assert.ok(documented.includes(String(answer.status)) || documented.includes('default'), `${what}: ${answer.status} is not among the documented ${documented}`);
  }
});

test('the time card takes its period as query parameters, as documented', async (t) => {
  const server = await startServer({ email: ADMIN });
  t.after(server.stop);
  const f = await fixtures(server.url);
  const document = (await api(server.url, '/api/v1/openapi.json')).body;
  const parameters = document.paths['/api/v1/employees/{id}/timecard'].get.parameters;
  for (const name of ['from', 'to']) {
    const parameter = parameters.find((p) => p.name === name);
    assert.equal(parameter.in, 'query', `${name} is a query parameter`);
    assert.notEqual(parameter.required, true, `${name} is optional`);
  }
  const card = await ok(server.url, `/api/v1/employees/${f.employee.id}/timecard?from=2026-11-02&to=2026-11-15`, f.token);
  assert.equal(card.time_card.from, '2026-11-02');
  assert.equal(card.time_card.to, '2026-11-15');
  assert.equal(card.time_card.days.length, 14);
});
