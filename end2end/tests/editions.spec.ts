import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { test, expect, signIn } from './fixtures';

const SEED = readFileSync(join(__dirname, '..', '..', 'fixtures', 'infrastructure-status.md'), 'utf8');
/** The seed as it stood a month earlier: older than any edition the server has. */
const OCTOBER = SEED.replace('## Current Date: November 2024', '## Current Date: October 2024')
  .replace('- **Last Updated**: November 2024', '- **Last Updated**: October 2024');

test.describe('document editions /roadmap/history', () => {
  test('an operator imports an edition that lists a module twice: one module, a warning naming both lines, and the comparison shows it added', async ({
    page,
    browser,
    jsEnabled,
  }) => {
    const suffix = randomBytes(3).toString('hex').toUpperCase();
    const name = `E2E Beacon ${suffix}`;
    await signIn(page, 'oscar', '/roadmap/history');
    // This edition is today's document (the export) with one new module listed twice: in "ready"
    // and, under a slightly different name, in "future".
    const exported = await (await page.request.get('/roadmap/export.md')).text();
    const edition = exported
      .replace('## 📋 Future Modules to Implement\n', `## 📋 Future Modules to Implement\n\n### ${name}\n**Purpose**: Beacons\n`)
      .replace('## 🚧 Modules Ready but Not Deployed\n', `## 🚧 Modules Ready but Not Deployed\n\n### ${name} Module\n**Priority**: Low\n`);
    expect(edition).toContain(`${name} Module`);
    const lineOf = (line: string) => edition.split('\n').findIndex((l) => l === line) + 1;

    const form = page.locator('[data-testid="import-edition"]');
    await form.locator('input[name="name"]').fill(`beacon-${suffix}.md`);
    await form.locator('textarea[name="document"]').fill(edition);
    await form.getByRole('button', { name: 'Import edition' }).click();
    const outcome = page.locator('[data-testid="import-outcome"]');
    await expect(page).toHaveURL(/\/roadmap\/history\?imported=\d+$/);
    await expect(outcome).toContainText(/Imported as edition #\d+: 1 created/);
    await expect(outcome).toContainText(
      `line ${lineOf(`### ${name}`)}: "${name}" is the same module as "${name} Module" (line ${lineOf(`### ${name} Module`)})`,
    );

    // The editions table lists it; the comparison (the two newest) shows the module added, once.
    const newest = page.locator('[data-testid="editions"] tbody tr').first();
    await expect(newest).toContainText(`import: beacon-${suffix}.md (ui)`);
    await expect(newest).toContainText(`"${name}" is the same module as`);
    await expect(page.locator('[data-testid="diff-added"]')).toContainText(`${name} Module`);
    const matrix = await (await page.request.get('/roadmap/export.md')).text();
    expect(matrix.split(name).length - 1, 'one module, not two').toBe(1);

    // A viewer reads the editions and may compare any two, but has no import form.
    const viewer = await browser.newContext({ baseURL: test.info().project.use.baseURL, javaScriptEnabled: jsEnabled });
    const vera = await viewer.newPage();
    await signIn(vera, 'vera', '/roadmap/history');
    await expect(vera.locator('[data-testid="import-edition"]')).toHaveCount(0);
    const compare = vera.locator('[data-testid="compare"]');
    await compare.locator('select[name="from"]').selectOption('1');
    const newestId = await compare.locator('select[name="to"] option').first().getAttribute('value');
    await compare.locator('select[name="to"]').selectOption(newestId!);
    await compare.getByRole('button', { name: 'Compare' }).click();
    await expect(vera).toHaveURL(new RegExp(`from=1&to=${newestId}`));
    await expect(vera.locator('[data-testid="edition-diff"]')).toContainText(`From edition #1 to edition #${newestId}`);
    await expect(vera.locator('[data-testid="diff-added"]')).toContainText(`${name} Module`);
    await viewer.close();
  });

  test('an edition older than the newest is refused, naming both dates, and nothing changes', async ({ page, consoleErrors }) => {
    // The refused import answers 400, which the browser logs.
    consoleErrors.allow(/status of 400/);
    await signIn(page, 'oscar', '/roadmap/history');
    const before = await (await page.request.get('/roadmap/export.md')).text();
    const rows = await page.locator('[data-testid="editions"] tbody tr').count();
    const form = page.locator('[data-testid="import-edition"]');
    await form.locator('textarea[name="document"]').fill(OCTOBER);
    await form.getByRole('button', { name: 'Import edition' }).click();
    // Hydrated, the page says it by its form; without JavaScript, the server answers a page that says it.
    const error = page.getByRole('alert').filter({ hasText: 'this edition is dated' });
    await expect(error).toContainText('this edition is dated October 2024 (2024-10-01), older than edition #');
    await expect(error).toContainText('nothing imported');
    expect(await (await page.request.get('/roadmap/export.md')).text()).toBe(before);
    await page.goto('/roadmap/history');
    await expect(page.locator('[data-testid="editions"] tbody tr')).toHaveCount(rows);
  });
});
