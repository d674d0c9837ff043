import { test, expect, signIn, sameOriginHeaders } from './fixtures';

const TABLE = 'table[data-testid="audit-table"]';
const ROWS = `${TABLE} tr[data-audit-id]`;
const CSV_HEADER = 'id,at,actor,role,action,target,before,after,request_id,prev_hash,hash,key_id,mac';

test.describe('audit log /audit', () => {
  test('ada sees sign-ins and the seed import', async ({ page, visit }) => {
    await signIn(page, 'ada', '/audit');
    await expect(page.locator('h1')).toHaveText('Audit log');
    await expect(page.locator(TABLE)).toBeVisible();
    // Ada's own sign-in is the newest entry.
    const newest = page.locator(ROWS).first();
    await expect(newest).toHaveAttribute('data-action', 'auth.sign_in');
    await expect(newest).toContainText('Ada Admin <ada>');
    const ids = await page.locator(ROWS).evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-audit-id'))));
    expect(ids.length).toBeGreaterThan(0);
    expect(ids, 'newest first').toEqual([...ids].sort((a, b) => b - a));

    // The seed import is the oldest entry: page back through "Older entries".
    let found = (await page.locator(`${ROWS}[data-action="roadmap.import"]`).count()) > 0;
    for (let pageNo = 0; !found && pageNo < 50; pageNo++) {
      const older = page.locator('a[data-testid="older"]');
      expect(await older.count(), 'an "older" link while roadmap.import is not yet listed').toBe(1);
      const href = await older.getAttribute('href');
      expect(href).toMatch(/^\/audit\?(.*&)?before=\d+$/);
      await visit(href!);
      await expect(page.locator(TABLE)).toBeVisible();
      found = (await page.locator(`${ROWS}[data-action="roadmap.import"]`).count()) > 0;
    }
    expect(found, 'roadmap.import of the seed is listed').toBe(true);
    await expect(page.locator(`${ROWS}[data-action="roadmap.import"]`).first()).toContainText('roadmap');
  });

  test('filtering by action roadmap.*, and the exports', async ({ page, jsEnabled }) => {
    await signIn(page, 'ada', '/audit');
    const filter = page.locator('form').filter({ has: page.locator('input[name="action"]') });
    await filter.locator('input[name="action"]').fill('roadmap.*');
    await filter.getByRole('button', { name: 'Filter' }).click();

    await expect(page).toHaveURL((url) => url.pathname === '/audit' && url.searchParams.get('action') === 'roadmap.*');
    if (jsEnabled) {
      await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
    }
    // (With JavaScript the table is replaced in place: wait until it is.)
    const rowActions = () =>
      page.locator(ROWS).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-action') ?? ''));
    await expect
      .poll(
        async () => {
          const all = await rowActions();
          return { listed: all.length > 0, notRoadmap: all.filter((a) => !a.startsWith('roadmap.')) };
        },
        { message: 'rows are listed, and none is outside roadmap.*' },
      )
      .toEqual({ listed: true, notRoadmap: [] });
    const actions = await rowActions();
    expect(actions.length, 'some roadmap.* rows').toBeGreaterThan(0);
    expect(actions).toContain('roadmap.import');
    await expect(page.locator('input[name="action"]'), 'the filter keeps its value').toHaveValue('roadmap.*');

    // CSV export of the filtered log.
    const csvHref = await page.locator('a[data-testid="export-csv"]').getAttribute('href');
    expect(csvHref).toMatch(/^\/audit\/export\.csv\?(.*&)?action=roadmap\.(\*|%2A)(&|$)/);
    const csv = await page.request.get(csvHref!);
    expect(csv.status(), await csv.text()).toBe(200);
    expect(csv.headers()['content-type']).toContain('text/csv');
    expect(csv.headers()['content-disposition']).toContain('gantry-audit.csv');
    const csvLines = (await csv.text()).split(/\r?\n/);
    expect(csvLines[0], 'first line is the CSV header').toBe(CSV_HEADER);
    expect(csvLines.filter((l) => l !== '').length, 'header and at least one record').toBeGreaterThan(1);

    // JSON Lines export of the filtered log.
    const jsonlHref = await page.locator('a[data-testid="export-jsonl"]').getAttribute('href');
    expect(jsonlHref).toMatch(/^\/audit\/export\.jsonl\?(.*&)?action=roadmap\.(\*|%2A)(&|$)/);
    const jsonl = await page.request.get(jsonlHref!);
    expect(jsonl.status(), await jsonl.text()).toBe(200);
    const lines = (await jsonl.text()).split('\n').filter((l) => l.trim() !== '');
    expect(lines.length).toBeGreaterThan(0);
    const records = lines.map((line, i) => {
      try {
        return JSON.parse(line) as { id: number; action: string; hash?: string };
      } catch (e) {
        throw new Error(`JSON Lines line ${i + 1} does not parse: ${line.slice(0, 200)} (${e})`);
      }
    });
    for (const record of records) {
      expect(record.action, `record ${record.id}`).toMatch(/^roadmap\./);
    }
    expect(records.map((r) => r.action)).toContain('roadmap.import');
    expect(csvLines.filter((l) => l !== '').length - 1, 'CSV and JSON Lines have the same records').toBe(records.length);
  });

  test('vera (viewer) is not allowed', async ({ page, visit, consoleErrors }) => {
    // Chromium logs the page's own 403 as a console error.
    consoleErrors.allow(/Failed to load resource: the server responded with a status of 403/);
    await signIn(page, 'vera');
    const response = await visit('/audit');
    expect(response?.status(), 'the /audit page status').toBe(403);
    await expect(page.getByRole('alert')).toContainText('Not allowed');
    await expect(page.locator(TABLE)).toHaveCount(0);

    const api = await page.request.post('/api/audit/page', {
      headers: sameOriginHeaders(),
      form: { actor: '', action: '', target: '', from: '', to: '' },
    });
    expect(api.status(), await api.text()).toBe(403);

    const csv = await page.request.get('/audit/export.csv');
    expect(csv.status()).toBe(403);
  });
});
