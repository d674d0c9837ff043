#!/usr/bin/env node
// Measures the first load of a page in Debian's Chromium (playwright-core):
// every response's size as transferred (CDP Network.loadingFinished
// encodedDataLength, headers included) and its encoded body size, with the
// Accept-Encoding the browser itself sends. The cache is disabled.
//
//   node scripts/bench-first-load.mjs URL [--json]
//
// Prints a table per request and a total; with --json, one JSON object instead.
import { chromium } from 'playwright-core';

const args = process.argv.slice(2);
const url = args.find((a) => !a.startsWith('--'));
const asJson = args.includes('--json');
if (!url) {
  console.error('usage: node scripts/bench-first-load.mjs URL [--json]');
  process.exit(2);
}

const browser = await chromium.launch({
  executablePath: process.env.E2E_CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

try {
  const context = await browser.newContext();
  // Every page needs a session: sign in through the development sign-in
  // (config/dev.toml) first, outside the measurement, as a returning user would be.
  const origin = new URL(url).origin;
  const signIn = await context.request.post(`${origin}/auth/dev`, {
    form: { subject: process.env.BENCH_SIGN_IN_AS ?? 'vera', return_to: '/roadmap' },
    headers: { Origin: origin },
    maxRedirects: 0,
  });
  if (signIn.status() !== 303) {
    throw new Error(`dev sign-in failed: HTTP ${signIn.status()} ${await signIn.text()}`);
  }
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });

  const reqs = new Map(); // requestId -> record
  const record = (id) => {
    if (!reqs.has(id)) reqs.set(id, { id, url: '', type: '', status: 0, encoding: '', headerBytes: 0, bodyBytes: 0, decodedBytes: 0, wireBytes: 0, done: false, failed: '' });
    return reqs.get(id);
  };
  let acceptEncoding = '';
  cdp.on('Network.requestWillBeSent', (e) => {
    const r = record(e.requestId);
    r.url = e.request.url;
    r.type = e.type ?? '';
  });
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => {
    const h = Object.fromEntries(Object.entries(e.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    if (h['accept-encoding'] && !acceptEncoding) acceptEncoding = h['accept-encoding'];
  });
  cdp.on('Network.responseReceived', (e) => {
    const r = record(e.requestId);
    r.type = e.type ?? r.type;
    r.status = e.response.status;
    const h = Object.fromEntries(Object.entries(e.response.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    r.encoding = h['content-encoding'] ?? '';
    r.headerBytes = e.response.encodedDataLength ?? 0; // bytes received so far: the headers
  });
  cdp.on('Network.dataReceived', (e) => {
    const r = record(e.requestId);
    r.bodyBytes += e.encodedDataLength ?? 0;
    r.decodedBytes += e.dataLength ?? 0;
  });
  cdp.on('Network.loadingFinished', (e) => {
    const r = record(e.requestId);
    r.wireBytes = e.encodedDataLength;
    r.done = true;
  });
  cdp.on('Network.loadingFailed', (e) => {
    const r = record(e.requestId);
    r.failed = e.errorText;
    r.done = true;
  });

  const started = Date.now();
  const response = await page.goto(url, { waitUntil: 'load' });
  // Let the WASM and anything it fetches finish; note whether the app hydrated.
  let hydrated = false;
  try {
    await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached', timeout: 20_000 });
    hydrated = true;
  } catch {
    hydrated = false;
  }
  await page.waitForLoadState('networkidle', { timeout: 20_000 }).catch(() => {});
  const elapsedMs = Date.now() - started;

  const rows = [...reqs.values()].filter((r) => r.url && !r.url.startsWith('data:'));
  for (const r of rows) {
    // Body as transferred: total minus headers when dataReceived gave nothing.
    if (r.bodyBytes === 0 && r.wireBytes > r.headerBytes) r.bodyBytes = r.wireBytes - r.headerBytes;
  }
  const total = rows.reduce(
    (t, r) => ({ wire: t.wire + r.wireBytes, body: t.body + r.bodyBytes, decoded: t.decoded + r.decodedBytes }),
    { wire: 0, body: 0, decoded: 0 },
  );
  const result = {
    url,
    status: response?.status() ?? 0,
    hydrated,
    elapsedMs,
    acceptEncoding,
    requests: rows.map((r) => ({
      url: r.url,
      type: r.type,
      status: r.status,
      contentEncoding: r.encoding,
      wireBytes: r.wireBytes,
      bodyBytes: r.bodyBytes,
      decodedBytes: r.decodedBytes,
      failed: r.failed || undefined,
    })),
    totals: { requests: rows.length, wireBytes: total.wire, bodyBytes: total.body, decodedBytes: total.decoded },
  };

  if (asJson) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    const origin = new URL(url).origin;
    const pad = (s, n) => String(s).padEnd(n);
    const num = (n) => String(n).padStart(10);
    console.log(`First load of ${url}: HTTP ${result.status}, hydrated: ${hydrated ? 'yes' : 'NO'}, ${elapsedMs} ms`);
    console.log(`Accept-Encoding sent by Chromium: ${acceptEncoding || '(not seen)'}`);
    console.log(`${pad('request', 44)} ${pad('type', 10)} ${pad('enc', 5)} ${num('wire B')} ${num('body B')} ${num('decoded B')}`);
    for (const r of result.requests) {
      const name = r.url.startsWith(origin) ? r.url.slice(origin.length) : r.url;
      console.log(
        `${pad(name.length > 44 ? `…${name.slice(-43)}` : name, 44)} ${pad(r.type, 10)} ${pad(r.contentEncoding || '-', 5)} ${num(r.wireBytes)} ${num(r.bodyBytes)} ${num(r.decodedBytes)}${r.failed ? `  FAILED: ${r.failed}` : ''}`,
      );
    }
    console.log(`${pad(`total (${rows.length} requests)`, 61)} ${num(total.wire)} ${num(total.body)} ${num(total.decoded)}`);
  }
} finally {
  await browser.close();
}
