// Starts the real clockface binary for a browser test: a fresh data folder, a company with an
// admin, `serve` on a free port; stops it when the test is done.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The binary the README's test command built (override with CLOCKFACE_BIN). */
export const binary = process.env.CLOCKFACE_BIN ?? join(root, 'target', 'debug', 'clockface');

export const ADMIN_PASSWORD = 'correct horse battery';

/**
 * Starts a server with one company whose admin is `email`. Returns { url, dataDir, stop, createCompany }.
 */
export async function startServer({ email = 'admin@acme.test', company = 'Acme Paving', timeZone = 'America/Chicago' } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'clockface-e2e-'));
  const createCompany = (name, adminEmail, zone = timeZone) =>
    // The tests' PINs have four digits: these companies chose 4 (the default is 6).
    execFileSync(binary, ['admin', 'create', '--data-dir', dataDir, '--company', name, '--email', adminEmail, '--password', ADMIN_PASSWORD, '--time-zone', zone, '--min-pin-digits', '4'], {
      env: { ...process.env, CLOCKFACE_LOG: 'warn' },
    });
  createCompany(company, email);
  const { url, stop } = await run(['serve', '--listen', '127.0.0.1:0', '--data-dir', dataDir], dataDir, /serving on (http:\/\/\S+)/, 30);
  return { url, dataDir, stop, createCompany };
}

/** Calls the API; returns { status, body } (the body parsed when it is JSON). */
export async function api(url, path, { method = 'GET', token, body } = {}) {
  const headers = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  // JSON answers are parsed; others (a ZIP export, a CSV) are left as text.
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return { status: response.status, body: text ? (json ? JSON.parse(text) : text) : null };
}

/** Signs in over the API and returns the session token. */
export async function apiLogin(url, email, password = ADMIN_PASSWORD) {
  const { status, body } = await api(url, '/api/v1/auth/login', { method: 'POST', body: { email, password } });
  if (status !== 200) throw new Error(`login failed: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

/** The demo's admin login, as `clockface demo` prints it. */
export const DEMO_ADMIN = { email: 'admin@demo.clockface.test', password: 'clockface-demo' };

/**
 * Runs `clockface demo` on a fresh data folder (a company with a week of punches, photos, a
 * review waiting, jobs) and resolves once it printed its banner. Returns { url, dataDir, stop }.
 */
export async function startDemo() {
  const dataDir = mkdtempSync(join(tmpdir(), 'clockface-demo-e2e-'));
  const { url, stop } = await run(['demo', '--listen', '127.0.0.1:0', '--data-dir', dataDir], dataDir, /demo is running at (http:\/\/\S+)[\s\S]*Admin login/, 120);
  return { url, dataDir, stop };
}

/**
 * Runs the binary with `args` until its output matches `ready` (its first group is the address),
 * within `seconds`. Returns { url, stop }: `stop` ends it and removes `dataDir`.
 */
async function run(args, dataDir, ready, seconds) {
  const child = spawn(binary, args, { env: { ...process.env, CLOCKFACE_LOG: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`clockface ${args[0]} did not start within ${seconds} s`)), seconds * 1000);
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(ready);
      if (match) {
        clearTimeout(deadline);
        resolve(match[1]);
      }
    });
    child.on('exit', (code) => reject(new Error(`clockface ${args[0]} exited with ${code} before it was ready`)));
  });
  const stop = async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.on('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { url, stop };
}
