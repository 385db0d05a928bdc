// Screenshots every dashboard page: `node --import tsx test/e2e/browser/screenshot-pages.ts
// [baseUrl] [outDir]`. Used for the README and to eyeball empty/error states.
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Page } from "playwright-core";
import { launchChromium } from "./chromium.js";

export const PAGES = [
  { name: "overview", hash: "#/" },
  { name: "training", hash: "#/training" },
  { name: "nodes", hash: "#/nodes" },
  { name: "ledger", hash: "#/ledger" },
  { name: "rewards", hash: "#/rewards" },
] as const;

export async function screenshotPage(
  page: Page,
  baseUrl: string,
  hash: string,
  file: string,
  settleMs = 1500,
): Promise<void> {
  await page.goto(`${baseUrl}/${hash}`);
  await page.waitForSelector(".app-main .page");
  await page.waitForTimeout(settleMs);
  await page.screenshot({ path: file, fullPage: true });
}

async function main(): Promise<void> {
  const baseUrl = process.argv[2] ?? "http://127.0.0.1:5173";
  const outDir = path.resolve(process.argv[3] ?? "test-artifacts/screenshots");
  mkdirSync(outDir, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
    page.on("pageerror", (err) => console.error(`[page error] ${err.message}`));
    for (const p of PAGES) {
      const file = path.join(outDir, `${p.name}.png`);
      await screenshotPage(page, baseUrl, p.hash, file);
      console.log(file);
    }
  } finally {
    await browser.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
