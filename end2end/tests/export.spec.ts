import { test, expect } from './fixtures';

test.describe('markdown export', () => {
  test('the matrix page links to the export', async ({ page, visit }) => {
    await visit('/roadmap');
    await expect(page.locator('a[href="/roadmap/export.md"]').first()).toBeVisible();
  });

  test('/roadmap/export.md is the status document', async ({ request }) => {
    const response = await request.get('/roadmap/export.md');
    expect(response.status()).toBe(200);
    const text = await response.text();
    expect(text.startsWith('# Infrastructure Status & Future Modules'), `starts with the title, got: ${text.slice(0, 80)}`).toBe(true);
    expect(text).toContain('## ✅ Currently Implemented Modules');
  });
});
