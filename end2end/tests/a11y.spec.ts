import { randomBytes } from 'node:crypto';

import AxeBuilder from '@axe-core/playwright';

import { test, expect, signIn, sameOriginHeaders, expectHydration, environmentForm, type DevSubject } from './fixtures';
import type { Browser, Page } from '@playwright/test';

/** WCAG 2.1 A and AA (the rules axe-core tags with these), and axe-core's best practices (landmarks, empty headers). */
const WCAG_21_AA = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Every page each role can open (the others answer "not allowed", checked in roles.spec.ts). */
const PAGES: Record<Exclude<DevSubject, 'nora'>, string[]> = {
  vera: [
    '/roadmap',
    '/roadmap/board',
    '/roadmap/timeline',
    '/roadmap/steps',
    '/roadmap/history',
    '/roadmap/modules/networking',
    '/cost',
    '/environments',
    '/environments/dev',
    '/environments/prod',
    '/jobs',
    '/no-such-page',
  ],
  oscar: ['/roadmap', '/roadmap/steps', '/roadmap/history', '/roadmap/modules/ecs-service', '/jobs', '/jobs/new', '/jobs/new?environment=dev&kind=scale&service=backend-booking-api&desired=2&preview=1'],
  april: ['/roadmap', '/approvals', '/jobs'],
  ada: ['/roadmap', '/roadmap/board', '/audit', '/environments', '/environments/prod', '/approvals', '/cost'],
};

async function violations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).withTags(WCAG_21_AA).analyze();
  return results.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
  );
}

/** `path`'s violations, each prefixed with the path, once the page is what its user sees. */
async function check(page: Page, path: string, jsEnabled: boolean): Promise<string[]> {
  await page.goto(path);
  await expectHydration(page, jsEnabled);
  await expect(page.locator('main')).toBeVisible();
  // Every page has its own title (set once its data is in).
  await expect(page).toHaveTitle(/ · Gantry$/);
  return (await violations(page)).map((v) => `${path}: ${v}`);
}

/**
 * The page to check with. axe-core runs inside the page, so the no-JS project checks in a context with
 * JavaScript on but the app's own scripts and WebAssembly blocked: exactly the server-rendered page a
 * no-JS user gets, never hydrated.
 */
async function pageFor(browser: Browser, page: Page, jsEnabled: boolean): Promise<Page> {
  if (jsEnabled) return page;
  const context = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: true });
  await context.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
  return context.newPage();
}

test.describe('accessibility (axe-core, WCAG 2.1 AA)', () => {
  test('the sign-in page has no violations', async ({ browser, page: given, jsEnabled }) => {
    const page = await pageFor(browser, given, jsEnabled);
    await page.goto('/roadmap');
    await expect(page.locator('button[data-testid="dev-sign-in-vera"]')).toBeVisible();
    expect(await violations(page), 'axe-core on the sign-in page').toEqual([]);
  });

  for (const [subject, paths] of Object.entries(PAGES) as [DevSubject, string[]][]) {
    test(`every page ${subject} can open has no violations`, async ({ browser, page: given, jsEnabled, consoleErrors }) => {
      test.setTimeout(120_000);
      // The not-found page answers 404, which the browser may log.
      consoleErrors.allow(/status of 404/);
      const page = await pageFor(browser, given, jsEnabled);
      await signIn(page, subject, paths[0]);
      const found: string[] = [];
      for (const path of paths) {
        found.push(...(await check(page, path, jsEnabled)));
      }
      expect(found, `axe-core on the pages ${subject} can open`).toEqual([]);
    });
  }

  test('a job page, its plan and its log have no violations, for each role', async ({ page: given, browser, jsEnabled }) => {
    test.setTimeout(120_000);
    const page = await pageFor(browser, given, jsEnabled);
    // An environment of this test's own (its own SSM prefix in the stand-in), made by an admin.
    const suffix = randomBytes(3).toString('hex');
    const env = `a11y-${suffix}`;
    const admin = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    const adminPage = await admin.newPage();
    await signIn(adminPage, 'ada', '/environments');
    const saved = await adminPage.request.post('/api/environments/save', {
      headers: sameOriginHeaders(),
      form: environmentForm({
        name: env,
        production: false,
        cluster: 'backend-booking-dev',
        ssmPrefix: `/a11y-${suffix}/`,
        approvalsRequired: '0',
        approverGroups: '',
      }),
    });
    expect(saved.status(), await saved.text()).toBe(200);
    await admin.close();
    // Oscar runs a configure there.
    await signIn(page, 'oscar', '/jobs');
    const name = `/a11y-${suffix}/FEATURE_FLAG`;
    const form = {
      environment: env,
      kind: 'configure',
      service: '',
      desired: '',
      image: '',
      revision: '',
      set: `${name}=on`,
    };
    const planned = await page.request.post('/api/jobs/plan', { headers: sameOriginHeaders(), form });
    expect(planned.status(), await planned.text()).toBe(200);
    const { plan_hash } = (await planned.json()) as { plan_hash: string };
    const confirmed = await page.request.post('/api/jobs/confirm', {
      headers: { ...sameOriginHeaders(), accept: 'application/json' },
      form: { ...form, plan_hash },
    });
    expect(confirmed.status(), await confirmed.text()).toBe(200);
    const id = Number(await confirmed.text());
    await page.goto(`/jobs/${id}`);
    await expect(page.locator('header [data-state="succeeded"]')).toBeVisible({ timeout: 20_000 }).catch(async () => {
      await page.reload();
      await expect(page.locator('header [data-state="succeeded"]')).toBeVisible({ timeout: 20_000 });
    });
    const found = await check(page, `/jobs/${id}`, jsEnabled);
    for (const subject of ['vera', 'ada'] as DevSubject[]) {
      const context = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: true });
      if (!jsEnabled) await context.route(/\/pkg\/.*\.(js|wasm)$/, (route) => route.abort());
      const other = await context.newPage();
      await signIn(other, subject, `/jobs/${id}`);
      found.push(...(await violations(other)).map((v) => `as ${subject}: ${v}`));
      await context.close();
    }
    expect(found, `axe-core on /jobs/${id}`).toEqual([]);
  });
});
