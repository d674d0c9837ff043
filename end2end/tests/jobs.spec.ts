import { randomBytes } from 'node:crypto';

import { test, expect, signIn, expectHydration } from './fixtures';
import type { Page } from '@playwright/test';

const SERVICE = 'backend-booking-api';

/** Previews the plan `query` describes on /jobs/new, confirms it, and returns the new job's id. */
async function confirmPlan(page: Page, query: string, button: string): Promise<number> {
  await page.goto(`/jobs/new?${query}&preview=1`);
  const plan = page.locator('[data-testid="plan"]');
  await expect(plan).toBeVisible();
  await expect(plan.locator('[data-testid="plan-hash"]')).toHaveText(/^[0-9a-f]{64}$/);
  await plan.getByRole('button', { name: button }).click();
  await expect(page).toHaveURL(/\/jobs\/\d+$/);
  return Number(new URL(page.url()).pathname.split('/').pop());
}

/** Waits until the job page shows `state`: by itself when hydrated, through the Refresh link without JavaScript. */
async function waitForState(page: Page, state: string, jsEnabled: boolean): Promise<void> {
  const badge = page.locator(`header [data-state="${state}"]`);
  if (jsEnabled) {
    await expect(badge, 'the page follows the job live').toBeVisible({ timeout: 20_000 });
    return;
  }
  for (let i = 0; i < 40; i++) {
    if ((await badge.count()) > 0) return;
    await page.waitForTimeout(500);
    await page.locator('[data-testid="refresh"]').click();
  }
  await expect(badge).toBeVisible();
}

test.describe('jobs', () => {
  test('a viewer sees the jobs but no button to start or stop one', async ({ page }) => {
    await signIn(page, 'vera', '/jobs');
    await expect(page.locator('h1')).toHaveText('Jobs');
    await expect(page.locator('[data-testid="jobs-table"]')).toBeVisible();
    await expect(page.locator('[data-testid="new-job"]')).toHaveCount(0);
    const first = page.locator('[data-testid="jobs-table"] tbody tr a[href^="/jobs/"]').first();
    if ((await first.count()) > 0) {
      await first.click();
      await expect(page.locator('[data-testid="job-steps"]')).toBeVisible();
      await expect(page.locator('[data-testid="cancel-job"]')).toHaveCount(0);
      await expect(page.locator('[data-testid="retry-job"]')).toHaveCount(0);
      await expect(page.locator('[data-testid="replan-job"]')).toHaveCount(0);
    }
  });

  test('an operator scales dev and watches the job finish, then scales it back', async ({ page, jsEnabled }) => {
    await signIn(page, 'oscar', '/jobs');
    await expect(page.locator('[data-testid="new-job"]')).toBeVisible();
    const up = await confirmPlan(page, `environment=dev&kind=scale&service=${SERVICE}&desired=2`, 'Confirm and run');
    await waitForState(page, 'succeeded', jsEnabled);
    await expect(page.locator('[data-testid="job-steps"] li[data-step="1"]')).toHaveAttribute('data-state', 'succeeded');
    await expect(page.locator('[data-testid="job-log"]')).toContainText('job succeeded');

    const down = await confirmPlan(page, `environment=dev&kind=scale&service=${SERVICE}&desired=1`, 'Confirm and run');
    expect(down).toBeGreaterThan(up);
    await waitForState(page, 'succeeded', jsEnabled);

    await page.goto('/jobs?environment=dev&kind=scale');
    await expect(page.locator(`tr[data-job="${up}"] [data-state="succeeded"]`)).toBeVisible();
    await expect(page.locator(`tr[data-job="${down}"] [data-state="succeeded"]`)).toBeVisible();
  });

  test('a job page reloaded while it follows the job shows it without a page error, and reads it again only when it changed', async ({ page, jsEnabled }) => {
    // Each hydrated load opens the job's event stream, which starts with the job's state (and, once the
    // job is over, "end"). The page reads the job again only when an event says something it does not
    // show, and the parts of it that load data of their own (the approvals panel) survive the job's
    // view being rendered again while they load.
    await signIn(page, 'oscar', '/jobs');
    const flag = `E2E_RELOAD_${randomBytes(3).toString('hex').toUpperCase()}=on`;
    await confirmPlan(page, `environment=dev&kind=configure&set=${encodeURIComponent(flag)}`, 'Confirm and run');
    for (let i = 0; i < 12; i++) {
      await page.reload();
      await page.waitForTimeout(80 * (i % 5));
    }
    await waitForState(page, 'succeeded', jsEnabled);
    if (!jsEnabled) return;
    const reads: string[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/jobs/get')) reads.push(request.url());
    });
    for (let i = 0; i < 4; i++) {
      const events = page.waitForResponse((r) => /\/jobs\/\d+\/events/.test(r.url()));
      await page.reload();
      await expectHydration(page, jsEnabled);
      await expect(page.locator('header [data-state="succeeded"]')).toBeVisible();
      await events;
      // Time for a read the events would cause (none should).
      await page.waitForTimeout(400);
    }
    expect(reads, 'a finished job shown as it is is not read again').toEqual([]);
  });

  test('a production deploy waits for approval and can be cancelled', async ({ page }) => {
    await signIn(page, 'oscar', '/jobs/new');
    // A tag of this run's own: the same plan cannot be confirmed twice while its job is open.
    const image = `registry.example.com/booking:e2e-${randomBytes(4).toString('hex')}`;
    const id = await confirmPlan(
      page,
      `environment=prod&kind=deploy&service=${SERVICE}&image=${encodeURIComponent(image)}`,
      'Request approval',
    );
    await expect(page.locator('header [data-state="awaiting_approval"]')).toBeVisible();
    await expect(page.locator('[data-testid="approvals"]')).toBeVisible();
    await expect(page.locator('[data-testid="job-steps"] li[data-step="1"]')).toContainText('Register a revision');
    await expect(page.locator('[data-testid="job-steps"] li[data-step="1"]')).toHaveAttribute('data-state', 'pending');
    await page.locator('[data-testid="cancel-job"] button').click();
    await page.goto(`/jobs/${id}`);
    await expect(page.locator('header [data-state="cancelled"]')).toBeVisible();
    await expect(page.locator('[data-testid="job-reason"]')).toContainText('cancelled by Oscar Operator');
  });

  test('bad input is refused with its reason and creates no job', async ({ page, consoleErrors }) => {
    // The refused plan answers the page with 400, which the browser logs.
    consoleErrors.allow(/status of 400/);
    await signIn(page, 'oscar', '/jobs/new');
    const response = await page.goto(`/jobs/new?environment=dev&kind=deploy&service=${SERVICE}&image=booking&preview=1`);
    expect(response?.status()).toBe(400);
    await expect(page.locator('[role="alert"]')).toContainText('needs a tag');
    await expect(page.locator('[data-testid="plan"]')).toHaveCount(0);
  });
});

test.describe('previews', () => {
  test('an operator provisions a preview environment and watches it finish live', async ({ page, jsEnabled, consoleErrors }) => {
    // Planning the finished preview again is refused (nothing to do): the page answers 400.
    consoleErrors.allow(/status of 400/);
    await signIn(page, 'oscar', '/jobs/new');
    const name = `preview-e2e-${randomBytes(3).toString('hex')}`;
    // The end-to-end AWS stand-in reports 0 running tasks for every service, so the preview asks for
    // 0 tasks: its rollout is then complete as soon as ECS has the service.
    await page.goto(`/jobs/new?environment=${name}&kind=provision&desired=0&ttl_hours=6&preview=1`);
    const plan = page.locator('[data-testid="plan"]');
    await expect(plan).toBeVisible();
    await expect(plan.locator('[data-testid="creates-environment"]')).toContainText(name);
    await expect(plan).toContainText(`Create service ${name}-api with 0 task(s)`);
    await expect(plan).toContainText('(changed: copied from /backend-booking/dev/DATABASE_URL)');
    await expect(plan, 'secrets never reach the page').not.toContainText('FAKE-dev-password');
    await plan.getByRole('button', { name: 'Confirm and run' }).click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    await waitForState(page, 'succeeded', jsEnabled);
    // Four or five steps: the previews' shared cluster exists once an earlier preview made it.
    const steps = page.locator('[data-testid="job-steps"] li[data-step]');
    expect(await steps.count()).toBeGreaterThanOrEqual(4);
    await expect(steps.and(page.locator(':not([data-state="succeeded"])'))).toHaveCount(0);
    await expect(page.locator('[data-testid="job-log"]')).toContainText('registered arn:aws:ecs:');
    const jobPage = page.url();
    // Planning the same request again finds the preview already as the template says.
    await page.locator('[data-testid="replan-job"]').click();
    await expect(page.locator('[role="alert"]')).toContainText('nothing to provision');
    await page.goto(jobPage);

    await page.goto(`/environments/${name}`);
    await expect(page.locator('h1')).toContainText(name);
    await expect(page.getByText(/expires/i).first()).toBeVisible();
  });
});
