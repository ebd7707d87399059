/**
 * The library in a real browser (issue 13, item 5): the package, bundled for the browser by
 * esbuild from dist/ through package.json "exports" (a temporary node_modules/prelaunch
 * symlink), is served from 127.0.0.1 with the Debian OVMF and an IGVM sample; headless
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core over CDP — nothing downloads
 * a browser) computes an SNP launch digest and an IGVM digest in the page, and both must equal
 * what the CLI prints for the same inputs. Needs dist/ (`npm run build`); skipped, with one
 * line saying so, when Chromium is absent (PRELAUNCH_CHROMIUM names another binary).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BUNDLE, PROJECT } from '../support/cli.js';

const CHROMIUM = process.env.PRELAUNCH_CHROMIUM ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) console.log(`browser test skipped: ${CHROMIUM} not found (apt-get install chromium)`);

const OVMF = path.join(PROJECT, 'firmware-samples/debian/OVMF.fd');
const IGVM = path.join(PROJECT, 'firmware-samples/igvm/builder/qemu-snp-bldr.igvm');
/** the flags the page's browser runs with: no network beyond 127.0.0.1, no first-run or background work */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--remote-debugging-port=0'];

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, [CLI_BUNDLE, ...args], { cwd: PROJECT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`prelaunch ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return r.stdout.trim().toLowerCase();
}

/** esbuild, platform browser, the page script with `prelaunch` resolved as a consumer's bundler resolves it. */
async function bundlePage(tmp: string): Promise<string> {
  fs.mkdirSync(path.join(tmp, 'node_modules'), { recursive: true });
  fs.symlinkSync(PROJECT, path.join(tmp, 'node_modules', 'prelaunch'), 'dir');
  const r = await build({
    entryPoints: [path.join(PROJECT, 'test/browser/page.ts')],
    nodePaths: [path.join(tmp, 'node_modules')],
    bundle: true, platform: 'browser', format: 'esm', write: false, logLevel: 'silent', target: 'es2022',
  });
  return r.outputFiles[0]!.text;
}

function serve(files: Record<string, { type: string; body: string | Uint8Array }>): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const f = files[req.url ?? ''];
    if (!f) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': f.type, 'cache-control': 'no-store' }).end(f.body);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

/** Chromium with FLAGS and a fresh profile; resolves to its DevTools WebSocket URL. */
function launch(profile: string): Promise<{ proc: ChildProcess; ws: string }> {
  const proc = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`chromium did not start within 30 s:\n${err}`)), 30_000);
    proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, ws: m[1]! });
      }
    });
    proc.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`chromium exited (${code}) before listening:\n${err}`));
    });
  });
}

describe.skipIf(!HAVE_CHROMIUM)('the browser bundle in headless Chromium matches the CLI', () => {
  let tmp = '';
  let server: http.Server | undefined;
  let chromium: ChildProcess | undefined;
  let result: Record<string, string> = {};
  let cliSnp = '';
  let cliIgvm = '';

  beforeAll(async () => {
    expect(fs.existsSync(CLI_BUNDLE), 'run `npm run build` first').toBe(true);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prelaunch-browser-'));
    cliSnp = cli(['measure', '--mode', 'snp', '--vcpus', '4', '--vcpu-type', 'EPYC-v4', '--ovmf', OVMF]);
    cliIgvm = cli(['igvm', 'measure', IGVM]);
    const script = await bundlePage(tmp);
    server = await serve({
      '/': { type: 'text/html', body: '<!doctype html><meta charset="utf-8"><title>prelaunch</title><script type="module" src="/page.js"></script>' },
      '/page.js': { type: 'text/javascript', body: script },
      '/OVMF.fd': { type: 'application/octet-stream', body: fs.readFileSync(OVMF) },
      '/sample.igvm': { type: 'application/octet-stream', body: fs.readFileSync(IGVM) },
    });
    const launched = await launch(path.join(tmp, 'profile'));
    chromium = launched.proc;
    const { chromium: pw } = await import('playwright-core');
    const browser = await pw.connectOverCDP(launched.ws);
    try {
      const context = browser.contexts()[0] ?? (await browser.newContext());
      const page = await context.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await page.waitForFunction(() => (globalThis as { prelaunchResult?: unknown }).prelaunchResult !== undefined, undefined, { timeout: 60_000 });
      result = await page.evaluate(() => (globalThis as unknown as { prelaunchResult: Promise<Record<string, string>> }).prelaunchResult);
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 180_000);

  afterAll(async () => {
    const browserProcess = chromium;
    if (browserProcess && browserProcess.exitCode === null && browserProcess.signalCode === null) {
      // wait for it to exit (it writes its profile until then), but not forever
      const exited = new Promise<void>((resolve) => browserProcess.once('exit', () => resolve()));
      browserProcess.kill();
      await Promise.race([exited, new Promise<void>((resolve) => setTimeout(resolve, 15_000).unref())]);
      if (browserProcess.exitCode === null && browserProcess.signalCode === null) browserProcess.kill('SIGKILL');
    }
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    // Chromium's helper processes may still be writing to the profile a moment after it exits
    for (let attempt = 0; tmp && attempt < 20; attempt++) {
      try {
        fs.rmSync(tmp, { recursive: true, force: true });
        break;
      } catch (e) {
        if (attempt === 19) console.log(`browser test: could not remove ${tmp}: ${String(e)}`);
        else await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }, 60_000);

  it('runs in the page (no error), with the noble backend and no Node process object', () => {
    expect(result.error).toBeUndefined();
    expect(result.backend).toBe('noble');
    expect(result.node).toBe('undefined');
  });
  it('the SNP launch digest of firmware-samples/debian/OVMF.fd equals `prelaunch measure`', () => {
    expect(cliSnp).toMatch(/^[0-9a-f]{96}$/);
    expect(result.snp).toBe(cliSnp);
  });
  it('the IGVM digest of firmware-samples/igvm/builder/qemu-snp-bldr.igvm equals `prelaunch igvm measure`', () => {
    expect(cliIgvm).toMatch(/^[0-9a-f]{96}$/);
    expect(result.igvm).toBe(cliIgvm);
    expect(result.igvmParsed).toBe(cliIgvm);
  });
});
