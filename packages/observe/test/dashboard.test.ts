import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { Actor, Node } from '@foundation/runtime';
import { Supervisor } from '@foundation/supervisor';
import { Observer } from '../src/index.js';

class Alpha extends Actor<string, string, void> {}
class Beta extends Actor<string, string, void> {}
class Leaf extends Actor<string, string, void> {}
/** A worker with a child of its own: a second level in the tree. */
class Gamma extends Actor<string, string, void> {
  override init(): void {
    this.spawnLink(Leaf, undefined);
  }
}

/** Debian's chromium, found on the PATH (CI installs it; playwright never downloads a browser). */
function chromiumPath(): string {
  return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim();
}

let browser: Browser;
let node: Node;
let obs: Observer;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: chromiumPath(), args: ['--no-sandbox', '--headless=new'] });
  node = await Node.start({ name: 'dash' });
  obs = await Observer.start(node, { http: { refreshMs: 100 } });
  await Supervisor.start(node, {
    children: [
      { id: 'alpha', start: [Alpha] },
      { id: 'beta', start: [Beta] },
      { id: 'gamma', start: [Gamma] },
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await obs?.stop();
  await node?.stop();
});

/** The drawn tree as data: each process box's label and position (the pid is not drawn). */
async function treeShape(page: Page): Promise<string[]> {
  return page.$$eval('#tree-dash g.proc', (gs) =>
    gs.map((g) => {
      const r = g.querySelector('rect')!;
      return `${g.getAttribute('data-label')}@${r.getAttribute('x')},${r.getAttribute('y')}`;
    }),
  );
}

/** Fraction of pixels that differ (by more than a little, per channel) between two PNG screenshots, decoded by the browser itself. */
async function pixelDifference(page: Page, a: Buffer, b: Buffer): Promise<number> {
  return page.evaluate(
    async ([a64, b64]) => {
      const load = (src: string) =>
        new Promise<HTMLImageElement>((resolve, reject) => {
          const img = new Image();
          img.onload = () => resolve(img);
          img.onerror = reject;
          img.src = `data:image/png;base64,${src}`;
        });
      const [ia, ib] = await Promise.all([load(a64), load(b64)]);
      if (ia.width !== ib.width || ia.height !== ib.height) return 1;
      const data = (img: HTMLImageElement) => {
        const c = document.createElement('canvas');
        c.width = img.width;
        c.height = img.height;
        const ctx = c.getContext('2d')!;
        ctx.drawImage(img, 0, 0);
        return ctx.getImageData(0, 0, c.width, c.height).data;
      };
      const da = data(ia);
      const db = data(ib);
      let differ = 0;
      for (let i = 0; i < da.length; i += 4) {
        if (Math.abs(da[i]! - db[i]!) + Math.abs(da[i + 1]! - db[i + 1]!) + Math.abs(da[i + 2]! - db[i + 2]!) > 48) differ++;
      }
      return differ / (da.length / 4);
    },
    [a.toString('base64'), b.toString('base64')] as const,
  );
}

describe('dashboard', () => {
  it('shows a crash and its restart: the process is killed from the page, the tree shows the new pid, drawn as before', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(10_000);
    await page.goto(obs.url);
    const alpha = page.locator('#tree-dash g.proc[data-label="Alpha"]');
    await alpha.waitFor();
    await page.locator('#tree-dash g.proc[data-label="Leaf"]').waitFor();
    await page.locator('#cluster g.node[data-node="dash"]').waitFor();
    const oldPid = (await alpha.getAttribute('data-pid'))!;
    const shapeBefore = await treeShape(page);
    // Supervisor, its three children, and Gamma's own child: two levels below the supervisor.
    expect(shapeBefore.map((s) => s.split('@')[0])).toEqual(expect.arrayContaining(['Supervisor', 'Alpha', 'Beta', 'Gamma', 'Leaf']));
    const before = await page.locator('#tree-dash').screenshot();

    await alpha.click();
    await page.locator('#info-list dd[data-field="pid"]', { hasText: oldPid }).waitFor();
    expect(await page.locator('#info-list dd[data-field="class"]').textContent()).toBe('Alpha');
    await page.locator('#kill').click();

    // The crash and the restart appear; the tree's Alpha is a new process.
    await page.locator(`#events li.crash[data-pid="${oldPid}"]`).waitFor();
    await page.locator('#events li.restart').first().waitFor();
    await page.waitForFunction((old) => {
      const g = document.querySelector('#tree-dash g.proc[data-label="Alpha"]');
      return g !== null && g.getAttribute('data-pid') !== old;
    }, oldPid);
    const newPid = (await alpha.getAttribute('data-pid'))!;
    expect(await page.locator(`#events li.restart[data-pid="${newPid}"]`).count()).toBe(1);
    expect(await page.locator('#events li.crash').first().textContent()).toContain('killed');

    // The same tree as before the crash, in structure and in pixels (a small tolerance for anti-aliasing).
    expect(await treeShape(page)).toEqual(shapeBefore);
    const after = await page.locator('#tree-dash').screenshot();
    expect(await pixelDifference(page, before, after)).toBeLessThan(0.01);
    // And the comparison does see a different tree: the cluster drawing is not the tree.
    const other = await page.locator('#cluster').screenshot();
    expect(await pixelDifference(page, before, other)).toBeGreaterThan(0.01);
    await page.close();
  });
});
