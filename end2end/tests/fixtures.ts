import { test as base, expect, type Page, type Response } from '@playwright/test';

/** Console errors and uncaught exceptions seen by the page during one test. */
export class ConsoleErrors {
  readonly messages: string[] = [];
  private readonly allowed: RegExp[] = [];

  /** Tolerates messages matching `pattern` (e.g. the 404 a not-found page logs). */
  allow(pattern: RegExp): void {
    this.allowed.push(pattern);
  }

  unexpected(): string[] {
    return this.messages.filter((m) => !this.allowed.some((re) => re.test(m)));
  }
}

type Fixtures = {
  /** True in the `hydrated` project, false in `no-js`. */
  jsEnabled: boolean;
  consoleErrors: ConsoleErrors;
  /**
   * Navigates to `path`. With JavaScript, waits until the app has hydrated
   * (`<body data-hydrated="true">`); without, checks that it never did.
   */
  visit: (path: string) => Promise<Response | null>;
};

export const test = base.extend<Fixtures>({
  jsEnabled: async ({ javaScriptEnabled }, use) => {
    await use(javaScriptEnabled !== false);
  },

  consoleErrors: [
    async ({ page, jsEnabled }, use) => {
      const errors = new ConsoleErrors();
      page.on('console', (msg) => {
        if (msg.type() === 'error') {
          const where = msg.location().url;
          errors.messages.push(`console.error: ${msg.text()}${where ? ` (${where})` : ''}`);
        }
      });
      page.on('pageerror', (err) => {
        errors.messages.push(`pageerror: ${err.message}`);
      });
      await use(errors);
      if (jsEnabled) {
        expect(errors.unexpected(), 'console errors / uncaught exceptions in the page').toEqual([]);
      }
    },
    { auto: true },
  ],

  visit: async ({ page, jsEnabled }, use) => {
    await use(async (path: string) => {
      const response = await page.goto(path);
      await expectHydration(page, jsEnabled);
      return response;
    });
  },
});

export async function expectHydration(page: Page, jsEnabled: boolean): Promise<void> {
  if (jsEnabled) {
    await page.waitForSelector('body[data-hydrated="true"]', { state: 'attached', timeout: 20_000 });
  } else {
    await expect(page.locator('body[data-hydrated]')).toHaveCount(0);
  }
}

export { expect };

/** The seed (fixtures/infrastructure-status.md) has 23 modules. */
export const SEED_MODULE_COUNT = 23;

export const STATUSES = ['deployed', 'ready', 'planned', 'in_progress', 'retired'] as const;

// --- Signing in ---------------------------------------------------------------

/** The development sign-in users of config/dev.toml. */
export const DEV_USERS = {
  vera: { name: 'Vera Viewer', roles: 'viewer' },
  oscar: { name: 'Oscar Operator', roles: 'operator' },
  april: { name: 'April Approver', roles: 'approver' },
  ada: { name: 'Ada Admin', roles: 'admin' },
  nora: { name: 'Nora Nogroup', roles: '' },
} as const;
export type DevSubject = keyof typeof DEV_USERS;

/** Whether the running test's project has JavaScript (only valid inside a test). */
function projectHasJs(): boolean {
  return test.info().project.use.javaScriptEnabled !== false;
}

/** `scheme://host:port` of the Gantry under test (only valid inside a test). */
export function appOrigin(): string {
  const baseURL = test.info().project.use.baseURL;
  if (!baseURL) throw new Error('playwright.config.ts sets no baseURL');
  return new URL(baseURL).origin;
}

/**
 * Headers for a state-changing request made outside the browser (Playwright's
 * API client): the server refuses a POST that carries neither
 * `Sec-Fetch-Site: same-origin` nor Gantry's own `Origin` (CSRF protection).
 */
export function sameOriginHeaders(): Record<string, string> {
  return { Origin: appOrigin() };
}

/**
 * Expects `page` to show the sign-in page, reached by a redirect from `from`
 * (so `return_to` names `from`).
 */
export async function expectSignInPage(page: Page, from?: string): Promise<void> {
  await expect(page).toHaveURL((url) => url.pathname === '/auth/sign-in');
  if (from !== undefined) {
    expect(new URL(page.url()).searchParams.get('return_to'), 'return_to names the page asked for').toBe(from);
  }
  await expect(page.locator('h1')).toHaveText('Sign in');
}

/**
 * Signs in through the real UI, the way a person would: opens `path` (a
 * protected page), is redirected to `/auth/sign-in?return_to=…`, presses the
 * development sign-in button of `subject` (a plain form POST to /auth/dev, so
 * it works without JavaScript) and lands back on `path`. With JavaScript it
 * then waits for hydration. The session cookie lives in the page's browser
 * context, so `page.request` (or `page.context().request`) is signed in too.
 */
export async function signIn(page: Page, subject: DevSubject, path = '/roadmap'): Promise<Response | null> {
  await page.goto(path);
  await expectSignInPage(page, path);
  const landed = page.waitForResponse(
    (r) => r.request().isNavigationRequest() && r.request().method() === 'GET' && pathAndQuery(r.url()) === path,
  );
  await page.locator(`button[data-testid="dev-sign-in-${subject}"]`).click();
  const response = await landed;
  await expect(page, `signed in as ${subject}, back on ${path}`).toHaveURL((url) => url.pathname + url.search === path);
  await expectHydration(page, projectHasJs());
  await expect(page.locator('[data-testid="user-name"]')).toHaveText(DEV_USERS[subject].name);
  return response;
}

function pathAndQuery(href: string): string {
  const url = new URL(href);
  return url.pathname + url.search;
}

// --- Page furniture -------------------------------------------------------------

/** The sidebar link to the audit log (approvers and admins only). */
export const AUDIT_NAV_LINK = 'nav[aria-label="Areas"] a[href="/audit"]';
/** The edit panel of a module's page (operators and admins only). */
export const EDIT_FORM = 'form[data-testid="edit-module"]';

/**
 * The admin environment form's fields (`/api/environments/save`) for an environment of a test's own: the demo
 * account's region and account, no role, database, cost tag or budget; the given cluster and SSM prefix, a service of
 * its own (`<name>-api`: Gantry refuses an environment that lists another's service) and the approval policy.
 */
export function environmentForm(env: {
  name: string;
  production: boolean;
  cluster: string;
  ssmPrefix: string;
  approvalsRequired: string;
  approverGroups: string;
}): Record<string, string> {
  return {
    'form[name]': env.name,
    ...(env.production ? { 'form[production]': 'on' } : {}),
    'form[region]': 'us-east-1',
    'form[account_id]': '123456789012',
    'form[role_arn]': '',
    'form[cluster]': env.cluster,
    'form[database]': '',
    'form[services]': `${env.name}-api django`,
    'form[ssm_prefix]': env.ssmPrefix,
    'form[cost_tag_key]': '',
    'form[cost_tag_value]': '',
    'form[monthly_budget_usd]': '',
    'form[approvals_required]': env.approvalsRequired,
    'form[approver_groups]': env.approverGroups,
    'form[approval_distinct_groups]': '',
    'form[approval_expiry_hours]': '24',
    'form[ttl_hours]': '',
  };
}
