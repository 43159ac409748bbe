// The PIN typed at an offline sign-in, sealed so that only the server can open it (see the
// server's web/sealed_pin.rs). The clock keeps no PIN and nothing derived from one: offline it
// cannot tell a right PIN from a wrong one, so it asks who is signing in and sends the PIN, sealed,
// with each punch of that sign-in; the server judges it when the punch arrives.
//
// ECIES with WebCrypto: an ephemeral ECDH P-256 key, the shared secret through HKDF-SHA256 (salt
// "clockface", info "clockface pin seal v1") to an AES-256-GCM key, a random 12-byte IV, and the
// punch's client_id as associated data, so a sealed PIN moved to another punch does not open.

const encode = (text) => new TextEncoder().encode(text);

function base64(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)));
}

/**
 * `pin` sealed for the punch `clientId` to the server's public key (`pin_seal_key` of the sync
 * answer, SEC1 uncompressed, base64): `{ epk, iv, ct }`, each base64.
 */
export async function sealPin(serverKey, pin, clientId) {
  const raw = Uint8Array.from(atob(serverKey), (c) => c.charCodeAt(0));
  const server = await crypto.subtle.importKey('raw', raw, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const ephemeral = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits']);
  const shared = await crypto.subtle.deriveBits({ name: 'ECDH', public: server }, ephemeral.privateKey, 256);
  const hkdf = await crypto.subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  const key = await crypto.subtle.deriveKey(
    { name: 'HKDF', hash: 'SHA-256', salt: encode('clockface'), info: encode('clockface pin seal v1') },
    hkdf,
    { name: 'AES-GCM', length: 256 },
    false,
    ['encrypt'],
  );
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encode(clientId) }, key, encode(pin));
  const epk = await crypto.subtle.exportKey('raw', ephemeral.publicKey);
  return { epk: base64(epk), iv: base64(iv), ct: base64(ct) };
}
