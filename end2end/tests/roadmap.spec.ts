import { test, expect, signIn, SEED_MODULE_COUNT, STATUSES } from './fixtures';

const MATRIX = 'table[data-testid="roadmap-matrix"]';
// The seed's modules: not those end-to-end tests add (named "E2E …", slugs e2e-…).
const ROWS = `${MATRIX} tr[data-module]:not([data-module^="e2e-"])`;

test.describe('roadmap matrix /roadmap', () => {
  // The portal requires sign-in: read the roadmap as Vera, the viewer.
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'vera');
  });

  test('has a heading and one row per module', async ({ page, visit }) => {
    const response = await visit('/roadmap');
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1')).toContainText('Roadmap');
    await expect(page.locator(MATRIX)).toHaveCount(1);
    await expect(page.locator(ROWS)).toHaveCount(SEED_MODULE_COUNT);

    for (const slug of ['networking', 'alb', 'elasticache', 's3', 'cloudfront-cdn', 'waf']) {
      await expect(page.locator(`${MATRIX} tr[data-module="${slug}"]`), `row ${slug}`).toHaveCount(1);
    }
    const slugs = await page.locator(ROWS).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-module')));
    expect(new Set(slugs).size, 'module slugs are unique').toBe(SEED_MODULE_COUNT);
  });

  test('every row has a dev and a prod status badge and links to its module', async ({ page, visit }) => {
    await visit('/roadmap');
    const rows = page.locator(ROWS);
    await expect(rows).toHaveCount(SEED_MODULE_COUNT);
    const count = await rows.count();
    for (let i = 0; i < count; i++) {
      const row = rows.nth(i);
      const slug = await row.getAttribute('data-module');
      expect(slug, `row ${i} has a slug`).toMatch(/^[a-z0-9-]+$/);
      await expect(row.locator(`a[href="/roadmap/modules/${slug}"]`).first(), `${slug} links to its page`).toBeVisible();
      for (const env of ['dev', 'prod']) {
        const badge = row.locator(`td[data-env="${env}"] [data-status]`);
        await expect(badge, `${slug} ${env} has one badge`).toHaveCount(1);
        const status = await badge.getAttribute('data-status');
        expect(STATUSES, `${slug} ${env} status`).toContain(status);
        await expect(badge, `${slug} ${env} badge text`).toBeVisible();
        expect((await badge.innerText()).trim(), `${slug} ${env} badge text`).not.toBe('');
      }
    }
  });

  test('shows the seeded statuses', async ({ page, visit }) => {
    await visit('/roadmap');
    const badge = (slug: string, env: string) =>
      page.locator(`${MATRIX} tr[data-module="${slug}"] td[data-env="${env}"] [data-status]`);
    await expect(badge('networking', 'dev')).toHaveAttribute('data-status', 'deployed');
    await expect(badge('networking', 'prod')).toHaveAttribute('data-status', 'ready');
    await expect(badge('cloudfront-cdn', 'dev')).toHaveAttribute('data-status', 'planned');
  });

  test('module name links to the module page', async ({ page, visit, jsEnabled }) => {
    await visit('/roadmap');
    await page.locator(`${MATRIX} tr[data-module="networking"] a[href="/roadmap/modules/networking"]`).first().click();
    await expect(page).toHaveURL(/\/roadmap\/modules\/networking$/);
    await expect(page.locator('h1')).toContainText('Networking Module');
    if (jsEnabled) {
      // Client-side navigation keeps the hydrated app.
      await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
    }
  });

  test('filter narrows the rows (hydrated) / all rows shown (no-js)', async ({ page, visit, jsEnabled }) => {
    await visit('/roadmap');
    const filter = page.locator('input[data-testid="module-filter"]');
    await expect(filter).toHaveCount(1);
    const visibleRows = page.locator(`${ROWS}:visible`);

    if (!jsEnabled) {
      // Without JavaScript the filter cannot work: everything stays listed.
      await expect(visibleRows).toHaveCount(SEED_MODULE_COUNT);
      return;
    }

    await expect(visibleRows).toHaveCount(SEED_MODULE_COUNT);

    await filter.fill('cloudfront');
    await expect(visibleRows).toHaveCount(1);
    await expect(visibleRows.first()).toHaveAttribute('data-module', 'cloudfront-cdn');

    // "cloud" also matches other modules' names (e.g. CloudWatch Logs) in the
    // seed, so only check that it narrows the list and keeps CloudFront.
    await filter.fill('cloud');
    await expect(page.locator(`${MATRIX} tr[data-module="cloudfront-cdn"]`)).toBeVisible();
    await expect(page.locator(`${MATRIX} tr[data-module="networking"]`)).toBeHidden();
    expect(await visibleRows.count()).toBeLessThan(SEED_MODULE_COUNT);

    await filter.fill('');
    await expect(visibleRows).toHaveCount(SEED_MODULE_COUNT);
  });
});
