import { test, expect, expectSignInPage, expectHydration } from './fixtures';
import { addProviderUser, allowProviderNoise, issuer, signInWithSso, stubProviderAssets } from './oidc';

test.describe('SSO through OpenID Connect', () => {
  test('an operator signs in at the provider and lands back signed in', async ({
    page,
    request,
    jsEnabled,
    consoleErrors,
  }) => {
    allowProviderNoise(consoleErrors);
    const sub = await addProviderUser(request, 'sso-oscar', 'SSO Oscar', ['gantry-operators']);
    await stubProviderAssets(page);

    await signInWithSso(page, sub, '/roadmap/board');

    await expect(page, 'back on the page asked for').toHaveURL(
      (url) => url.origin !== new URL(issuer()).origin && url.pathname === '/roadmap/board',
    );
    await expectHydration(page, jsEnabled);
    await expect(page.locator('[data-testid="user-name"]')).toHaveText('SSO Oscar');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('operator');
    await expect(page.locator('section[data-phase]').first()).toBeVisible();
    const cookies = (await page.context().cookies()).map((c) => c.name);
    expect(cookies, 'session cookie set').toContain('gantry_session');
    expect(cookies, 'flow cookie removed after the callback').not.toContain('gantry_flow');

    // The operator may edit: the edit panel is there.
    await page.goto('/roadmap/modules/waf');
    await expectHydration(page, jsEnabled);
    await expect(page.locator('form[data-testid="edit-module"]')).toHaveCount(1);
  });

  test('a provider user without a Gantry group is refused', async ({ page, request, consoleErrors }) => {
    allowProviderNoise(consoleErrors);
    consoleErrors.allow(/Failed to load resource: the server responded with a status of 403/);
    const sub = await addProviderUser(request, 'sso-sam', 'SSO Sam', ['sales']);
    await stubProviderAssets(page);

    const callback = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/callback');
    await signInWithSso(page, sub, '/roadmap');
    expect((await callback).status()).toBe(403);
    await expect(page.locator('h1')).toHaveText('No access to Gantry');
    await expect(page.getByRole('alert')).toContainText('SSO Sam');
    expect((await page.context().cookies()).map((c) => c.name), 'no session cookie').not.toContain('gantry_session');

    await page.goto('/roadmap');
    await expectSignInPage(page, '/roadmap');
  });
});
