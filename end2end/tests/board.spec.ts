import { test, expect, signIn } from './fixtures';

const PHASES = ['immediate', 'short', 'medium', 'long', 'unscheduled'] as const;

test.describe('roadmap board /roadmap/board', () => {
  // The portal requires sign-in: read the roadmap as Vera, the viewer.
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'vera');
  });

  test('has one section per phase', async ({ page, visit }) => {
    const response = await visit('/roadmap/board');
    expect(response?.status()).toBe(200);
    for (const phase of PHASES) {
      await expect(page.locator(`section[data-phase="${phase}"]`), `section ${phase}`).toHaveCount(1);
    }
  });

  test('places the seeded modules in their phases', async ({ page, visit }) => {
    await visit('/roadmap/board');
    const expected: Array<[string, (typeof PHASES)[number]]> = [
      ['elasticache', 'immediate'],
      ['s3', 'immediate'],
      ['cloudfront-cdn', 'short'],
      ['waf', 'medium'],
      ['cost-optimization', 'long'],
    ];
    for (const [slug, phase] of expected) {
      const card = page.locator(`section[data-phase="${phase}"] [data-module="${slug}"]`);
      await expect(card, `${slug} in ${phase}`).toHaveCount(1);
      await expect(card, `${slug} card is visible`).toBeVisible();
      // A module sits in one phase only.
      await expect(page.locator(`section[data-phase] [data-module="${slug}"]`), `${slug} only once`).toHaveCount(1);
    }
  });
});
