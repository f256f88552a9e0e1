// End-to-end: the self-care portal's card flows (issue #17) in Chromium against the real server, the CGRateS
// simulator and localstripe (its fake Stripe.js renders plain inputs instead of Stripe's iframe). On a 390 px phone a
// subscriber adds the 4242 test card, buys a data add-on charged to it and watches it provision until the balance
// grows, pays an unpaid invoice with it (Paid in the portal; paid with a pi_ reference in the API), and sees Stripe's
// reason for a card declined when saved, for one declined when paying an invoice and for an add-on charged to a
// declined card (nothing provisioned, no charge left); a new card that needs 3-D Secure is saved and pays the other
// invoice. The subscriber holds only the default Customer role. Screenshots: test-artifacts/portal-cards-*.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, call, dataGb, launchBrowser, login, screenshot, startServer, watchErrors } from "./harness.mjs";

const SUBSCRIBER = { email: "john.cards@example.com", password: "Portal-Cards-2026!" };
const PHONE = { width: 390, height: 844 };
const SERVICE_NAME = "Mobile - +44 7700 900999";
const OK_CARD = "4242424242424242";
const DECLINED_WHEN_SAVED = "4000000000000002";
const DECLINED_WHEN_CHARGED = "4000000000000341";
const THREE_D_SECURE = "4000002500003155";

/** Type a test card into localstripe's fake card element (inputs named by their placeholders). */
async function fillCard(form, number) {
  const element = form.getByTestId("stripe-card-element");
  await element.locator('input[placeholder="number"]').fill(number);
  await element.locator('input[placeholder="exp_month"]').fill("12");
  await element.locator('input[placeholder="exp_year"]').fill("30"); // the fake element prefixes "20"
  await element.locator('input[placeholder="cvc"]').fill("123");
  await element.locator('input[placeholder="postal_code"]').fill("2000");
}

describe("self-care portal: cards against localstripe", { timeout: 300_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;
  let adminToken;
  let subscriberToken;
  let customerId;
  let invoiceId;
  let secondInvoiceId;
  let serviceId;

  before(async () => {
    server = await startServer({ localstripe: true });
    const { baseUrl } = server;
    adminToken = (await call(baseUrl, "/crm/auth/login", { method: "POST", body: ADMIN })).token;
    const customers = await call(baseUrl, `/crm/customer/?search=${encodeURIComponent("John Smith")}`, { token: adminToken });
    customerId = customers.data[0].customer_id;
    const contacts = await call(baseUrl, `/crm/contact/customer_id/${customerId}`, { token: adminToken });
    const contact = (contacts.data ?? contacts)[0];
    // A subscriber login with the default Customer role: nothing granted beyond what an install seeds.
    await call(baseUrl, "/crm/auth/users", {
      method: "POST", token: adminToken,
      body: { username: "john.cards", email: SUBSCRIBER.email, password: SUBSCRIBER.password, first_name: "John",
        last_name: "Smith", role: "Customer", contact_id: contact.contact_id },
    });
    // An unpaid invoice: a charge of this month, invoiced.
    const today = new Date().toISOString().slice(0, 10);
    await call(baseUrl, "/crm/transaction/", {
      method: "PUT", token: adminToken, body: { customer_id: customerId, title: "Cards e2e monthly fee", retail_cost: "12.50" },
    });
    const invoice = await call(baseUrl, "/crm/invoice/", {
      method: "PUT", token: adminToken,
      body: { customer_id: customerId, start_date: "2020-01-01", end_date: today, due_date: "2099-12-31", title: "Cards e2e invoice" },
    });
    invoiceId = invoice.invoice_id;
    // A second one, paid with a new card that asks for 3-D Secure.
    await call(baseUrl, "/crm/transaction/", {
      method: "PUT", token: adminToken, body: { customer_id: customerId, title: "Cards e2e roaming", retail_cost: "7.25" },
    });
    secondInvoiceId = (await call(baseUrl, "/crm/invoice/", {
      method: "PUT", token: adminToken,
      body: { customer_id: customerId, start_date: "2020-01-01", end_date: today, due_date: "2099-12-31", title: "Cards e2e roaming invoice" },
    })).invoice_id;
    subscriberToken = (await call(baseUrl, "/crm/auth/login", { method: "POST", body: SUBSCRIBER })).token;
    const services = await call(baseUrl, "/crm/service/?per_page=100", { token: subscriberToken });
    serviceId = services.data.find((s) => s.service_name === SERVICE_NAME)?.service_id;
    assert.ok(serviceId, "the subscriber sees its demo service");
    browser = await launchBrowser();
    page = await browser.context.newPage();
    await page.setViewportSize(PHONE);
    errors = watchErrors(page);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("lets a subscriber (default Customer role) use the self-care card endpoints", async () => {
    const config = await call(server.baseUrl, "/crm/stripe/config", { token: subscriberToken });
    assert.equal(config.configured, true);
    assert.match(config.js_url, /^http:\/\/127\.0\.0\.1:\d+\/js\.stripe\.com\/v3\/$/, "localstripe's fake Stripe.js");
    assert.deepEqual((await call(server.baseUrl, `/crm/stripe/customer_id/${customerId}`, { token: subscriberToken })).data, []);
  });

  it("adds the 4242 test card on a 390 px phone; it becomes the default", async () => {
    await login(page, server.baseUrl, SUBSCRIBER);
    await page.waitForURL(/\/self-care$/);
    await page.goto(`${server.baseUrl}/self-care/billing`);
    await page.getByTestId("portal-tab-cards").click();
    const cards = page.getByTestId("portal-cards");
    await cards.getByTestId("card-add").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByTestId("stripe-card-element").locator("input").first().waitFor();
    await dialog.getByLabel("Nickname").fill("Personal card");
    await fillCard(dialog, OK_CARD);
    await screenshot(page, "portal-cards-add-390");
    await dialog.getByTestId("card-save").click();
    await dialog.waitFor({ state: "detached" });
    const saved = cards.locator('[data-testid^="portal-card-"]');
    await saved.filter({ hasText: "•••• 4242" }).waitFor();
    await saved.filter({ hasText: "Personal card" }).getByText("Default").waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.scrollWidth <= 390), true, "nothing wider than the phone");
    await screenshot(page, "portal-cards-saved-390");
    const api = (await call(server.baseUrl, `/crm/stripe/customer_id/${customerId}`, { token: subscriberToken })).data;
    assert.equal(api.length, 1);
    assert.equal(api[0].last4, "4242");
    assert.equal(api[0].is_default, true);
    assert.match(api[0].customer_stripe_id, /^pm_/);
  });

  it("shows Stripe's reason when a card is declined while saving, and saves nothing", async () => {
    await page.goto(`${server.baseUrl}/self-care/billing`);
    await page.getByTestId("portal-tab-cards").click();
    await page.getByTestId("card-add").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByTestId("stripe-card-element").locator("input").first().waitFor();
    await fillCard(dialog, DECLINED_WHEN_SAVED);
    await dialog.getByTestId("card-save").click();
    await dialog.getByRole("alert").getByText(/Your card was declined/).waitFor();
    await screenshot(page, "portal-cards-declined-390");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    const api = (await call(server.baseUrl, `/crm/stripe/customer_id/${customerId}`, { token: subscriberToken })).data;
    assert.deepEqual(api.map((c) => c.last4), ["4242"]);
  });

  it("buys the 10 GB data add-on charged to the card, follows the provisioning and ends on the bigger balance", async () => {
    await page.goto(`${server.baseUrl}/self-care/usage/${serviceId}`);
    await page.getByTestId("portal-balance-DATA").waitFor();
    const before = await dataGb(page);
    await page.goto(`${server.baseUrl}/self-care/topup/${serviceId}`);
    await page.getByTestId("portal-addon-extra-10gb-data").click();
    const review = page.getByTestId("portal-addon-review");
    await review.getByText("Extra 10GB Data").waitFor();
    assert.match(await review.getByTestId("review-one-off").innerText(), /10\.00/);
    await review.getByTestId("review-card").getByText(/Charged to Visa •••• 4242/).waitFor();
    await screenshot(page, "portal-cards-addon-review-390");
    await review.getByTestId("portal-addon-confirm").click();
    await page.getByTestId("portal-provisioning").waitFor();
    await screenshot(page, "portal-cards-addon-progress-390");
    await page.waitForFunction(() => {
      const status = document.querySelector('[data-testid="portal-provisioning"]')?.getAttribute("data-status");
      return status === "success" || status === "failed";
    }, null, { timeout: 120_000 });
    assert.equal(await page.getByTestId("portal-provisioning").getAttribute("data-status"), "success", "the add-on playbook finishes");
    const done = page.getByTestId("portal-topup-done");
    await done.getByTestId("portal-balance-DATA").waitFor();
    const afterGb = await dataGb(done);
    assert.ok(afterGb >= before + 9.9, `data grew by the add-on: ${before} GB → ${afterGb} GB`);
    await screenshot(page, "portal-cards-addon-done-390");
    // The card paid for it: the add-on charge and the card payment that settles it, both the customer's.
    const rows = (await call(server.baseUrl, `/crm/transaction/customer_id/${customerId}?per_page=100`, { token: subscriberToken })).data;
    const payment = rows.find((r) => r.transaction_type === "credit" && /Card payment/.test(r.title) && Math.abs(Number(r.retail_cost)) === 10);
    assert.ok(payment, `a 10.00 card payment: ${JSON.stringify(rows.map((r) => [r.title, r.transaction_type, r.retail_cost]))}`);
    await page.goto(`${server.baseUrl}/self-care/billing`);
    await page.getByTestId("portal-tab-transactions").click();
    const paymentRow = page.getByTestId("portal-transactions").locator(".mantine-Card-root", { hasText: "Card payment: Extra 10GB Data" });
    await paymentRow.waitFor();
    // A credit shows one minus sign (credits are stored negative).
    assert.match(await paymentRow.innerText(), /(^|\s)−\D{0,4}10\.00/);
    assert.doesNotMatch(await paymentRow.innerText(), /[−-]\s*-/);
    await screenshot(page, "portal-cards-transactions-390");
  });

  it("shows Stripe's reason when the card is declined at payment, and the invoice stays unpaid", async () => {
    // A second card that saves fine but is declined when charged.
    await page.goto(`${server.baseUrl}/self-care/billing`);
    await page.getByTestId("portal-tab-cards").click();
    await page.getByTestId("card-add").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByTestId("stripe-card-element").locator("input").first().waitFor();
    await fillCard(dialog, DECLINED_WHEN_CHARGED);
    await dialog.getByTestId("card-save").click();
    await dialog.waitFor({ state: "detached" });
    await page.getByTestId("portal-cards").getByText("•••• 0341").waitFor();

    await page.getByTestId("portal-tab-invoices").click();
    const invoice = page.getByTestId(`portal-invoice-${invoiceId}`);
    await invoice.getByTestId("invoice-status").getByText("Unpaid").waitFor();
    await invoice.getByTestId("invoice-pay").click();
    const pay = page.getByRole("dialog");
    await pay.getByRole("radio", { name: /0341/ }).check();
    await pay.getByTestId("pay-confirm").click();
    await pay.getByRole("alert").getByText(/declined/i).waitFor();
    const reason = await pay.getByRole("alert").innerText();
    assert.match(reason, /Your card was declined/, reason);
    await screenshot(page, "portal-cards-pay-declined-390");
    const detail = await call(server.baseUrl, `/crm/invoice/${invoiceId}`, { token: subscriberToken });
    assert.equal(detail.paid, false);
    await page.keyboard.press("Escape");
    await pay.waitFor({ state: "detached" });
  });

  it("pays the unpaid invoice with the saved 4242 card: Paid in the portal, paid with a pi_ reference in the API", async () => {
    await page.goto(`${server.baseUrl}/self-care/billing`);
    const invoice = page.getByTestId(`portal-invoice-${invoiceId}`);
    await invoice.getByTestId("invoice-status").getByText("Unpaid").waitFor();
    await invoice.getByTestId("invoice-pay").click();
    const pay = page.getByRole("dialog");
    await pay.getByRole("radio", { name: /4242/ }).check();
    await screenshot(page, "portal-cards-pay-390");
    await pay.getByTestId("pay-confirm").click();
    await pay.waitFor({ state: "detached" });
    await invoice.getByTestId("invoice-status").getByText("Paid").waitFor();
    assert.equal(await invoice.getByTestId("invoice-pay").count(), 0, "no Pay Now on a paid invoice");
    await screenshot(page, "portal-cards-paid-390");
    const detail = await call(server.baseUrl, `/crm/invoice/${invoiceId}`, { token: subscriberToken });
    assert.equal(detail.paid, true);
    assert.equal(detail.payment_method, "Stripe");
    assert.match(detail.payment_reference, /^pi_/);
  });

  it("pays the other invoice with a new card that needs 3-D Secure: saved, authenticated, Paid", async () => {
    await page.goto(`${server.baseUrl}/self-care/billing`);
    const invoice = page.getByTestId(`portal-invoice-${secondInvoiceId}`);
    await invoice.getByTestId("invoice-status").getByText("Unpaid").waitFor();
    await invoice.getByTestId("invoice-pay").click();
    const pay = page.getByRole("dialog");
    await pay.getByRole("radio", { name: "A new card" }).check();
    await pay.getByTestId("stripe-card-element").locator("input").first().waitFor();
    await fillCard(pay, THREE_D_SECURE);
    await pay.getByTestId("card-save").click();
    // The bank's check while saving (localstripe's in-page box), then the new card is the one to pay with.
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await pay.getByRole("radio", { name: /3155/ }).waitFor();
    assert.equal(await pay.getByRole("radio", { name: /3155/ }).isChecked(), true, "the new card is chosen");
    await screenshot(page, "portal-cards-pay-new-card-390");
    await pay.getByTestId("pay-confirm").click();
    // Our API answers requires_action: Stripe.js asks again, then the API confirms the payment.
    await page.getByRole("button", { name: "Complete authentication" }).click();
    await pay.waitFor({ state: "detached" });
    await invoice.getByTestId("invoice-status").getByText("Paid").waitFor();
    await screenshot(page, "portal-cards-paid-3ds-390");
    const detail = await call(server.baseUrl, `/crm/invoice/${secondInvoiceId}`, { token: subscriberToken });
    assert.equal(detail.paid, true);
    assert.match(detail.payment_reference, /^pi_/);
    const cards = (await call(server.baseUrl, `/crm/stripe/customer_id/${customerId}`, { token: subscriberToken })).data;
    assert.deepEqual(cards.map((c) => c.last4).sort(), ["0341", "3155", "4242"]);
    assert.equal(cards.find((c) => c.is_default).last4, "4242", "a later card does not take the default");
  });

  it("an add-on charged to a card that is declined is not provisioned and leaves no charge", async () => {
    await page.goto(`${server.baseUrl}/self-care/billing`);
    await page.getByTestId("portal-tab-cards").click();
    const declining = page.getByTestId("portal-cards").locator('[data-testid^="portal-card-"]', { hasText: "•••• 0341" });
    await declining.getByRole("button", { name: "Set as default" }).click();
    await declining.getByText("Default").waitFor();
    await page.goto(`${server.baseUrl}/self-care/usage/${serviceId}`);
    await page.getByTestId("portal-balance-DATA").waitFor();
    const before = await dataGb(page);
    const chargesBefore = (await call(server.baseUrl, `/crm/transaction/customer_id/${customerId}?per_page=100`, { token: subscriberToken })).data;
    await page.goto(`${server.baseUrl}/self-care/topup/${serviceId}`);
    await page.getByTestId("portal-addon-5gb-data-boost").click();
    const review = page.getByTestId("portal-addon-review");
    await review.getByTestId("review-card").getByText(/Charged to Visa •••• 0341/).waitFor();
    await review.getByTestId("portal-addon-confirm").click();
    await page.waitForFunction(() => {
      const status = document.querySelector('[data-testid="portal-provisioning"]')?.getAttribute("data-status");
      return status === "success" || status === "failed";
    }, null, { timeout: 120_000 });
    await screenshot(page, "portal-cards-addon-declined-390");
    assert.equal(await page.getByTestId("portal-provisioning").getAttribute("data-status"), "failed");
    const text = await page.getByTestId("portal-provisioning-failure").innerText();
    assert.match(text, /The card was declined: Your card was declined\./, text);
    // Back to the review to choose another card.
    await page.getByTestId("portal-topup-back").click();
    await page.getByTestId("portal-addon-review").getByTestId("review-card").waitFor();
    const charges = (await call(server.baseUrl, `/crm/transaction/customer_id/${customerId}?per_page=100`, { token: subscriberToken })).data;
    const live = (rows) => rows.filter((r) => !r.void).map((r) => [r.title, r.retail_cost]);
    assert.deepEqual(live(charges), live(chargesBefore), "no charge stays");
    await page.goto(`${server.baseUrl}/self-care/usage/${serviceId}`);
    await page.getByTestId("portal-balance-DATA").waitFor();
    assert.equal(await dataGb(page), before, "nothing provisioned");
  });

  it("shows the payment methods and the paid invoices at 1280 px", async () => {
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.baseUrl}/self-care/billing`);
    await page.getByTestId(`portal-invoice-${secondInvoiceId}`).getByTestId("invoice-status").getByText("Paid").waitFor();
    await screenshot(page, "portal-cards-invoices-1280");
    await page.getByTestId("portal-tab-cards").click();
    await page.getByTestId("portal-cards").locator('[data-testid^="portal-card-"]').nth(2).waitFor();
    await screenshot(page, "portal-cards-methods-1280");
    await page.setViewportSize(PHONE);
  });

  it("had no page errors", () => {
    assert.deepEqual(errors, []);
  });
});
