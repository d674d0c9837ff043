// Helpers for signing in through the real OpenID Connect provider process
// (oidc-provider-mock) that scripts/test.sh starts.
import { randomBytes } from 'node:crypto';

import { expect, expectSignInPage, type ConsoleErrors } from './fixtures';
import type { APIRequestContext, Page } from '@playwright/test';

/**
 * Sign-in through a real OpenID Connect provider (oidc-provider-mock), which
 * scripts/test.sh starts and names in GANTRY_E2E_OIDC_ISSUER. Not skipped when
 * it is missing: a suite that silently leaves SSO untested would look green.
 */
export function issuer(): string {
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
export async function addProviderUser(
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
export async function stubProviderAssets(page: Page): Promise<void> {
  await page.route(/^https:\/\/cdn\.jsdelivr\.net\//, (route) =>
    route.fulfill({ status: 200, contentType: 'text/css', body: '' }),
  );
}

/** From a protected page: "Sign in with SSO", then authorize `sub` at the provider. */
export async function signInWithSso(page: Page, sub: string, path: string): Promise<void> {
  await page.goto(path);
  await expectSignInPage(page, path);
  const sso = page.locator('a[data-testid="sso-sign-in"]');
  await expect(sso).toHaveText('Sign in with SSO');
  await sso.click();

  await expect(page, 'on the provider').toHaveURL((url) => url.origin === new URL(issuer()).origin);
  await page.locator('input[name="sub"]').fill(sub);
  await page.getByRole('button', { name: 'Authorize', exact: true }).click();
}

export function allowProviderNoise(consoleErrors: ConsoleErrors): void {
  // The provider's page has no favicon; Chromium may report that.
  consoleErrors.allow(/favicon\.ico/);
}

