import { test, expect, signIn } from './fixtures';

// The e2e server refreshes cost data from moto, seeded by scripts/demo_aws.py
// with 13 months of demo Cost Explorer figures. The page reads only what the
// refresher stored.

const CHARTS = ['chart-environments', 'chart-services', 'chart-daily', 'chart-monthly'];

/** The previous calendar month of today (UTC), as YYYY-MM. */
function previousMonth(): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Reloads until the page shows stored figures (the first refresh may still be running). */
async function waitForCostData(page: import('@playwright/test').Page, path: string): Promise<void> {
  await expect
    .poll(
      async () => {
        if ((await page.locator('[data-testid="environments-table"]').count()) > 0) return true;
        await page.goto(path);
        return (await page.locator('[data-testid="environments-table"]').count()) > 0;
      },
      { timeout: 30_000, intervals: [1_000] },
    )
    .toBe(true);
}

test.describe('cost review /cost', () => {
  test('the review shows titled SVG charts and the tables', async ({ page }) => {
    const month = previousMonth();
    await signIn(page, 'vera', `/cost?month=${month}`);
    await waitForCostData(page, `/cost?month=${month}`);
    await expect(page.locator('h1')).toContainText('Cost review');
    await expect(page.locator('[data-testid="cost-review"]')).toHaveAttribute('data-month', month);
    await expect(page.locator('[data-testid="cost-review"]')).toHaveAttribute('data-complete', 'true');

    for (const chart of CHARTS) {
      const svg = page.locator(`[data-chart="${chart}"] svg[role="img"]`);
      await expect(svg, chart).toBeVisible();
      await expect(svg).toHaveAttribute('aria-labelledby', `${chart}-title ${chart}-desc`);
      await expect(svg.locator('title')).not.toBeEmpty();
      await expect(svg.locator('desc')).not.toBeEmpty();
      // The same figures as a table.
      await expect(page.locator(`[data-chart="${chart}"] table[data-chart-table]`)).toHaveCount(1);
    }
    await expect(page.locator('[data-testid="environments-table"]')).toBeVisible();
    await expect(page.locator('[data-testid="services-table"]')).toBeVisible();
    // Depends on the lead's wiring of the refresher against moto's demo data.
    await expect(page.locator('[data-testid="environments-table"] tr[data-environment="dev"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="environments-table"] tr[data-environment="prod"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="environments-table"] tr[data-environment="prod"]')).toContainText('$');
    expect(await page.locator('[data-testid="movers-table"] tr[data-mover]').count(), 'at least one mover').toBeGreaterThan(0);
  });

  test('the current month says it is incomplete', async ({ page }) => {
    await signIn(page, 'vera', '/cost');
    await expect(page.locator('[data-testid="cost-review"]')).toHaveAttribute('data-complete', 'false');
    await expect(page.locator('h1')).toContainText('Cost review');
    const subtitle = page.locator('header p').first();
    await expect(subtitle).toContainText(/month to date, \d+ of \d+ days|complete month/);
  });

  test('the month picker works (a plain GET form)', async ({ page, jsEnabled }) => {
    await signIn(page, 'vera', '/cost');
    const month = previousMonth();
    const picker = page.locator('form[data-testid="month-picker"]');
    await picker.locator('input[name="month"]').fill(month);
    await picker.getByRole('button', { name: 'Show' }).click();
    await expect(page).toHaveURL((url) => url.pathname === '/cost' && url.searchParams.get('month') === month);
    if (jsEnabled) await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
    await expect(page.locator('[data-testid="cost-review"]')).toHaveAttribute('data-month', month);
    await expect(page.locator('input[name="month"]')).toHaveValue(month);
  });

  test('a malformed month is refused with the reason', async ({ page, consoleErrors }) => {
    consoleErrors.allow(/400/);
    await signIn(page, 'vera', '/cost');
    const response = await page.goto('/cost?month=2026-13');
    expect(response?.status()).toBe(400);
    await expect(page.locator('[role="alert"]')).toContainText('expected YYYY-MM');
    await expect(page.locator('input[name="month"]')).toHaveCount(1);
  });

  test('each table downloads as CSV', async ({ page }) => {
    const month = previousMonth();
    await signIn(page, 'vera', `/cost?month=${month}`);
    const link = page.locator('a[data-testid="csv-services"]');
    await expect(link).toHaveAttribute('href', `/cost/export/services.csv?month=${month}`);
    const download = page.waitForEvent('download');
    await link.click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`gantry-cost-services-${month}.csv`);

    const csv = await page.request.get(`/cost/export/environments.csv?month=${month}`);
    expect(csv.status(), await csv.text()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect(csv.headers()['content-disposition']).toContain(`gantry-cost-environments-${month}.csv`);
    const lines = (await csv.text()).split(/\r?\n/).filter((l) => l !== '');
    expect(lines.length, 'a header and rows').toBeGreaterThan(1);
    expect((await page.request.get(`/cost/export/nothing.csv?month=${month}`)).status()).toBe(404);
  });

  test('printing hides the sidebar and the forms', async ({ page }) => {
    await signIn(page, 'vera', '/cost');
    await expect(page.locator('aside')).toBeVisible();
    await page.emulateMedia({ media: 'print' });
    await expect(page.locator('aside')).toBeHidden();
    await expect(page.locator('form[data-testid="month-picker"]')).toBeHidden();
    await expect(page.locator('h1')).toBeVisible();
    await page.emulateMedia({ media: 'screen' });
    await expect(page.locator('aside')).toBeVisible();
  });

  test('on paper every table fits the page: nothing is cut or scrolled', async ({ page }) => {
    const month = previousMonth();
    await signIn(page, 'vera', `/cost?month=${month}`);
    await waitForCostData(page, `/cost?month=${month}`);
    // A4 with 14 mm margins leaves about 690 CSS pixels of width.
    await page.setViewportSize({ width: 690, height: 1000 });
    await page.emulateMedia({ media: 'print' });
    const overflows = await page.evaluate(() => {
      const main = document.querySelector('main')!.getBoundingClientRect();
      return [...document.querySelectorAll('main table')]
        .filter((t) => (t as HTMLElement).offsetParent !== null)
        .filter((t) => t.getBoundingClientRect().right > main.right + 1 || t.scrollWidth > t.clientWidth + 1)
        .map((t) => t.getAttribute('data-testid') ?? t.outerHTML.slice(0, 80));
    });
    expect(overflows, 'tables wider than the paper').toEqual([]);
    // Sections flow on: no forced page break before each one.
    const breaks = await page.locator('.cost-section').evaluateAll((sections) =>
      sections.map((s) => getComputedStyle(s).breakBefore),
    );
    expect(breaks.length).toBeGreaterThan(3);
    expect(breaks.filter((b) => b === 'page')).toEqual([]);
  });

  test('admins see "Refresh now"; viewers do not', async ({ page }) => {
    await signIn(page, 'vera', '/cost');
    await expect(page.getByRole('button', { name: 'Refresh now' })).toHaveCount(0);
  });

  test('an admin\'s "Refresh now" says what happened: refreshed, or when to try again', async ({
    page,
    jsEnabled,
    consoleErrors,
  }) => {
    test.skip(!jsEnabled, 'the answer is shown in place by the WebAssembly');
    consoleErrors.allow(/429/);
    await signIn(page, 'ada', '/cost');
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/cost/refresh'));
    await page.getByRole('button', { name: 'Refresh now' }).click();
    const response = await refreshed;
    // The server refreshed at start: within 5 minutes a second refresh is
    // refused (429, Retry-After) before any Cost Explorer request.
    if (response.status() === 429) {
      expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
      await expect(page.locator('[data-testid="refresh-error"]')).toContainText(/try again in \d+ s/);
    } else {
      expect(response.status()).toBe(200);
      await expect(page.locator('[data-testid="refresh-result"]')).toContainText(/Refreshed: \d+ days/);
    }
  });
});
