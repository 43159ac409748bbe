// What the device keeps: one IndexedDB database with a key-value store (device token, last sync,
// sign-ins, settings) and the outbox of punches waiting to be sent (with their photos as Blobs).
// IndexedDB survives closing the tab and reloading, and is reachable offline.

const DB_NAME = 'clockface-clock';
let opened = null;

function database() {
  opened ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      const db = request.result;
      db.createObjectStore('kv');
      db.createObjectStore('outbox', { keyPath: 'client_id' });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  return opened;
}

/** Runs `work(store)` in a transaction and resolves with its request's result once committed. */
async function transact(storeName, mode, work) {
  const db = await database();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const request = work(tx.objectStore(storeName));
    let result;
    if (request) request.onsuccess = () => (result = request.result);
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
  });
}

export const kv = {
  get: (key) => transact('kv', 'readonly', (s) => s.get(key)),
  set: (key, value) => transact('kv', 'readwrite', (s) => s.put(value, key)),
  delete: (key) => transact('kv', 'readwrite', (s) => s.delete(key)),
};

export const outbox = {
  /** Every waiting punch, oldest first. */
  all: async () => {
    const items = (await transact('outbox', 'readonly', (s) => s.getAll())) ?? [];
    return items.sort((a, b) => a.queued_at - b.queued_at);
  },
  put: (item) => transact('outbox', 'readwrite', (s) => s.put(item)),
  delete: (clientId) => transact('outbox', 'readwrite', (s) => s.delete(clientId)),
};
