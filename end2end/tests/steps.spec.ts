import { randomBytes } from 'node:crypto';

import { test, expect, signIn, sameOriginHeaders } from './fixtures';

test.describe('next steps /roadmap/steps', () => {
  test('an operator adds a step, marks it done and moves it; the export writes it back; a viewer only reads', async ({
    page,
    browser,
    jsEnabled,
  }) => {
    const suffix = randomBytes(3).toString('hex');
    const first = `E2E check ${suffix}`;
    const second = `E2E checked ${suffix}`;
    await signIn(page, 'oscar', '/roadmap/steps');
    const add = page.locator('[data-testid="add-step"]');
    await add.locator('input[name="text"]').fill(first);
    await add.locator('select[name="phase"]').selectOption('medium');
    await add.getByRole('button', { name: 'Add step' }).click();
    const row = page.locator('section[data-phase="medium"] li', { has: page.locator(`input[value="${first}"]`) });
    await expect(row).toHaveCount(1);
    await expect(row).toHaveAttribute('data-completed', 'false');

    // Done, reworded and moved to the short term.
    await row.locator('input[name="text"]').fill(second);
    await row.locator('select[name="phase"]').selectOption('short');
    await row.locator('input[name="completed"]').check();
    await row.getByRole('button', { name: /^Save step/ }).click();
    const moved = page.locator('section[data-phase="short"] li', { has: page.locator(`input[value="${second}"]`) });
    await expect(moved).toHaveCount(1);
    await expect(moved).toHaveAttribute('data-completed', 'true');
    await expect(page.locator('section[data-phase="medium"] li', { has: page.locator(`input[value="${first}"]`) })).toHaveCount(0);

    // The export writes it back in the document's shape, under its new phase.
    const text = await (await page.request.get('/roadmap/export.md')).text();
    const short = text.split('### Short Term')[1]?.split('### ')[0] ?? '';
    expect(short).toContain(`✅ ${second} (COMPLETED)`);
    const medium = text.split('### Medium Term')[1]?.split('### ')[0] ?? '';
    expect(medium).not.toContain(suffix);

    // A viewer (a browser of her own) reads the steps and has no form.
    const viewer = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    const vera = await viewer.newPage();
    await signIn(vera, 'vera', '/roadmap/steps');
    await expect(vera.locator('section[data-phase="short"]')).toContainText(`${second} (completed)`);
    await expect(vera.locator('[data-testid="add-step"]')).toHaveCount(0);
    await expect(vera.locator('input[name="text"]')).toHaveCount(0);
    await viewer.close();
  });

  test('a phase that does not exist or an unknown module is refused, naming it, and nothing changes', async ({ page }) => {
    await signIn(page, 'oscar', '/roadmap/steps');
    const before = await (await page.request.get('/roadmap/export.md')).text();
    const badPhase = await page.request.post('/api/roadmap/steps/add', {
      headers: sameOriginHeaders(),
      form: { phase: 'someday', text: 'Never', module: '' },
    });
    expect(badPhase.status()).toBe(400);
    expect(await badPhase.text()).toContain('is not a phase');
    const badModule = await page.request.post('/api/roadmap/steps/add', {
      headers: sameOriginHeaders(),
      form: { phase: 'short', text: 'Never', module: 'no-such-module' },
    });
    expect(badModule.status()).toBe(400);
    expect(await badModule.text()).toContain('no-such-module');
    const unknown = await page.request.post('/api/roadmap/steps/update', {
      headers: sameOriginHeaders(),
      form: { id: '987654', phase: 'short', text: 'Never', module: '' },
    });
    expect(unknown.status()).toBe(404);
    expect(await (await page.request.get('/roadmap/export.md')).text()).toBe(before);
  });
});
