import { test, expect, signIn } from './fixtures';

test.describe('module detail /roadmap/modules/:slug', () => {
  // The portal requires sign-in: read the roadmap as Vera, the viewer.
  test.beforeEach(async ({ page }) => {
    await signIn(page, 'vera');
  });

  test('networking shows its name, path and features', async ({ page, visit }) => {
    const response = await visit('/roadmap/modules/networking');
    expect(response?.status()).toBe(200);
    await expect(page.locator('h1')).toContainText('Networking Module');
    const body = page.locator('body');
    await expect(body).toContainText('modules/networking/');
    for (const feature of [
      'VPC with public/private subnets across 2 AZs',
      'Internet Gateway and route tables',
      'Security groups for ALB, ECS, RDS, Redis',
    ]) {
      await expect(body, feature).toContainText(feature);
    }
  });

  test('elasticache shows its configuration snippet', async ({ page, visit }) => {
    const response = await visit('/roadmap/modules/elasticache');
    expect(response?.status()).toBe(200);
    await expect(page.locator('pre').filter({ hasText: 'module "redis" {' })).toHaveCount(1);
  });

  test('an unknown module is a 404 page', async ({ page, visit, consoleErrors }) => {
    // Chromium logs the document's own 404 as a console error.
    consoleErrors.allow(/Failed to load resource: the server responded with a status of 404.*\/roadmap\/modules\/does-not-exist/);
    const response = await visit('/roadmap/modules/does-not-exist');
    expect(response?.status()).toBe(404);
    await expect(page.locator('body')).toContainText(/not found/i);
  });
});
