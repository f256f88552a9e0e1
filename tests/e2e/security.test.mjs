// End-to-end: the console and the API documentation work under the Content-Security-Policy the server sends
// (a blocked script, style or frame shows up as a console error, which fails the test).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { launchBrowser, login, startServer, watchErrors } from "./harness.mjs";

describe("security headers in a real browser", { timeout: 120_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer({ demo: false });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("signs in and opens the customers page under the console's CSP", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const response = await page.goto(`${server.baseUrl}/login`);
    const policy = response.headers()["content-security-policy"];
    assert.match(policy, /script-src 'self' https:\/\/js\.stripe\.com;/);
    assert.match(policy, /frame-ancestors 'none'/);
    await login(page, server.baseUrl);
    await page.getByRole("link", { name: "Customers" }).first().click();
    await page.waitForURL(/\/customers/);
    await page.getByRole("heading", { name: /Customers/ }).first().waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("renders the Swagger UI under the documentation's CSP", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const response = await page.goto(`${server.baseUrl}/crm/docs`);
    assert.match(response.headers()["content-security-policy"], /frame-ancestors 'none'/);
    await page.getByText("OmniCRM API").first().waitFor();
    await page.locator(".opblock-tag").first().waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
