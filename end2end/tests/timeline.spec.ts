import { test, expect, signIn } from './fixtures';

test.describe('roadmap timeline /roadmap/timeline', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'vera');
  });

  test('draws the modules still to roll out with a today line and a table of the same data', async ({ page, visit }) => {
    const response = await visit('/roadmap/timeline');
    expect(response?.status()).toBe(200);
    const chart = page.locator('svg[data-testid="timeline-chart"]');
    await expect(chart).toHaveAttribute('role', 'img');
    await expect(chart.locator('title')).toHaveText('Modules still to roll out, on a time axis');
    await expect(chart.locator('desc')).toContainText('horizons measured from the document\'s date, 2024-11-01');
    await expect(page.locator('[data-testid="today-line"]')).toHaveCount(1);
    // WAF: "Low for Dev, High for Prod" — one bar per priority, in the chart and the table.
    await expect(chart.locator('g[data-module="waf"]')).toHaveCount(2);
    const waf = page.locator('[data-testid="timeline-table"] tr[data-module="waf"]');
    await expect(waf).toHaveCount(2);
    await expect(waf.nth(0)).toContainText('dev');
    await expect(waf.nth(0)).toContainText('low');
    await expect(waf.nth(1)).toContainText('prod');
    await expect(waf.nth(1)).toContainText('high');
    // Medium term: from two weeks to a month after the document's date (November 2024): overdue now.
    await expect(waf.nth(1)).toContainText('2024-11-15');
    await expect(waf.nth(1)).toContainText('2024-12-01');
    await expect(waf.nth(1)).toHaveAttribute('data-overdue', 'true');
    await expect(waf.nth(1)).toContainText('overdue');
    // Deployed everywhere: not on the timeline.
    await expect(page.locator('[data-testid="timeline-table"] tr[data-module="networking"]')).toHaveCount(0);
  });

  test('filters by environment and priority through its form', async ({ page, visit }) => {
    await visit('/roadmap/timeline');
    await page.getByLabel('Environment').fill('prod');
    await page.getByLabel('Priority').fill('high');
    await page.getByRole('button', { name: 'Filter' }).click();
    await expect(page).toHaveURL(/environment=prod/);
    const rows = page.locator('[data-testid="timeline-table"] tbody tr');
    await expect(rows.first()).toBeVisible();
    for (const row of await rows.all()) {
      await expect(row).toContainText('prod');
      await expect(row).toContainText('high');
      await expect(row).not.toContainText('dev');
    }
    await expect(page.locator('[data-testid="timeline-table"] tr[data-module="waf"]')).toHaveCount(1);
  });

  test('refuses a filter it cannot apply, naming it', async ({ page, visit, consoleErrors }) => {
    consoleErrors.allow(/status of 400/);
    await visit('/roadmap/timeline?environment=staging&priority=urgent');
    await expect(page.locator('main')).toContainText('the roadmap tracks dev, prod, not "staging"');
    await expect(page.locator('main')).toContainText('must be low, medium or high, not "urgent"');
    await expect(page.locator('[data-testid="timeline-chart"]')).toHaveCount(0);
  });
});

test.describe('rollout progress', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'vera');
  });

  test('the matrix and each board column show deployed out of planned per environment', async ({ page, visit }) => {
    await visit('/roadmap');
    for (const env of ['dev', 'prod']) {
      const bar = page.locator(`[data-testid="progress"] li[data-env="${env}"]`);
      await expect(bar).toHaveCount(1);
      const deployed = Number(await bar.getAttribute('data-deployed'));
      const total = Number(await bar.getAttribute('data-total'));
      expect(total).toBeGreaterThan(deployed);
      await expect(bar).toContainText(`${deployed} of ${total} deployed`);
    }
    // The seed's implemented modules are deployed in dev.
    expect(Number(await page.locator('[data-testid="progress"] li[data-env="dev"]').getAttribute('data-deployed'))).toBeGreaterThan(0);

    await visit('/roadmap/board');
    for (const phase of ['immediate', 'short', 'medium', 'long']) {
      const column = page.locator(`section[data-phase="${phase}"]`);
      await expect(column.locator('[data-testid="progress"] li')).toHaveCount(2);
      // Every card counts, but a retired one.
      const cards = await column.locator('li[data-module]').count();
      const total = Number(await column.locator('[data-testid="progress"] li[data-env="prod"]').getAttribute('data-total'));
      expect(total).toBeGreaterThan(0);
      expect(total).toBeLessThanOrEqual(cards);
    }
  });

  test('a module page shows its path through the statuses per environment', async ({ page, visit }) => {
    await visit('/roadmap/modules/networking');
    const path = page.locator('[data-testid="status-path"]');
    await expect(path.locator('li[data-env="dev"]')).toContainText('deployed');
    await expect(path.locator('li[data-env="prod"]')).toContainText(/ready|deployed/);
    // Dated from the history (the seed's import).
    await expect(path.locator('li[data-env="dev"]')).toContainText(/\(\d{4}-\d{2}-\d{2}\)/);
  });
});

test.describe('the projected bill', () => {
  test('the roadmap page shows each environment today, after the rollout, the document total and the actual', async ({
    page,
    visit,
  }) => {
    await signIn(page, 'vera');
    await visit('/roadmap');
    const bill = page.locator('[data-testid="projected-bill"]');
    const prod = bill.locator('tr[data-environment="prod"]');
    // The document's own total, as written.
    await expect(prod).toContainText('$365–475');
    await expect(bill.locator('tr[data-environment="dev"]')).toContainText('$70–80');
    await expect(prod.locator('[data-testid="bill-projected"]')).toContainText('$');
    // Actuals come from whole months and the forecast, or say there are none.
    await expect(prod).toContainText(/\(\w+ \d{4}\)|no cost data/);
    // Modules counted without an estimate are named, with links.
    await expect(page.locator('[data-testid="unestimated"] li[data-env="prod"] a').first()).toBeVisible();
  });
});
