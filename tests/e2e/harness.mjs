// Browser test harness: starts tests/e2e/server.py (real Flask app, fresh SQLite, demo data, CGRateS simulator),
// drives Debian's Chromium through playwright-core (never a downloaded browser) and saves screenshots under
// OmniCRM-UI/test-artifacts/.
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, "..", "..");
export const UI_DIR = join(ROOT, "OmniCRM-UI");
export const ARTIFACTS = join(UI_DIR, "test-artifacts");
const require = createRequire(join(UI_DIR, "package.json"));
const { chromium } = require("playwright-core");

export const ADMIN = { email: "admin@example.com", password: "Admin123!" };

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, "/usr/lib/chromium/chromium", "/usr/bin/chromium"].filter(Boolean);

export function chromiumPath() {
  const found = CHROMIUM_CANDIDATES.find((path) => existsSync(path));
  if (!found) throw new Error("Chromium not found: run tests/e2e/run.sh (installs Debian's chromium) or set CHROMIUM_PATH");
  return found;
}

function python() {
  const venv = join(ROOT, ".venv", "bin", "python");
  return process.env.OMNICRM_PYTHON ?? (existsSync(venv) ? venv : "python3");
}

/** Start the server and resolve with { baseUrl, stop } once it prints READY. */
export function startServer({ demo = process.env.OMNICRM_E2E_DEMO !== "0", localstripe = false } = {}) {
  if (!existsSync(join(UI_DIR, "dist", "index.html"))) {
    throw new Error("OmniCRM-UI/dist is missing: run `npm run build` in OmniCRM-UI first");
  }
  const args = [join(here, "server.py"), ...(demo ? [] : ["--no-demo"]), ...(localstripe ? ["--localstripe"] : [])];
  const child = spawn(python(), args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGTERM");
      reject(new Error(`server did not start within 60 s:\n${log}`));
    }, 60_000);
    const onData = (chunk) => {
      log += chunk.toString();
      const match = log.match(/READY (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolvePromise({
          baseUrl: match[1],
          log: () => log,
          stop: () => new Promise((done) => {
            if (child.exitCode !== null) return done();
            child.once("exit", () => done());
            child.kill("SIGTERM");
          }),
        });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", (chunk) => { log += chunk.toString(); });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before it was ready:\n${log}`));
    });
  });
}

/** Headless Chromium with a throw-away profile and no traffic to anything but the test server. */
export async function launchBrowser() {
  const profile = mkdtempSync(join(tmpdir(), "omnicrm-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath(),
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: [
      "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ],
  });
  context.setDefaultTimeout(15_000);
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Fail the test on any page error or console error (a blank screen usually starts as one). */
export function watchErrors(page) {
  const errors = [];
  page.on("pageerror", (error) => errors.push(`pageerror: ${error.message}`));
  page.on("console", (msg) => {
    if (msg.type() === "error" && !/status of 4\d\d/.test(msg.text())) errors.push(`console: ${msg.text()}`);
  });
  page.on("request", (request) => {
    const url = request.url();
    if (!url.startsWith("http://127.0.0.1") && !url.startsWith("data:") && !url.startsWith("blob:")) {
      errors.push(`external request: ${url}`);
    }
  });
  return errors;
}

export async function login(page, baseUrl, { email, password } = ADMIN) {
  await page.goto(`${baseUrl}/login`);
  await page.getByLabel(/^Email address/).fill(email);
  await page.getByLabel(/^Password/).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

function base32Bytes(text) {
  let bits = "";
  for (const char of text.replace(/=+$/, "").toUpperCase()) bits += BASE32.indexOf(char).toString(2).padStart(5, "0");
  const bytes = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30 s steps, 6 digits) for time step `step`, as an authenticator app computes it. */
export function totp(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac("sha1", base32Bytes(secret)).update(counter).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  return String((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, "0");
}

export const currentStep = () => Math.floor(Date.now() / 30_000);

/** A JSON API call from the test itself (setup and checks beside what the page shows); throws on a non-2xx. */
export async function call(baseUrl, path, { method = "GET", body, token } = {}) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { "Content-Type": "application/json", ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return data;
}

/** Remaining data in GB as the portal's DATA bar shows it ("15 GB" -> 15). */
export async function dataGb(scope) {
  const text = await scope.getByTestId("portal-balance-DATA-remaining").first().innerText();
  const match = /([\d.]+)\s*(GB|MB|TB)/i.exec(text);
  if (!match) throw new Error(`not a data amount: ${text}`);
  const factor = { GB: 1, MB: 1 / 1024, TB: 1024 }[match[2].toUpperCase()];
  return Number(match[1]) * factor;
}
