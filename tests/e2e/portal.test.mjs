// End-to-end: the self-care portal (issue #17) against the real server and the CGRateS simulator. A subscriber logs
// in on a 390 px phone, sees balances, buys a data add-on (no card payment on this branch), watches it provision and
// sees the balance grow, downloads an invoice PDF, and sees the last data offline; staff impersonate the subscriber
// from the console, the banner shows and the activity log names both. Screenshots of every portal screen at 390 px
// and 1280 px go to OmniCRM-UI/test-artifacts/portal-*.png.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { ADMIN, call, dataGb, launchBrowser, login, screenshot, startServer, watchErrors } from "./harness.mjs";

const SUBSCRIBER = { email: "john.portal@example.com", password: "Portal-Pass-2026!" };
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };
const SCREENS = [
  ["dashboard", "/self-care", "portal-dashboard"],
  ["services", "/self-care/services", "portal-service-"],
  ["usage", "/self-care/usage", "portal-usage"],
  ["topup", "/self-care/topup", "portal-topup"],
  ["billing", "/self-care/billing", "portal-invoices"],
  ["account", "/self-care/account", "portal-account"],
];

describe("self-care portal", { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let adminToken;
  let customerId;
  let invoiceId;

  before(async () => {
    server = await startServer();
    adminToken = (await call(server.baseUrl, "/crm/auth/login", { method: "POST", body: ADMIN })).token;
    const customers = await call(server.baseUrl, `/crm/customer/?search=${encodeURIComponent("John Smith")}`, { token: adminToken });
    customerId = customers.data[0].customer_id;
    const contacts = await call(server.baseUrl, `/crm/contact/customer_id/${customerId}`, { token: adminToken });
    const contact = (contacts.data ?? contacts)[0];
    await call(server.baseUrl, "/crm/contact/", {
      method: "PUT", token: adminToken,
      body: { customer_id: customerId, contact_firstname: "Jane", contact_lastname: "Smith", contact_email: "jane.portal@example.com",
        contact_phone: "+44 7700 900111", contact_types: "Billing" },
    });
    await call(server.baseUrl, "/crm/auth/users", {
      method: "POST", token: adminToken,
      body: { username: "john.portal", email: SUBSCRIBER.email, password: SUBSCRIBER.password, first_name: "John",
        last_name: "Smith", role: "Customer", contact_id: contact.contact_id },
    });
    // An invoice to download: a charge of this month, invoiced.
    const today = new Date().toISOString().slice(0, 10);
    await call(server.baseUrl, "/crm/transaction/", {
      method: "PUT", token: adminToken, body: { customer_id: customerId, title: "Portal e2e monthly fee", retail_cost: "12.50" },
    });
    const invoice = await call(server.baseUrl, "/crm/invoice/", {
      method: "PUT", token: adminToken,
      body: { customer_id: customerId, start_date: "2020-01-01", end_date: today, due_date: "2099-12-31", title: "Portal e2e invoice" },
    });
    invoiceId = invoice.invoice_id;
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.setViewportSize(PHONE);
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("sends a subscriber's login to the portal on a 390 px phone, with its balances", async () => {
    await login(page, server.baseUrl, SUBSCRIBER);
    await page.waitForURL(/\/self-care$/);
    await page.getByTestId("portal-dashboard").waitFor();
    await page.getByTestId("portal-balance-DATA").first().waitFor();
    await page.getByTestId("portal-balance-MONETARY").first().waitFor();
    await page.getByTestId("portal-alerts").or(page.getByTestId("portal-no-alerts")).first().waitFor();
    await page.getByTestId("portal-tab-billing").waitFor(); // the phone's bottom tab bar
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 390), true, "nothing wider than the phone");
    // The console is not for subscribers: they are sent back to the portal.
    await page.goto(`${server.baseUrl}/customers`);
    await page.waitForURL(/\/self-care$/);
    await page.getByTestId("portal-dashboard").waitFor();
  });

  it("shows every portal screen at 390 px", async () => {
    for (const [name, path, testId] of SCREENS) {
      await page.goto(`${server.baseUrl}${path}`);
      await page.locator(`[data-testid^="${testId}"]`).first().waitFor();
      if (name === "usage") await page.getByTestId("portal-history-DATA").waitFor();
      if (name === "account") await page.getByTestId("account-notifications").getByText("E-mail alerts").waitFor();
      await screenshot(page, `portal-${name}-390`);
    }
    await page.goto(`${server.baseUrl}/self-care/services`);
    await page.getByText("Mobile - +44 7700 900999").waitFor();
    await page.getByText("Monthly cost").first().waitFor();
    // The portal follows the language setting (Spanish complete, spec 01 §7).
    await page.getByTestId("portal-language").click();
    await page.getByRole("menuitem", { name: "Español" }).click();
    await page.getByText("Coste mensual").first().waitFor();
    await page.getByTestId("portal-tab-dashboard").getByText("Inicio").waitFor();
    await screenshot(page, "portal-services-es-390");
    await page.getByTestId("portal-language").click();
    await page.getByRole("menuitem", { name: "English" }).click();
    await page.getByText("Monthly cost").first().waitFor();
  });

  it("buys the 10 GB data add-on, follows the provisioning and ends on the bigger balance", async () => {
    await page.goto(`${server.baseUrl}/self-care/usage`);
    const services = await call(server.baseUrl, "/crm/service/?per_page=100", { token: (await call(server.baseUrl, "/crm/auth/login", { method: "POST", body: SUBSCRIBER })).token });
    const mobile = services.data.find((s) => s.service_name === "Mobile - +44 7700 900999");
    assert.ok(mobile, "the subscriber sees its demo service");
    await page.goto(`${server.baseUrl}/self-care/usage/${mobile.service_id}`);
    await page.getByTestId("portal-balance-DATA").waitFor();
    await page.getByTestId("portal-history-DATA").waitFor(); // usage over time from the service's CDRs
    const before = await dataGb(page);
    await page.goto(`${server.baseUrl}/self-care/topup/${mobile.service_id}`);
    await page.getByTestId("portal-addon-extra-10gb-data").click();
    const review = page.getByTestId("portal-addon-review");
    await review.getByText("Extra 10GB Data").waitFor();
    assert.match(await review.getByTestId("review-one-off").innerText(), /10\.00/);
    await screenshot(page, "portal-topup-review-390");
    await review.getByTestId("portal-addon-confirm").click();
    await page.getByTestId("portal-provisioning").waitFor();
    await screenshot(page, "portal-topup-progress-390");
    await page.waitForFunction(() => {
      const status = document.querySelector('[data-testid="portal-provisioning"]')?.getAttribute("data-status");
      return status === "success" || status === "failed";
    }, null, { timeout: 120_000 });
    assert.equal(await page.getByTestId("portal-provisioning").getAttribute("data-status"), "success", "the add-on playbook finishes");
    await page.getByTestId("portal-topup-done").getByTestId("portal-balance-DATA").waitFor();
    const afterGb = await dataGb(page);
    assert.ok(afterGb >= before + 9.9, `data grew by the add-on: ${before} GB → ${afterGb} GB`);
    await screenshot(page, "portal-topup-done-390");
  });

  it("lists the invoice as Unpaid and downloads its PDF", async () => {
    await page.goto(`${server.baseUrl}/self-care/billing`);
    const card = page.getByTestId(`portal-invoice-${invoiceId}`);
    await card.getByTestId("invoice-status").getByText("Unpaid").waitFor();
    const [download] = await Promise.all([page.waitForEvent("download"), card.getByTestId("invoice-download").click()]);
    const path = await download.path();
    assert.equal(readFileSync(path).subarray(0, 5).toString(), "%PDF-", "a PDF");
    await page.getByTestId("portal-tab-transactions").click();
    await page.getByText("Portal e2e monthly fee").waitFor();
    await screenshot(page, "portal-transactions-390");
  });

  it("generates a read-only API key, shown once, that reads only the subscriber's account", async () => {
    await page.goto(`${server.baseUrl}/self-care/account`);
    const card = page.getByTestId("account-api-keys");
    await card.getByTestId("api-key-name").fill("Usage monitor");
    await card.getByTestId("api-key-generate").click();
    const shown = card.getByTestId("api-key-shown").locator("code");
    await shown.waitFor();
    const key = (await shown.innerText()).trim();
    assert.match(key, /^sk_live_/);
    await screenshot(page, "portal-api-key-390");
    const response = await fetch(`${server.baseUrl}/crm/auth/me`, { headers: { "X-API-KEY": key } });
    assert.equal((await response.json()).customer_id, customerId);
    const other = await fetch(`${server.baseUrl}/crm/customer/customer_id/1`, { headers: { "X-API-KEY": key } });
    assert.equal(other.status, customerId === 1 ? 200 : 404);
  });

  it("shows every portal screen at 1280 px", async () => {
    await page.setViewportSize(DESKTOP);
    for (const [name, path, testId] of SCREENS) {
      await page.goto(`${server.baseUrl}${path}`);
      await page.locator(`[data-testid^="${testId}"]`).first().waitFor();
      if (name === "usage") await page.getByTestId("portal-history-DATA").waitFor();
      await page.getByTestId("portal-nav-dashboard").waitFor(); // the side menu replaces the tab bar
      await screenshot(page, `portal-${name}-1280`);
    }
    await page.setViewportSize(PHONE);
  });

  it("keeps showing the last loaded data offline, with an offline notice", async () => {
    await page.goto(`${server.baseUrl}/self-care`);
    await page.getByTestId("portal-balance-DATA").first().waitFor();
    await page.evaluate(async () => { await navigator.serviceWorker?.ready; });
    await page.reload(); // now through the service worker: the shell and the answers are kept
    await page.getByTestId("portal-balance-DATA").first().waitFor();
    assert.equal(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, "the portal's service worker controls the page");
    // Installable: a manifest with the portal's start URL and 192/512 px icons.
    const manifestUrl = await page.locator('link[rel="manifest"]').getAttribute("href");
    const manifest = await (await fetch(`${server.baseUrl}${manifestUrl}`)).json();
    assert.equal(manifest.start_url, "/self-care");
    assert.deepEqual(manifest.icons.map((icon) => icon.sizes), ["192x192", "512x512"]);
    const mark = errors.length;
    await browser.context.setOffline(true);
    try {
      await page.getByTestId("offline-notice").waitFor();
      // A full reload offline: the service worker serves the portal and its last answers.
      await page.reload();
      await page.getByTestId("offline-notice").waitFor();
      await page.getByTestId("portal-balance-DATA").first().waitFor();
      await page.getByTestId("portal-tab-services").click();
      await page.getByText("Mobile - +44 7700 900999").first().waitFor();
      await screenshot(page, "portal-offline-390");
    } finally {
      await browser.context.setOffline(false);
      // Offline, the calls the service worker does not answer (e.g. /crm/auth/me) fail: that is the point.
      const offlineNoise = errors.slice(mark).filter((e) => !/net::ERR_(INTERNET_DISCONNECTED|FAILED)/.test(e));
      errors.splice(mark, errors.length - mark, ...offlineNoise);
    }
    await page.getByTestId("offline-notice").waitFor({ state: "detached" });
    await page.getByTestId("portal-logout").click();
    await page.waitForURL(/\/login/);
  });

  it("lets staff log in as the customer: banner, an action named after both, and back to the console", async () => {
    const admin = await browser.context.newPage(); // the subscriber logged out above
    await admin.setViewportSize(DESKTOP);
    const adminErrors = watchErrors(admin);
    await login(admin, server.baseUrl, ADMIN);
    await admin.waitForURL(/\/dashboard$/);
    // Staff opening the portal are sent to the console.
    await admin.goto(`${server.baseUrl}/self-care`);
    await admin.waitForURL(/\/dashboard$/);
    await admin.goto(`${server.baseUrl}/customers/${customerId}#4`);
    const logins = admin.getByTestId("portal-logins");
    await logins.getByText(SUBSCRIBER.email).waitFor();
    // Invite the other contact: a login with a set-password e-mail, shown as Invited.
    const jane = logins.locator("tr", { hasText: "jane.portal@example.com" });
    await jane.getByTestId("portal-invite").click();
    await jane.getByText("Invited").waitFor();
    await screenshot(admin, "portal-console-logins-1280");
    await logins.getByTestId("login-as-customer").first().click();
    await admin.getByTestId("impersonation-reason").fill("Customer asked why the data add-on shows twice");
    await admin.getByTestId("impersonation-go").click();
    await admin.waitForURL(/\/self-care$/);
    const banner = admin.getByTestId("impersonation-banner");
    await banner.getByText(/logged in as John Smith/).waitFor();
    await banner.getByText(/admin@example\.com/).waitFor();
    await admin.getByTestId("portal-balance-DATA").first().waitFor();
    await screenshot(admin, "portal-impersonation-1280");
    // An action during the session.
    await admin.goto(`${server.baseUrl}/self-care/account`);
    await admin.getByTestId("account-threshold").fill("25");
    await admin.getByTestId("account-save-preferences").click();
    await admin.getByText("Saved").first().waitFor();
    await admin.getByText("The password cannot be changed during a support session.").waitFor();
    await admin.getByTestId("return-to-console").click();
    await admin.waitForURL(new RegExp(`/customers/${customerId}$`));
    const activity = await call(server.baseUrl, `/crm/activity/customer_id/${customerId}?per_page=100`, { token: adminToken });
    const both = activity.data.filter((row) => row.actor.includes(SUBSCRIBER.email) && row.actor.includes("admin@example.com"));
    assert.ok(both.length >= 1, `an entry naming both people: ${JSON.stringify(activity.data.slice(0, 5))}`);
    assert.ok(activity.data.some((row) => row.action === "impersonation_start"));
    assert.ok(activity.data.some((row) => row.action === "impersonation_stop"));
    const logs = await call(server.baseUrl, "/crm/auth/impersonation_logs", { token: adminToken });
    assert.equal(logs.data[0].target_user_email, SUBSCRIBER.email);
    assert.ok(logs.data[0].impersonation_end, "the session ended");
    // The subscriber sees the support session in its own activity log.
    const mine = (await call(server.baseUrl, "/crm/auth/login", { method: "POST", body: SUBSCRIBER })).token;
    const seen = await call(server.baseUrl, `/crm/activity/customer_id/${customerId}?per_page=100`, { token: mine });
    assert.ok(seen.data.some((row) => row.action === "impersonation_start" && row.description.includes("admin@example.com")));
    assert.deepEqual(adminErrors, []);
    await admin.close();
  });

  it("had no page errors", () => {
    assert.deepEqual(errors, []);
  });
});
