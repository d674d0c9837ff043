import { test, expect, signIn, expectHydration, type Page } from './fixtures';

// The e2e server polls the moto demo account (scripts/test.sh starts moto,
// seeds it with scripts/demo_aws.py and points the server at it, polling every
// 10 s). Pages read the stored snapshots.

/** Reloads until the environment page shows a stored snapshot (the first poll
 * may still be running when the test starts). */
async function waitForSnapshot(page: Page, path: string): Promise<void> {
  await expect
    .poll(
      async () => {
        if ((await page.locator('[data-testid="live-health"][data-polled-at]').count()) > 0) return true;
        await page.goto(path);
        return (await page.locator('[data-testid="live-health"][data-polled-at]').count()) > 0;
      },
      { timeout: 30_000, intervals: [1_000] },
    )
    .toBe(true);
}

test.describe('environments and live health', () => {
  test('the overview shows each environment with its health and what runs', async ({ page }) => {
    await signIn(page, 'vera', '/environments/prod');
    await waitForSnapshot(page, '/environments/prod');
    await page.goto('/environments');
    const prod = page.locator('tr[data-environment="prod"]');
    await expect(prod.locator('[data-health]')).toHaveCount(1);
    await expect(prod.locator('[data-testid="running"]')).toContainText('backend-booking:2');
    await expect(prod.locator('[data-testid="running"]')).toContainText('v1.42.0');
    await expect(prod.locator('[data-testid="polled-at"]')).toContainText('ago');
    await expect(page.locator('tr[data-environment="dev"] [data-health]')).toHaveCount(1);
  });

  test('the environment page shows services, alarms, database and masked parameters', async ({ page }) => {
    await signIn(page, 'vera', '/environments/prod');
    await waitForSnapshot(page, '/environments/prod');
    const service = page.locator('[data-service-health="backend-booking-api"]');
    await expect(service.locator('[data-testid="task-definition"]')).toHaveText('backend-booking:2');
    await expect(service.locator('[data-testid="image"]')).toContainText('backend-booking:v1.42.0');
    await expect(service.locator('[data-alarm]')).toHaveCount(2);
    await expect(service.locator('[data-alarm="bb-prod-api-cpu-high"]')).toHaveAttribute('data-alarm-state', /OK|ALARM|INSUFFICIENT_DATA/);
    await expect(service.locator('[data-testid="targets"]')).toContainText('of 3 healthy');
    await expect(service.locator('[data-read-at]').first()).toContainText('read ');
    await expect(page.locator('[data-testid="database"]')).toContainText('backend-booking-prod');
    await expect(page.locator('[data-testid="database"]')).toContainText('Multi-AZ');

    const params = page.locator('table[data-testid="parameters"] tr[data-parameter]');
    await expect(params).toHaveCount(5);
    await expect(page.locator('tr[data-parameter="/backend-booking/prod/DATABASE_URL"] [data-masked="true"]')).toHaveCount(1);
    await expect(page.locator('tr[data-parameter="/backend-booking/prod/DJANGO_SECRET_KEY"] [data-masked="true"]')).toHaveCount(1);
    await expect(page.locator('tr[data-parameter="/backend-booking/prod/DJANGO_DEBUG"]')).toContainText('false');
    // The SecureString values are nowhere in the document, hydration data included.
    const html = await page.content();
    expect(html).not.toContain('FAKE-prod');
    expect(html).not.toContain('kms:alias');
    // The demo's prod database is "ready" on the roadmap but exists in AWS.
    await expect(page.locator('[data-testid="drift"]')).toContainText('AWS shows the RDS instance in prod');
  });

  test('the health view refreshes itself while open, without a reload', async ({ page, jsEnabled }) => {
    test.skip(!jsEnabled, 'refreshing in place needs JavaScript; without it the Refresh link reloads');
    test.setTimeout(90_000);
    await signIn(page, 'vera', '/environments/dev');
    await waitForSnapshot(page, '/environments/dev');
    const panel = page.locator('[data-testid="live-health"]');
    const first = await panel.getAttribute('data-polled-at');
    await page.evaluate(() => ((window as unknown as { __stayed: boolean }).__stayed = true));
    await expect
      .poll(async () => panel.getAttribute('data-polled-at'), { timeout: 60_000, intervals: [1_000] })
      .not.toBe(first);
    expect(
      await page.evaluate(() => (window as unknown as { __stayed?: boolean }).__stayed),
      'same document: refetched, not reloaded',
    ).toBe(true);
  });

  test('an operator asks for a health check now; a viewer has no button', async ({
    page,
    browser,
    jsEnabled,
    consoleErrors,
  }) => {
    const viewer = await browser.newPage({ javaScriptEnabled: jsEnabled });
    await signIn(viewer, 'vera', '/environments/dev');
    await expect(viewer.locator('[data-testid="health-panel"], h1').first()).toBeVisible();
    await expect(viewer.getByRole('button', { name: 'Check health now' })).toHaveCount(0);
    await viewer.close();

    await signIn(page, 'oscar', '/environments/dev');
    const button = page.getByRole('button', { name: 'Check health now' });
    await expect(button).toBeVisible();
    if (!jsEnabled) return; // the answer is shown in place by the WebAssembly
    consoleErrors.allow(/429/);
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/health/poll'));
    await button.click();
    const response = await answered;
    // Another test may have asked within the last 10 s: then a 429 that says when.
    if (response.status() === 429) {
      expect(Number(response.headers()['retry-after'])).toBeGreaterThan(0);
      await expect(page.locator('[data-testid="check-now-error"]')).toContainText(/try again in \d+ s/);
    } else {
      expect(response.status()).toBe(200);
      await expect(page.locator('[data-testid="check-now-result"]')).toContainText('Health check started');
    }
  });

  test('an admin edits an environment; a viewer sees no form', async ({ page, browser, jsEnabled, consoleErrors }) => {
    // The refused save below answers 400, which Chromium logs as a console error.
    consoleErrors.allow(/status of 400 \(Bad Request\).*\/api\/environments\/save/);
    const budget = jsEnabled ? '82.00' : '81.00';
    await signIn(page, 'ada', '/environments/dev');
    const form = page.locator('form[data-testid="environment-form"]');
    await form.locator('input[name="form[monthly_budget_usd]"]').fill(budget);
    await form.locator('button[type="submit"]').click();
    if (jsEnabled) {
      await expect(form.locator('[role="status"]')).toContainText('Saved');
    }
    await page.goto('/environments/dev');
    // The form submits in place only once the page has hydrated: wait for it before using the form again.
    await expectHydration(page, jsEnabled);
    await expect(page.locator('form[data-testid="environment-form"] input[name="form[monthly_budget_usd]"]')).toHaveValue(budget);

    // A bad SSM prefix is refused with the field named, and nothing changes.
    await form.locator('input[name="form[ssm_prefix]"]').fill('backend-booking/dev/');
    await form.locator('button[type="submit"]').click();
    if (jsEnabled) {
      await expect(form.locator('[data-testid="save-error"]')).toContainText("ssm_prefix");
      await expect(form.locator('[data-testid="save-error"]')).toContainText("must start with '/'");
    }
    await page.goto('/environments/dev');
    await expect(page.locator('input[name="form[ssm_prefix]"]')).toHaveValue('/backend-booking/dev/');

    const viewer = await browser.newPage({ javaScriptEnabled: jsEnabled });
    await signIn(viewer, 'vera', '/environments/dev');
    await expect(viewer.locator('form[data-testid="environment-form"]')).toHaveCount(0);
    await viewer.close();
  });
});
