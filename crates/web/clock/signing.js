// Punches signed by this device. At registration (or the first sync after an upgrade) the clock
// makes an ECDSA P-256 key pair with WebCrypto; the private key is not extractable, so it never
// leaves this browser, and IndexedDB keeps the key object itself. The public key is registered
// with the server once (POST /device/key). Every punch is signed over its content and its photo's
// SHA-256, so the server can tell a punch changed after it was made, or a signature copied from
// another punch. The server flags such a punch; it never refuses one.

import { call } from './api.js';
import { kv } from './store.js';

const KEY = 'signing-key';

function base64(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

async function sha256Hex(blob) {
  const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Makes this device's key pair if it has none, and registers its public key until the server took it. */
export async function ensureKey(token) {
  let entry = await kv.get(KEY);
  if (!entry) {
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    entry = { privateKey: pair.privateKey, publicKey: base64(await crypto.subtle.exportKey('raw', pair.publicKey)), registered: false };
    await kv.set(KEY, entry);
  }
  if (!entry.registered && token) {
    const answer = await call('/device/key', { token, json: { public_key: entry.publicKey } });
    if (answer.status === 200) await kv.set(KEY, { ...entry, registered: true });
    else console.warn('the server did not take the signing key', answer.status);
  }
}

/** Forgets the key (the device is registered again: a new device, a new key). */
export async function forgetKey() {
  await kv.delete(KEY);
}

/** The punch's signature (base64 of r || s), or undefined before the device has a key. */
export async function sign(punch, photo, burst = null) {
  const entry = await kv.get(KEY);
  if (!entry) return undefined;
  const content = [
    'clockface-punch-v1',
    punch.client_id,
    punch.employee_id,
    punch.kind,
    punch.device_time,
    punch.clock_for_by ?? '',
    photo ? await sha256Hex(photo) : '',
  ];
  // A punch with a job or cost code signs two more lines; one without signs what clocks from
  // before jobs signed (domain::punch::signed_content).
  if (punch.job_id || punch.cost_code_id) content.push(`job:${punch.job_id ?? ''}`, `cost_code:${punch.cost_code_id ?? ''}`);
  // A break punch (Start break, End break) ends with one more line.
  if (punch.on_break) content.push('on_break');
  // A punch with a head-turn burst signs its image too (domain::punch::Burst::signed_line).
  if (burst && punch.burst) content.push(`burst:${await sha256Hex(burst)}:${punch.burst.prompt}:${punch.burst.frames}`);
  const text = content.join('\n');
  const signature = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, entry.privateKey, new TextEncoder().encode(text));
  return base64(signature);
}
