import { randomBytes } from 'node:crypto';

import { test, expect, expectSignInPage, expectHydration, type ConsoleErrors } from './fixtures';
import type { APIRequestContext, Page } from '@playwright/test';

/**
 * Sign-in through a real OpenID Connect provider (oidc-provider-mock), which
 * scripts/test.sh starts and names in GANTRY_E2E_OIDC_ISSUER. Not skipped when
 * it is missing: a suite that silently leaves SSO untested would look green.
 */
function issuer(): string {
  const value = process.env.GANTRY_E2E_OIDC_ISSUER;
  if (!value) {
    throw new Error(
      'GANTRY_E2E_OIDC_ISSUER is not set: the SSO tests need the OpenID Connect provider that scripts/test.sh ' +
        'starts (oidc-provider-mock) and a Gantry configured with it (GANTRY_AUTH__OIDC__ISSUER_URL, ' +
        'GANTRY_AUTH__OIDC__CLIENT_ID, GANTRY_AUTH__OIDC__CLIENT_SECRET). Run the suite through scripts/test.sh.',
    );
  }
  return value.replace(/\/+$/, '');
}

/** Adds (or replaces) a user at the provider; returns its subject. */
async function addProviderUser(
  request: APIRequestContext,
  prefix: string,
  name: string,
  groups: string[],
): Promise<string> {
  const sub = `${prefix}-${randomBytes(4).toString('hex')}`;
  const response = await request.put(`${issuer()}/users/${encodeURIComponent(sub)}`, {
    data: { sub, email: `${sub}@example.test`, name, groups },
  });
  expect(response.status(), `PUT ${issuer()}/users/${sub}: ${await response.text()}`).toBe(204);
  return sub;
}

/**
 * The provider's pages load Pico CSS from a CDN; answer that with an empty
 * stylesheet so the test needs no Internet and logs no failed request.
 */
async function stubProviderAssets(page: Page): Promise<void> {
  await page.route(/^https:\/\/cdn\.jsdelivr\.net\//, (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: '' }),
  );
}

/** From a protected page: "Sign in with SSO", then authorize `sub` at the provider. */
async function signInWithSso(page: Page, sub: string, path: string): Promise<void> {
  await page.goto(path);
  await expectSignInPage(page, path);
  const sso = page.locator('a[data-testid="sso-sign-in"]');
  await expect(sso).toHaveText('Sign in with SSO');
  await sso.click();

  await expect(page, 'on the provider').toHaveURL((url) => url.origin === new URL(issuer()).origin);
  await page.locator('input[name="sub"]').fill(sub);
  await page.getByRole('button', { name: 'Authorize', exact: true }).click();
}

function allowProviderNoise(consoleErrors: ConsoleErrors): void {
  // The provider's page has no favicon; Chromium may report that.
  consoleErrors.allow(/favicon\.ico/);
}

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
