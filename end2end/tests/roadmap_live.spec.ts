import { randomBytes } from 'node:crypto';

import { test, expect, signIn, sameOriginHeaders, expectHydration } from './fixtures';

test.describe('the roadmap keeps itself current', () => {
  test('a succeeded job marks the module it realises deployed, in its history and in the export', async ({ page, jsEnabled }) => {
    test.setTimeout(120_000);
    const suffix = randomBytes(3).toString('hex').toUpperCase();
    await signIn(page, 'oscar', '/roadmap');
    // A module of this test's own, planned everywhere.
    const added = await page.request.post('/api/roadmap/module/add', {
      headers: { ...sameOriginHeaders(), accept: 'application/json' },
      form: { name: `E2E Flags ${suffix}`, section: 'future', path: '', purpose: 'Flags per environment', priority: 'low' },
    });
    expect(added.status(), await added.text()).toBe(200);
    const slug = JSON.parse(await added.text()) as string;

    // Its page says what realises it; an operator sets that (a bad line is refused, naming it).
    await page.goto(`/roadmap/modules/${slug}`);
    await expectHydration(page, jsEnabled);
    await expect(page.locator('[data-testid="realisers"]')).toContainText('Nothing yet.');
    const parameter = `/backend-booking/dev/E2E_FLAG_${suffix}`;
    const form = page.locator('[data-testid="realisers-form"]');
    await form.locator('textarea[name="realisers"]').fill(`ssm:${parameter}`);
    await form.getByRole('button', { name: 'Save realisers' }).click();
    await expect(page.locator('[data-testid="realisers"]')).toContainText(`ssm:${parameter}`);
    await expect(page.locator('[data-testid="status-path"] li[data-env="dev"]')).toContainText('planned');

    // Oscar sets that parameter in dev with a configure job, and it succeeds.
    await page.goto(`/jobs/new?environment=dev&kind=configure&set=${encodeURIComponent(`E2E_FLAG_${suffix}=on`)}&preview=1`);
    const plan = page.locator('[data-testid="plan"]');
    await expect(plan).toContainText(parameter);
    await plan.getByRole('button', { name: 'Confirm and run' }).click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    const succeeded = page.locator('header [data-state="succeeded"]');
    if (jsEnabled) {
      // The hydrated page follows the job live (reloading it mid-poll is not what a person does).
      await expect(succeeded).toBeVisible({ timeout: 20_000 });
    } else {
      for (let i = 0; i < 40 && (await succeeded.count()) === 0; i++) {
        await page.waitForTimeout(500);
        await page.reload();
      }
      await expect(succeeded).toBeVisible();
    }

    // The module is deployed in dev now (not in prod), "by job #N".
    await page.goto(`/roadmap/modules/${slug}`);
    await expect(page.locator('[data-testid="status-path"] li[data-env="dev"]')).toContainText('planned');
    await expect(page.locator('[data-testid="status-path"] li[data-env="dev"]')).toContainText('→ deployed');
    await expect(page.locator('[data-testid="status-path"] li[data-env="prod"]')).not.toContainText('deployed');
    await expect(page.locator('[data-testid="history"]')).toContainText(`job #${id}`);
    // The export says so too.
    const exported = await page.request.get('/roadmap/export.md');
    const text = await exported.text();
    const section = text.split(`E2E Flags ${suffix}`)[1]?.split('\n### ')[0] ?? '';
    expect(section).toContain('dev deployed');
  });

  test('a realiser line that is not one is refused with its line, and nothing changes', async ({ page }) => {
    await signIn(page, 'oscar', '/roadmap');
    const refused = await page.request.post('/api/roadmap/module/realisers', {
      headers: sameOriginHeaders(),
      form: { slug: 'waf', realisers: 'ecs:waf-api\ns3:bucket' },
    });
    expect(refused.status()).toBe(400);
    expect(await refused.text()).toContain('line 2:');
    const unknown = await page.request.post('/api/roadmap/module/realisers', {
      headers: sameOriginHeaders(),
      form: { slug: 'no-such-module', realisers: 'ecs:x' },
    });
    expect(unknown.status()).toBe(404);
  });
});

test.describe('drift corrections', () => {
  test('drift the health poll finds is offered to operators as a one-click correction, never applied by itself', async ({
    page,
    browser,
    jsEnabled,
  }) => {
    test.setTimeout(90_000);
    await signIn(page, 'oscar', '/roadmap/modules/ecs-service');
    await expectHydration(page, jsEnabled);
    // The precondition, whatever an earlier run left: the roadmap says ready in prod (an edit, as a person makes it).
    const edit = page.locator('[data-testid="edit-module"]');
    await edit.locator('select[name="status[prod]"]').selectOption('ready');
    await edit.getByRole('button', { name: 'Save changes' }).click();
    await expect(page.locator('li[data-env="prod"] [data-status]').first()).toHaveAttribute('data-status', 'ready');
    // AWS has the ECS service in prod: the page says so and offers the correction; polls never apply it.
    const note = page.locator('[data-testid="module-drift"][data-env="prod"]');
    for (let i = 0; i < 30 && (await note.count()) === 0; i++) {
      await page.waitForTimeout(1000);
      await page.reload();
    }
    await expect(note).toContainText('prod');
    await page.waitForTimeout(1500);
    await page.reload();
    await expect(page.locator('li[data-env="prod"] [data-status]').first()).toHaveAttribute('data-status', 'ready');
    await expectHydration(page, jsEnabled);
    await note.getByRole('button', { name: 'Correct the roadmap: deployed in prod' }).click();
    await expect(page.locator('[data-testid="module-drift"][data-env="prod"]')).toHaveCount(0);
    await expect(page.locator('li[data-env="prod"] [data-status]').first()).toHaveAttribute('data-status', 'deployed');
    await expect(page.locator('[data-testid="history"]')).toContainText('drift correction');

    // A viewer (a browser of her own) gets no button (the endpoint refuses her: the server's authorization table checks it).
    const viewer = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    const vera = await viewer.newPage();
    await signIn(vera, 'vera', '/roadmap/modules/ecs-service');
    await expect(vera.locator('[data-testid="correct-drift"]')).toHaveCount(0);
    await viewer.close();
  });
});
