import { test, expect, signIn } from './fixtures';

test.describe('markdown export', () => {
  // The portal requires sign-in: read the roadmap as Vera, the viewer.
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'vera');
  });

  test('the matrix page links to the export', async ({ page, visit }) => {
    await visit('/roadmap');
    await expect(page.locator('a[href="/roadmap/export.md"]').first()).toBeVisible();
  });

  test('/roadmap/export.md is the status document', async ({ page }) => {
    // page.request shares the browser context's cookies: it is signed in.
    const response = await page.request.get('/roadmap/export.md');
    expect(response.status()).toBe(200);
    const text = await response.text();
    expect(text.startsWith('# Infrastructure Status & Future Modules'), `starts with the title, got: ${text.slice(0, 80)}`).toBe(true);
    expect(text).toContain('## ✅ Currently Implemented Modules');
  });
});
