// The mobile clock's service worker: keeps a copy of the app so that it opens and works with no
// network after the first visit. The server writes the app's version (a hash of its files) in
// below, so a changed app installs a new worker, which replaces the cache.
//
// App files: cache first (the copy matches the worker's version), then the network.
// API calls: never cached; the app keeps its own data (IndexedDB, localStorage) and queue.
const VERSION = '__CLOCKFACE_APP_VERSION__';
const CACHE = `clockface-clock-${VERSION}`;
const FILES = [
  './',
  'index.html',
  'styles.css',
  'app.js',
  'api.js',
  'store.js',
  'outbox.js',
  'camera.js',
  'headturn.js',
  'kiosk.js',
  'util.js',
  'signing.js',
  'pinseal.js',
  'mycard.js',
  'timeoff.js',
  'jobs.js',
  'geo.js',
  'i18n.js',
  'i18n/en.js',
  'i18n/es.js',
  'manifest.webmanifest',
  'icon.svg',
  'icon-192.png',
  'icon-512.png',
  'icon-maskable-512.png',
];

self.addEventListener('install', (event) => {
  // `reload` skips the HTTP cache so the copy is the version this worker was built for.
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES.map((f) => new Request(f, { cache: 'reload' }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) => Promise.all(names.filter((n) => n.startsWith('clockface-clock-') && n !== CACHE).map((n) => caches.delete(n))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith('/clock')) return;
  event.respondWith(
    (async () => {
      const cache = await caches.open(CACHE);
      // Any navigation inside the app (e.g. /clock or /clock/?x) is the app's page.
      const key = request.mode === 'navigate' ? './' : request;
      const hit = await cache.match(key, { ignoreSearch: request.mode === 'navigate' });
      if (hit) return hit;
      return fetch(request);
    })(),
  );
});
