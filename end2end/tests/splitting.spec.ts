import type { Page } from '@playwright/test';
import { test, expect, signIn, AUDIT_NAV_LINK } from './fixtures';

// Every build is split (site-build, `scripts/lib.sh` `build_site`): the
// roadmap matrix ships in the main WebAssembly, every other page's code in
// chunks (pkg/split_<route>_*.wasm plus shared pkg/chunk_*.wasm) that the page
// fetches the first time it is shown (app/src/routes.rs). Every name carries
// its content's hash (site-build): gantry.<hash>.wasm, split_…_<n>.<hash>.wasm.

const HASH = '[A-Za-z0-9_-]{22}';
const MAIN_WASM = new RegExp(`/pkg/gantry\\.${HASH}\\.wasm$`);
const ANY_CHUNK = /\/pkg\/(split_|chunk_)[^/]*\.wasm$/;
const chunkOf = (route: string) => new RegExp(`/pkg/split___${route}_route_view_\\d+\\.${HASH}\\.wasm$`);

/** Every WebAssembly file the page requests, and every document navigation, from now on. */
function recordRequests(page: Page): { wasm: string[]; documents: string[] } {
  const seen = { wasm: [] as string[], documents: [] as string[] };
  page.on('request', (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith('.wasm')) seen.wasm.push(path);
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) seen.documents.push(path);
  });
  return seen;
}

const matching = (paths: string[], re: RegExp) => paths.filter((p) => re.test(p));

test.describe('code splitting', () => {
  test('every asset is named by its content and cached for good; the sign-in page too', async ({ page }) => {
    const assets: { path: string; status: number; cache: string }[] = [];
    page.on('response', (r) => {
      const path = new URL(r.url()).pathname;
      if (path.startsWith('/pkg/')) assets.push({ path, status: r.status(), cache: r.headers()['cache-control'] ?? '' });
    });
    await page.goto('/roadmap');
    const css = await page.locator('link[rel="stylesheet"]').getAttribute('href');
    expect(css, 'the sign-in page links the hashed stylesheet').toMatch(new RegExp(`^/pkg/gantry\\.${HASH}\\.css$`));
    await signIn(page, 'vera', '/roadmap');
    await page.waitForLoadState('networkidle');
    expect(assets.length, 'the page loaded its assets').toBeGreaterThan(0);
    for (const a of assets) {
      expect(a.status, a.path).toBe(200);
      expect(a.path, 'a content-hashed name').toMatch(new RegExp(`\\.${HASH}\\.(css|js|wasm)$`));
      expect(a.cache, a.path).toContain('immutable');
    }
  });

  test.describe('hydrated', () => {
    test.skip(({ javaScriptEnabled }) => javaScriptEnabled === false, 'chunks are fetched by the WebAssembly');

    test('the matrix loads no chunk; navigating to a lazy page fetches its chunk and the page works', async ({
      page,
    }) => {
      const seen = recordRequests(page);
      await signIn(page, 'ada', '/roadmap');
      await expect(page.locator('table[data-testid="roadmap-matrix"]')).toBeVisible();
      await page.waitForLoadState('networkidle');
      expect(matching(seen.wasm, MAIN_WASM), 'the main WASM, once').toHaveLength(1);
      expect(matching(seen.wasm, ANY_CHUNK), 'no lazy chunk on the first load of /roadmap').toEqual([]);
      await expect(page.locator('link[rel="preload"][href*="/pkg/split_"]')).toHaveCount(0);

      // Client-side navigation: the document stays (the marker survives), the
      // audit page's chunk is fetched and its page works.
      await page.evaluate(() => ((window as unknown as { __gantrySplit: number }).__gantrySplit = 1));
      const documentsBefore = seen.documents.length;
      const auditChunk = page.waitForRequest((r) => chunkOf('audit').test(new URL(r.url()).pathname));
      await page.locator(AUDIT_NAV_LINK).click();
      await auditChunk;
      await expect(page).toHaveURL((url) => url.pathname === '/audit');
      await expect(page.locator('h1')).toHaveText('Audit log');
      const rows = page.locator('table[data-testid="audit-table"] tr[data-audit-id]');
      await expect(rows.first()).toBeVisible();
      expect(matching(seen.wasm, chunkOf('board')), 'only the chunks of the page shown').toEqual([]);

      // The lazily loaded page is interactive: its filter form navigates in place.
      const filter = page.locator('form').filter({ has: page.locator('input[name="action"]') });
      await filter.locator('input[name="action"]').fill('roadmap.*');
      await filter.getByRole('button', { name: 'Filter' }).click();
      await expect(page).toHaveURL((url) => url.searchParams.get('action') === 'roadmap.*');
      await expect
        .poll(() => rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-action') ?? '')))
        .toEqual(expect.arrayContaining(['roadmap.import']));
      expect(
        (await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-action') ?? ''))).filter(
          (a) => !a.startsWith('roadmap.'),
        ),
      ).toEqual([]);

      // Back to the matrix (in the main WASM), then on to a module's page.
      await page.locator('nav[aria-label="Areas"] a[href="/roadmap"]').click();
      await expect(page.locator('table[data-testid="roadmap-matrix"]')).toBeVisible();
      const moduleChunk = page.waitForRequest((r) => chunkOf('module').test(new URL(r.url()).pathname));
      await page.locator('table[data-testid="roadmap-matrix"] a[href="/roadmap/modules/networking"]').first().click();
      await moduleChunk;
      await expect(page.locator('h1')).toContainText('Networking Module');

      expect(seen.documents.length, 'no document was loaded: every navigation was client-side').toBe(documentsBefore);
      expect(await page.evaluate(() => (window as unknown as { __gantrySplit?: number }).__gantrySplit)).toBe(1);
      expect(matching(seen.wasm, chunkOf('audit')), 'a chunk is fetched once').toHaveLength(1);
    });

    test('a first load of a lazy page preloads its chunks and hydrates', async ({ page, visit }) => {
      await signIn(page, 'ada', '/roadmap');
      const seen = recordRequests(page);
      const response = await visit('/audit');
      expect(response?.status()).toBe(200);
      // The server names the page's chunks in the document, so they load beside the main WASM.
      const preloads = await page
        .locator('link[rel="preload"][href*="/pkg/"][href$=".wasm"]')
        .evaluateAll((links) => links.map((l) => new URL((l as HTMLLinkElement).href).pathname));
      expect(matching(preloads, chunkOf('audit')), 'the audit chunk is preloaded').toHaveLength(1);
      expect(matching(preloads, chunkOf('board')), 'no other page is').toEqual([]);
      await page.waitForLoadState('networkidle');
      expect(matching(seen.wasm, chunkOf('audit')), 'the audit chunk, fetched once').toHaveLength(1);
      for (const chunk of matching(seen.wasm, ANY_CHUNK)) {
        expect(preloads, `${chunk} was preloaded`).toContain(chunk);
      }

      await expect(page.locator('h1')).toHaveText('Audit log');
      await expect(page.locator('table[data-testid="audit-table"] tr[data-audit-id]').first()).toBeVisible();
      // Hydrated and routed on the client: the sidebar navigates in place to another lazy page.
      const documentsBefore = seen.documents.length;
      const boardChunk = page.waitForRequest((r) => chunkOf('board').test(new URL(r.url()).pathname));
      await page.locator('nav[aria-label="Areas"] a[href="/roadmap/board"]').click();
      await boardChunk;
      await expect(page.locator('section[data-phase="immediate"]')).toHaveCount(1);
      expect(seen.documents.length).toBe(documentsBefore);
    });
  });

  // Both projects: the environments pages are lazy too, and have no spec of their own yet.
  test('environments list and detail render (and hydrate with JavaScript)', async ({ page, visit }) => {
    await signIn(page, 'vera', '/roadmap');
    const list = await visit('/environments');
    expect(list?.status()).toBe(200);
    await expect(page.locator('h1')).toHaveText('Environments');
    await expect(page.locator('table[data-testid="environments"] tr[data-environment="dev"]')).toHaveCount(1);

    const detail = await visit('/environments/dev');
    expect(detail?.status()).toBe(200);
    await expect(page.locator('h1')).toHaveText('dev');
    await expect(page.locator('[data-testid="approval-summary"]')).toHaveCount(1);
  });
});
