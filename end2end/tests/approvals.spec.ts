import { randomBytes } from 'node:crypto';

import { test, expect, signIn, sameOriginHeaders, expectHydration, environmentForm } from './fixtures';
import { addProviderUser, allowProviderNoise, signInWithSso, stubProviderAssets } from './oidc';
import type { Page } from '@playwright/test';

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

test.describe('production approvals', () => {
  test('an operator requests a production change; the requester cannot approve it, an approver does, and it runs', async ({
    browser,
    page,
    request,
    jsEnabled,
    consoleErrors,
  }) => {
    allowProviderNoise(consoleErrors);
    // The requester's refused approval answers 403, which the browser may log.
    consoleErrors.allow(/status of 403/);
    const suffix = randomBytes(3).toString('hex');
    const env = `e2e-prod-${suffix}`;

    // An admin sets up a production environment of this test's own (its own SSM prefix in the stand-in).
    await signIn(page, 'ada', '/environments');
    const saved = await page.request.post('/api/environments/save', {
      headers: sameOriginHeaders(),
      form: environmentForm({
        name: env,
        production: true,
        cluster: 'backend-booking-prod',
        ssmPrefix: `/e2e-${suffix}/`,
        approvalsRequired: '1',
        approverGroups: 'gantry-approvers',
      }),
    });
    expect(saved.status(), await saved.text()).toBe(200);

    // Two people at the identity provider: the requester is an operator and an approver.
    const requester = await addProviderUser(request, 'req', 'Rita Requester', ['gantry-operators', 'gantry-approvers']);
    const approver = await addProviderUser(request, 'appr', 'Arno Approver', ['gantry-approvers']);

    const rita = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    const ritaPage = await rita.newPage();
    await stubProviderAssets(ritaPage);
    await signInWithSso(ritaPage, requester, '/jobs/new');
    await expect(ritaPage.locator('[data-testid="user-name"]')).toHaveText('Rita Requester');
    await ritaPage.goto(`/jobs/new?environment=${env}&kind=configure&set=${encodeURIComponent('FEATURE_FLAG=on')}&preview=1`);
    const plan = ritaPage.locator('[data-testid="plan"]');
    await expect(plan).toContainText(`/e2e-${suffix}/FEATURE_FLAG`);
    await plan.locator('input[name="reason"]').fill('turn the flag on for the launch');
    await plan.getByRole('button', { name: 'Request approval' }).click();
    await expect(ritaPage).toHaveURL(/\/jobs\/\d+$/);
    const jobUrl = ritaPage.url();
    const id = Number(new URL(jobUrl).pathname.split('/').pop());
    await expect(ritaPage.locator('header [data-state="awaiting_approval"]')).toBeVisible();
    const panel = ritaPage.locator('[data-testid="approvals"]');
    await expect(panel).toContainText('0 of 1 approval(s)');
    await expect(panel).toContainText('turn the flag on for the launch');
    // Her own request: no approve button, the reason instead, and the endpoint refuses her.
    await expect(ritaPage.locator('[data-testid="approve"]')).toHaveCount(0);
    await expect(ritaPage.locator('[data-testid="cannot-decide"]')).toContainText('you requested this change');
    const refused = await ritaPage.request.post('/api/approvals/decide', {
      headers: sameOriginHeaders(),
      form: {
        id: String(id),
        decision: 'approve',
        plan_hash: (await ritaPage.locator('[data-testid="plan-hash"]').textContent()) ?? '',
        reason: 'self-approval',
      },
    });
    expect(refused.status()).toBe(403);
    expect(await refused.text()).toContain('you requested this change');
    await rita.close();

    // The approver finds it in the inbox, approves it with a reason, and watches it run.
    const arno = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    const arnoPage = await arno.newPage();
    await stubProviderAssets(arnoPage);
    await signInWithSso(arnoPage, approver, '/approvals');
    await expectHydration(arnoPage, jsEnabled);
    await expect(arnoPage.locator(`[data-testid="approvals-waiting"] li[data-job="${id}"]`)).toBeVisible();
    await arnoPage.locator(`[data-testid="approvals-waiting"] li[data-job="${id}"] a`).click();
    await expect(arnoPage).toHaveURL(jobUrl);
    await arnoPage.locator('[data-testid="decide"] input[name="reason"]').fill('the plan is what we agreed');
    await arnoPage.locator('[data-testid="approve"]').click();
    // Recorded (the panel reads it again, or the form's redirect shows it): then the job runs.
    await expect(arnoPage.locator('[data-testid="decisions"]')).toContainText('Arno Approver approved');
    await arnoPage.goto(jobUrl);
    await waitForState(arnoPage, 'succeeded', jsEnabled);
    await expect(arnoPage.locator('[data-testid="decisions"]')).toContainText('Arno Approver approved');
    await expect(arnoPage.locator('[data-testid="approval-count"]')).toContainText('1 of 1 approval(s)');

    // The audit trail links the request, the approval and the run.
    await arnoPage.goto(`/audit?target=${encodeURIComponent(`job:${id}`)}`);
    for (const action of ['job.requested', 'approval.approve', 'job.approved', 'job.succeeded']) {
      await expect(arnoPage.locator('main')).toContainText(action);
    }
    await arno.close();
  });

  test('the approval page prices the change and names who may still approve', async ({ browser, page, jsEnabled }) => {
    const suffix = randomBytes(3).toString('hex');
    const env = `e2e-cost-${suffix}`;
    await signIn(page, 'ada', '/environments');
    const saved = await page.request.post('/api/environments/save', {
      headers: sameOriginHeaders(),
      form: environmentForm({
        name: env,
        production: true,
        cluster: 'backend-booking-prod',
        ssmPrefix: `/e2e-${suffix}/`,
        approvalsRequired: '1',
        approverGroups: 'gantry-approvers',
      }),
    });
    expect(saved.status(), await saved.text()).toBe(200);
    // A policy naming a group no role mapping makes approvers is refused, and nothing changes.
    const typo = await page.request.post('/api/environments/save', {
      headers: sameOriginHeaders(),
      form: environmentForm({
        name: env,
        production: true,
        cluster: 'backend-booking-prod',
        ssmPrefix: `/e2e-${suffix}/`,
        approvalsRequired: '1',
        approverGroups: 'gantry-aprovers',
      }),
    });
    expect(typo.status()).toBe(400);
    const refusal = await typo.text();
    expect(refusal).toContain('approver_groups[0]: group');
    expect(refusal).toContain('gantry-aprovers');
    expect(refusal).toContain('is not an approver or admin group (known: gantry-admins, gantry-approvers)');

    // April, an approver, is signed in somewhere.
    const april = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    await signIn(await april.newPage(), 'april', '/approvals');

    // Ada asks to run the demo's production service on more tasks. It is the seeded prod's (an environment of the
    // test's own may not list another's service), whose policy is the same: one approval from gantry-approvers.
    // Each project asks for its own count: a plan whose job is still open is confirmed once.
    const tasks = jsEnabled ? 8 : 9;
    await page.goto(`/jobs/new?environment=prod&kind=scale&service=backend-booking-api&desired=${tasks}&preview=1`);
    const plan = page.locator('[data-testid="plan"]');
    await expect(plan).toContainText(`to ${tasks} task(s)`);
    await plan.locator('input[name="reason"]').fill('launch week traffic');
    await plan.getByRole('button', { name: 'Request approval' }).click();
    await expect(page).toHaveURL(/\/jobs\/\d+$/);
    await expectHydration(page, jsEnabled);
    const delta = page.locator('[data-testid="cost-delta"]');
    // The demo service's tasks are 0.5 vCPU / 1 GB: each costs $18 a month at the example prices.
    await expect(delta).toContainText('Estimated cost of this change: +$');
    await expect(delta.locator('tr[data-service="backend-booking-api"]')).toContainText(`${tasks} × 0.5 vCPU, 1 GB`);
    await expect(page.locator('[data-testid="may-still-approve"]')).toContainText('April Approver');
    await expect(page.locator('[data-testid="may-still-approve"]')).not.toContainText('Ada Admin');
    await april.close();
  });
});
