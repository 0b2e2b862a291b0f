/* Fangyi: the service worker of the checkpoint registration page (served by staff_views).
   It keeps the page shell (the page, its JS and CSS, htmx, the icons) so the page opens with no
   network. The page: network first (fresh checkpoints when there is signal), the kept copy when
   there is none or the signal is too weak to answer in a few seconds. The files: the kept copy
   (a new version of this worker, made when any of them changes, fetches them again).
   Everything else, the API above all, goes to the network untouched: the page keeps unsent
   registrations in IndexedDB itself. */
"use strict";

const VERSION = "{{ version }}";
const CACHE = "fangyi-register-" + VERSION;
const PAGE = "{{ page }}";
const ASSETS = {{ assets|safe }};
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      await cache.addAll(ASSETS.map((url) => new Request(url, { cache: "reload" })));
      // The page needs the session; when it answers with the login page, keep none.
      try {
        const response = await fetch(new Request(PAGE, { cache: "reload", credentials: "same-origin" }));
        if (isKeepable(response)) await cache.put(PAGE, response);
      } catch (error) {
        /* offline while installing: the page is kept the next time it loads */
      }
      await self.skipWaiting();
    })()
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(
        names.filter((name) => name.startsWith("fangyi-register-") && name !== CACHE).map((name) => caches.delete(name))
      );
      await self.clients.claim();
    })()
  );
});

function isKeepable(response) {
  return response && response.ok && !response.redirected && response.type === "basic";
}

function withTimeout(promise, ms) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("timeout")), ms);
    promise.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (error) => { clearTimeout(timer); reject(error); }
    );
  });
}

async function pageFromNetworkOrCache(request) {
  const cache = await caches.open(CACHE);
  const network = fetch(request).then(async (response) => {
    if (isKeepable(response)) await cache.put(PAGE, response.clone());
    return response;
  });
  try {
    return await withTimeout(network, PAGE_TIMEOUT_MS);
  } catch (error) {
    const kept = await cache.match(PAGE, { ignoreVary: true });
    if (kept) return kept;
    return network; // nothing kept: let the browser show what the network says
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.pathname === PAGE) {
    event.respondWith(pageFromNetworkOrCache(request));
    return;
  }
  if (ASSETS.includes(url.pathname)) {
    event.respondWith(
      caches.open(CACHE).then((cache) =>
        cache.match(url.pathname, { ignoreVary: true }).then((kept) => kept || fetch(request))
      )
    );
  }
});
