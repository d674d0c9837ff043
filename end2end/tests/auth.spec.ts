import {
  test,
  expect,
  signIn,
  expectSignInPage,
  sameOriginHeaders,
  DEV_USERS,
  AUDIT_NAV_LINK,
} from './fixtures';

const PROTECTED_PAGES = ['/roadmap', '/roadmap/board', '/roadmap/modules/waf', '/audit'];

test.describe('signed out', () => {
  for (const path of PROTECTED_PAGES) {
    test(`${path} redirects to the sign-in page`, async ({ page }) => {
      const response = await page.goto(path);
      await expectSignInPage(page, path);
      expect(response?.status(), 'the sign-in page itself').toBe(200);
      const redirect = await response?.request().redirectedFrom()?.response();
      expect(redirect, `${path} answered a redirect`).toBeTruthy();
      expect(redirect!.status(), `${path} redirect status`).toBeGreaterThanOrEqual(300);
      expect(redirect!.status(), `${path} redirect status`).toBeLessThan(400);
      // Without a session the sign-in page offers the development users.
      for (const subject of Object.keys(DEV_USERS)) {
        await expect(page.locator(`button[data-testid="dev-sign-in-${subject}"]`), subject).toHaveCount(1);
      }
    });
  }

  test('server functions and the export answer 401', async ({ request }) => {
    // Same-origin headers, so that the request passes the CSRF check and
    // reaches the session check (which is what this test is about).
    const matrix = await request.post('/api/roadmap/matrix', { headers: sameOriginHeaders() });
    expect(matrix.status(), await matrix.text()).toBe(401);
    expect(await matrix.json()).toEqual({ error: 'sign in required' });

    const exported = await request.get('/roadmap/export.md');
    expect(exported.status()).toBe(401);
  });

  test('a POST from another origin is refused', async ({ request }) => {
    const noOrigin = await request.post('/api/roadmap/matrix');
    expect(noOrigin.status(), await noOrigin.text()).toBe(403);
    const foreign = await request.post('/api/roadmap/matrix', { headers: { Origin: 'http://evil.example' } });
    expect(foreign.status(), await foreign.text()).toBe(403);
    expect(await foreign.text()).toContain('cross-site request refused');
  });
});

test.describe('signing in and out', () => {
  test('the user panel shows the name and role', async ({ page }) => {
    await signIn(page, 'vera', '/roadmap/board');
    await expect(page.locator('section[data-phase]').first()).toBeVisible();
    await expect(page.locator('[data-testid="user-name"]')).toHaveText('Vera Viewer');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('viewer');
    await expect(page.locator('[data-testid="sign-out"]')).toBeVisible();
    // Signed in, the sign-in page sends the user on.
    await page.goto('/auth/sign-in?return_to=/roadmap');
    await expect(page).toHaveURL((url) => url.pathname === '/roadmap');
  });

  test('sign-out returns to the sign-in page and ends the session', async ({ page, visit }) => {
    await signIn(page, 'ada');
    await expect(page.locator('[data-testid="user-roles"]')).toHaveText('admin');
    await page.locator('[data-testid="sign-out"]').click();
    await expectSignInPage(page);
    expect((await page.context().cookies()).map((c) => c.name), 'session cookie removed').not.toContain('gantry_session');

    await page.goto('/roadmap');
    await expectSignInPage(page, '/roadmap');
    const api = await page.request.post('/api/roadmap/matrix', { headers: sameOriginHeaders() });
    expect(api.status()).toBe(401);

    // Signing in again works.
    await page.locator('button[data-testid="dev-sign-in-ada"]').click();
    await expect(page).toHaveURL((url) => url.pathname === '/roadmap');
    await visit('/roadmap');
    await expect(page.locator('[data-testid="user-name"]')).toHaveText('Ada Admin');
  });

  test('a user whose groups grant no role is refused', async ({ page, consoleErrors }) => {
    // Chromium logs the refusal page's own 403 as a console error.
    consoleErrors.allow(/Failed to load resource: the server responded with a status of 403/);
    await page.goto('/roadmap');
    await expectSignInPage(page, '/roadmap');
    const refusal = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/dev');
    await page.locator('button[data-testid="dev-sign-in-nora"]').click();
    expect((await refusal).status()).toBe(403);
    await expect(page.locator('h1')).toHaveText('No access to Gantry');
    await expect(page.getByRole('alert')).toContainText('none of your groups grants a Gantry role');
    expect((await page.context().cookies()).map((c) => c.name), 'no session cookie').not.toContain('gantry_session');

    // Still signed out.
    await page.goto('/roadmap');
    await expectSignInPage(page, '/roadmap');
  });
});

test.describe('security headers', () => {
  test('/roadmap has a nonce CSP and hydrates under it', async ({ page, jsEnabled }) => {
    await signIn(page, 'vera');
    const response = await page.goto('/roadmap');
    expect(response?.status()).toBe(200);
    const headers = response!.headers();

    const csp = headers['content-security-policy'];
    expect(csp, 'content-security-policy header').toBeTruthy();
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim().split(/\s+/))
        .filter((parts) => parts[0])
        .map((parts) => [parts[0], parts.slice(1)] as const),
    );
    const scriptSrc = directives.get('script-src') ?? [];
    const nonces = scriptSrc.filter((s) => /^'nonce-[A-Za-z0-9+/_=-]+'$/.test(s));
    expect(nonces, `script-src has one nonce source: ${csp}`).toHaveLength(1);
    expect(scriptSrc, "script-src allows no 'unsafe-inline'").not.toContain("'unsafe-inline'");
    expect(directives.get('frame-ancestors'), csp).toEqual(["'none'"]);
    expect(headers['x-content-type-options']).toBe('nosniff');

    // Every script in the document carries this response's nonce.
    const nonce = nonces[0].slice("'nonce-".length, -1);
    const html = await response!.text();
    const scriptTags = html.match(/<script\b[^>]*>/g) ?? [];
    expect(scriptTags.length, 'the page has hydration scripts').toBeGreaterThan(0);
    for (const tag of scriptTags) {
      expect(tag, 'script carries the CSP nonce').toContain(`nonce="${nonce}"`);
    }

    // A fresh nonce per response.
    const again = await page.request.get('/roadmap');
    expect(again.headers()['content-security-policy']).not.toBe(csp);

    if (jsEnabled) {
      // The WebAssembly ran under that policy: the nonce reached Leptos'
      // scripts. (The consoleErrors fixture also fails the test on any CSP
      // violation report.)
      await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached', timeout: 20_000 });
    } else {
      await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
    }
    await expect(page.locator(AUDIT_NAV_LINK), 'vera has no audit link').toHaveCount(0);
  });
});
