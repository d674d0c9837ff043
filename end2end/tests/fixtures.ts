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
