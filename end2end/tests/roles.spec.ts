import { randomBytes } from 'node:crypto';

import { test, expect, signIn, AUDIT_NAV_LINK, EDIT_FORM } from './fixtures';

const MATRIX = 'table[data-testid="roadmap-matrix"]';

test.describe('what each role sees', () => {
  test('vera (viewer): no edit panel, no audit link', async ({ page }) => {
    await signIn(page, 'vera', '/roadmap/modules/waf');
    await expect(page.locator('h1')).toContainText('WAF');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('viewer');
    await expect(page.locator(EDIT_FORM)).toHaveCount(0);
    await expect(page.locator(AUDIT_NAV_LINK)).toHaveCount(0);
  });

  test('april (approver): audit link, no edit panel', async ({ page }) => {
    await signIn(page, 'april', '/roadmap/modules/waf');
    await expect(page.locator('h1')).toContainText('WAF');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('approver');
    await expect(page.locator(AUDIT_NAV_LINK)).toBeVisible();
    await expect(page.locator(EDIT_FORM)).toHaveCount(0);
  });

  test('ada (admin): audit link and edit panel', async ({ page }) => {
    await signIn(page, 'ada', '/roadmap/modules/waf');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('admin');
    await expect(page.locator(AUDIT_NAV_LINK)).toBeVisible();
    await expect(page.locator(EDIT_FORM)).toBeVisible();
  });

  test('oscar (operator): edit panel, no audit link', async ({ page }) => {
    await signIn(page, 'oscar', '/roadmap/modules/waf');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('operator');
    await expect(page.locator(EDIT_FORM)).toBeVisible();
    await expect(page.locator(AUDIT_NAV_LINK)).toHaveCount(0);
  });
});

test.describe('oscar edits a module', () => {
  test('status, owner and notes are saved, shown, exported and in the history', async ({
    page,
    visit,
    jsEnabled,
  }) => {
    // Both projects run against one server and database: each edits its own
    // module, so neither depends on the other having run (or not).
    const slug = jsEnabled ? 'waf' : 'route53-dns';
    const path = `/roadmap/modules/${slug}`;
    // A note unique to this run tells this edit's history rows from earlier ones.
    const note = `e2e ${test.info().project.name} ${randomBytes(4).toString('hex')}`;

    await signIn(page, 'oscar', path);
    const form = page.locator(EDIT_FORM);
    await expect(form).toBeVisible();
    await form.locator('select[name="status[prod]"]').selectOption('in_progress');
    await form.locator('input[name="owner"]').fill('Platform team');
    await form.locator('textarea[name="notes"]').fill(note);

    const prodBadge = page.locator('li[data-env="prod"] [data-status]');
    const save = form.getByRole('button', { name: 'Save changes' });
    if (jsEnabled) {
      const posted = page.waitForResponse((r) => new URL(r.url()).pathname === '/api/roadmap/module/update');
      await save.click();
      expect((await posted).status(), 'server function status').toBe(200);
      await expect(form.getByRole('status')).toHaveText('Saved.');
    } else {
      // A plain form POST; Leptos answers a non-JS ActionForm post with a
      // redirect back to the Referer, i.e. this page.
      const posted = page.waitForResponse(
        (r) => new URL(r.url()).pathname === '/api/roadmap/module/update' && r.request().method() === 'POST',
      );
      const back = page.waitForResponse(
        (r) => r.request().isNavigationRequest() && r.request().method() === 'GET' && new URL(r.url()).pathname === path,
      );
      await save.click();
      const postResponse = await posted;
      expect(postResponse.status(), 'the form POST redirects').toBeGreaterThanOrEqual(300);
      expect(postResponse.status(), 'the form POST redirects').toBeLessThan(400);
      expect((await back).status(), 'back on the module page').toBe(200);
      await expect(page).toHaveURL((url) => url.pathname === path);
    }
    await expect(prodBadge).toHaveAttribute('data-status', 'in_progress');
    await expect(prodBadge).toHaveText('In progress');

    // A fresh load shows the saved values.
    await visit(path);
    await expect(prodBadge).toHaveAttribute('data-status', 'in_progress');
    await expect(page.locator('dt', { hasText: 'Owner' }).locator('xpath=following-sibling::dd')).toHaveText('Platform team');
    await expect(page.locator('body')).toContainText(note);

    // The history names who changed what.
    const history = page.locator('table[data-testid="history"] tbody tr');
    await expect(history.filter({ hasText: 'Oscar Operator' }).filter({ hasText: 'Platform team' }).first()).toBeVisible();
    await expect(history.filter({ hasText: 'Oscar Operator' }).filter({ hasText: note })).toHaveCount(1);
    await expect(history.filter({ hasText: 'Oscar Operator' }).filter({ hasText: /in.progress/i }).first()).toBeVisible();

    // The matrix shows the new prod status.
    await visit('/roadmap');
    await expect(page.locator(`${MATRIX} tr[data-module="${slug}"] td[data-env="prod"] [data-status]`)).toHaveAttribute(
      'data-status',
      'in_progress',
    );

    // And so does the markdown export.
    const exported = await page.request.get('/roadmap/export.md');
    expect(exported.status()).toBe(200);
    expect(await exported.text()).toContain('Platform team');
  });

  test('vera cannot call the update server function', async ({ page }) => {
    await signIn(page, 'vera', '/roadmap/modules/waf');
    const response = await page.request.post('/api/roadmap/module/update', {
      headers: { Origin: new URL(page.url()).origin },
      form: {
        slug: 'waf',
        'status[prod]': 'retired',
        'priority[default]': '',
        phase: 'medium',
        owner: 'Vera was here',
        target_date: '',
        notes: '',
      },
    });
    expect(response.status(), await response.text()).toBe(403);
    const exported = await (await page.request.get('/roadmap/export.md')).text();
    expect(exported).not.toContain('Vera was here');
  });
});
