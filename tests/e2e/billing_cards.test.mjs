// End-to-end: the staff console's card flows against the real server and localstripe (see harness.mjs,
// startServer({ localstripe: true })). The console loads localstripe's fake Stripe.js from /crm/stripe/config js_url;
// its card "Element" is five plain inputs (placeholders number, exp_month, exp_year (two digits), cvc, postal_code).
// Adds a card through the Elements modal, a second one, switches the default, pays an invoice by card, refunds it,
// and shows a declined card's reason without saving anything.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, call, launchBrowser, login, screenshot as fullShot, startServer, watchErrors } from "./harness.mjs";

// A full-page shot of a scrolled page draws the fixed layers (header, modal) at the scroll offset: from the top.
async function screenshot(page, name) {
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.waitForTimeout(300);  // modal transitions
  return fullShot(page, name);
}

// localstripe's fake Stripe.js logs its own progress with console.log; card errors it reports are the test's subject.
const stripeNoise = (text) => /localstripe/.test(text);

describe("billing card flows (localstripe)", { timeout: 300_000 }, () => {
  let server;
  let browser;
  let token;
  let customer;

  before(async () => {
    server = await startServer({ localstripe: true });
    browser = await launchBrowser();
    token = (await call(server.baseUrl, "/crm/auth/login", { method: "POST", body: { email: ADMIN.email, password: ADMIN.password } })).token;
    customer = await call(server.baseUrl, "/crm/customer/", { method: "PUT", token, body: {
      customer_name: "Card E2E Pty", customer_status: "Open", customer_account_type: "Business",
      contacts: [{ contact_firstname: "Carla", contact_lastname: "Card", contact_email: "carla@example.com", contact_types: "billing" }],
      sites: [{ site_name: "HQ", address_line_1: "1 Swipe Street", city: "Sydney", zip_code: "2000", country: "Australia", latitude: -33.87, longitude: 151.21 }],
    } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function openBilling(page) {
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);
    await page.goto(`${server.baseUrl}/customers/${customer.customer_id}#9`);
    const billing = page.getByTestId("customer-billing");
    await billing.waitFor();
    await billing.getByTestId("payment-methods").waitFor();
    return billing;
  }

  /** Open the add-card modal and type a card into localstripe's fake Element. */
  async function fillCardModal(page, billing, { number, name, nickname }) {
    await billing.getByTestId("add-card").click();
    const dialog = page.getByRole("dialog", { name: "Add Payment Method" });
    const element = dialog.getByTestId("card-element");
    await element.locator("input[placeholder=number]").waitFor();
    await element.locator("input[placeholder=number]").fill(number);
    await element.locator("input[placeholder=exp_month]").fill("12");
    await element.locator("input[placeholder=exp_year]").fill("34");
    await element.locator("input[placeholder=cvc]").fill("123");
    await element.locator("input[placeholder=postal_code]").fill("2000");
    await dialog.getByTestId("card-name").fill(name);
    await dialog.getByTestId("card-country").fill("AU");
    if (nickname) await dialog.getByTestId("card-nickname").fill(nickname);
    return dialog;
  }

  const cardsOf = async () => (await call(server.baseUrl, `/crm/stripe/customer_id/${customer.customer_id}`, { token })).data;

  it("adds a card through Stripe Elements, a second one, and switches the default", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const billing = await openBilling(page);
    const methods = billing.getByTestId("payment-methods");
    await methods.getByText("No saved cards").waitFor();

    let dialog = await fillCardModal(page, billing, { number: "4242424242424242", name: "Carla Card", nickname: "Work Visa" });
    await screenshot(page, "cards-add-modal");
    await dialog.getByTestId("card-submit").click();
    await page.getByText("Your Visa ending in 4242 has been added to your account.").waitFor();
    await dialog.waitFor({ state: "detached" });
    const table = methods.getByTestId("cards-table");
    const firstRow = table.locator("tbody tr", { hasText: "Work Visa" });
    await firstRow.getByTestId("default-card").waitFor();
    assert.match(await firstRow.innerText(), /\*\*4242/);
    assert.match(await firstRow.innerText(), /12\/2034/);
    let cards = await cardsOf();
    assert.equal(cards.length, 1);
    assert.equal(cards[0].is_default, true);
    assert.match(cards[0].customer_stripe_id, /^pm_/);
    const firstId = cards[0].card_id;

    // A second card: listed, not the default.
    dialog = await fillCardModal(page, billing, { number: "5555555555554444", name: "Carla Card", nickname: "Backup" });
    await dialog.getByTestId("card-submit").click();
    await page.getByText(/ending in 4444 has been added/).waitFor();
    await dialog.waitFor({ state: "detached" });
    const secondRow = table.locator("tbody tr", { hasText: "Backup" });
    await secondRow.waitFor();
    assert.equal(await secondRow.getByTestId("default-card").count(), 0);
    cards = await cardsOf();
    assert.equal(cards.length, 2);
    const secondId = cards.find((c) => c.card_id !== firstId).card_id;

    // Switch the default to the second card.
    await secondRow.getByRole("button", { name: /^Actions for / }).click();
    await page.getByRole("menuitem", { name: "Set as Default" }).click();
    await page.getByText(/ending in 4444 is now your default payment method/).waitFor();
    await table.getByTestId(`card-row-${secondId}`).getByTestId("default-card").waitFor();
    await table.getByTestId(`card-row-${firstId}`).getByTestId("default-card").waitFor({ state: "detached" });
    cards = await cardsOf();
    assert.equal(cards.find((c) => c.card_id === secondId).is_default, true);
    assert.equal(cards.find((c) => c.card_id === firstId).is_default, false);
    await screenshot(page, "cards-two-cards");

    // And back, so the Visa 4242 is the default for the payment below.
    await table.getByTestId(`card-row-${firstId}`).getByRole("button", { name: /^Actions for / }).click();
    await page.getByRole("menuitem", { name: "Set as Default" }).click();
    await table.getByTestId(`card-row-${firstId}`).getByTestId("default-card").waitFor();
    assert.deepEqual(errors.filter((e) => !stripeNoise(e)), []);
    await page.close();
  });

  it("pays an invoice with the card and refunds it", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const billing = await openBilling(page);
    await billing.getByTestId("cards-table").waitFor();

    const addTransaction = async (title, retail) => {
      await billing.getByTestId("add-transaction").click();
      await page.getByTestId("tx-title").fill(title);
      await page.getByTestId("tx-retail").fill(retail);
      await page.getByTestId("tx-submit").click();
      await page.getByText(/Transaction \d+ added/).first().waitFor();
      await page.getByTestId("tx-submit").waitFor({ state: "detached" });
    };
    await addTransaction("Handset", "30.00");
    await addTransaction("Setup Fee", "20.00");
    const txTable = billing.getByTestId("transactions-table");
    await txTable.getByText("Handset").waitFor();
    await txTable.getByText("Setup Fee").waitFor();

    await billing.getByTestId("generate-open").click();
    const modal = page.getByRole("dialog", { name: "Generate Proforma Invoice" });
    await modal.getByTestId("generate-submit").getByText("Generate Invoice (2)").click();
    await page.getByText(/Invoice \d+ generated for .*50\.00/).waitFor();
    const invoices = billing.getByTestId("invoices-table");
    const row = invoices.locator("tbody tr").first();
    await row.getByText(/50\.00/).waitFor();
    const invoiceId = Number((await row.getAttribute("data-testid")).replace("invoice-row-", ""));

    // Pay modal: Stripe with the default card preselected.
    await row.getByRole("button", { name: `Pay Invoice ${invoiceId}` }).click();
    const pay = page.getByRole("dialog", { name: `Pay invoice ${invoiceId}` });
    await pay.getByTestId("pay-amount").getByText(/50\.00/).waitFor();
    const cards = await cardsOf();
    const defaultCard = cards.find((c) => c.is_default);
    assert.equal(defaultCard.last4, "4242");
    const radio = pay.getByTestId(`pay-card-${defaultCard.card_id}`);
    await radio.waitFor();
    assert.equal(await radio.isChecked(), true);
    await screenshot(page, "cards-pay-modal");
    await pay.getByTestId("pay-submit").click();
    await page.getByText(`Invoice ${invoiceId} paid`).waitFor();
    await pay.waitFor({ state: "detached" });
    await invoices.getByTestId(`invoice-row-${invoiceId}`).getByTestId("invoice-status").getByText("Paid").waitFor();

    const paid = await call(server.baseUrl, `/crm/invoice/invoice_id/${invoiceId}`, { token });
    assert.equal(paid.paid, true);
    assert.equal(paid.status, "Paid");
    assert.equal(paid.payment_method, "Stripe");
    assert.match(paid.payment_reference, /^pi_/);

    // Details: the Stripe reference and the Refund action.
    await invoices.getByTestId(`invoice-row-${invoiceId}`).click();
    const details = page.getByRole("dialog", { name: `Invoice ${invoiceId}` });
    await details.getByText(paid.payment_reference).waitFor();
    await details.getByTestId("details-refund").waitFor();
    assert.equal(await details.getByTestId("details-pay").count(), 0);
    await screenshot(page, "cards-paid-details");

    // Refund, with a confirmation first.
    await details.getByTestId("details-refund").click();
    await page.getByText(/The full amount of .*50\.00 is refunded to the card/).waitFor();
    await screenshot(page, "cards-refund-confirm");
    await page.getByTestId("confirm-danger").click();
    await page.getByText(`Invoice ${invoiceId} refunded`).waitFor();
    await details.getByTestId("invoice-status").getByText("Refunded").waitFor();
    await details.getByTestId("details-refund").waitFor({ state: "detached" });
    await details.getByText("Refund reference").waitFor();
    await details.getByText(/^re_/).waitFor();
    await screenshot(page, "cards-refunded-details");
    await page.keyboard.press("Escape");
    await invoices.getByTestId(`invoice-row-${invoiceId}`).getByTestId("invoice-status").getByText("Refunded").waitFor();
    const refunded = await call(server.baseUrl, `/crm/invoice/invoice_id/${invoiceId}`, { token });
    assert.equal(refunded.status, "Refunded");
    assert.equal(refunded.refunded, true);
    assert.match(refunded.refund_reference, /^re_/);
    await screenshot(page, "cards-refunded");
    assert.deepEqual(errors.filter((e) => !stripeNoise(e)), []);
    await page.close();
  });

  it("shows Stripe's reason for a declined card and saves nothing", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const billing = await openBilling(page);
    const table = billing.getByTestId("cards-table");
    await table.waitFor();
    const before = await cardsOf();
    const rowsBefore = await table.locator("tbody tr").count();

    const dialog = await fillCardModal(page, billing, { number: "4000000000000002", name: "Carla Card", nickname: "Declined" });
    await dialog.getByTestId("card-submit").click();
    await dialog.getByRole("alert").getByText("Your card was declined.").waitFor();
    await page.getByText("Error adding payment method").waitFor();  // the notification's title
    await screenshot(page, "cards-declined");
    // The modal stays open for another try; nothing was added.
    assert.equal(await dialog.isVisible(), true);
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.equal(await table.locator("tbody tr").count(), rowsBefore);
    assert.equal(await table.getByText("Declined").count(), 0);
    const afterCards = await cardsOf();
    assert.deepEqual(afterCards.map((c) => c.card_id), before.map((c) => c.card_id));
    // The browser reports the 402 from localstripe as a failed resource load; that is the decline itself.
    assert.deepEqual(errors.filter((e) => !stripeNoise(e) && !/status of 402/.test(e)), []);
    await page.close();
  });

  it("shows a decline when charging a saved card and leaves the invoice unpaid", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const billing = await openBilling(page);
    // 4000 0000 0000 0341 is saved fine and declined when charged.
    const dialog = await fillCardModal(page, billing, { number: "4000000000000341", name: "Carla Card", nickname: "Charge Declines" });
    await dialog.getByTestId("card-submit").click();
    await page.getByText(/ending in 0341 has been added/).waitFor();
    await dialog.waitFor({ state: "detached" });
    const card = (await cardsOf()).find((c) => c.last4 === "0341");

    await billing.getByTestId("add-transaction").click();
    await page.getByTestId("tx-title").fill("SIM Card");
    await page.getByTestId("tx-retail").fill("5.00");
    await page.getByTestId("tx-submit").click();
    await page.getByText(/Transaction \d+ added/).first().waitFor();
    await billing.getByTestId("generate-open").click();
    const modal = page.getByRole("dialog", { name: "Generate Proforma Invoice" });
    await modal.getByTestId("generate-submit").getByText("Generate Invoice (1)").click();
    await page.getByText(/Invoice \d+ generated for .*5\.00/).waitFor();
    const row = billing.getByTestId("invoices-table").locator("tbody tr").first();
    await row.getByText(/5\.00/).waitFor();
    const invoiceId = Number((await row.getAttribute("data-testid")).replace("invoice-row-", ""));

    await row.getByRole("button", { name: `Pay Invoice ${invoiceId}` }).click();
    const pay = page.getByRole("dialog", { name: `Pay invoice ${invoiceId}` });
    await pay.getByTestId(`pay-card-${card.card_id}`).check();
    await pay.getByTestId("pay-submit").click();
    await pay.getByTestId("pay-error").getByText("The card was declined: Your card was declined.").waitFor();
    await page.getByText("Card declined", { exact: true }).waitFor();  // the notification's title
    await screenshot(page, "cards-pay-declined");
    const unpaid = await call(server.baseUrl, `/crm/invoice/invoice_id/${invoiceId}`, { token });
    assert.equal(unpaid.paid, false);
    assert.equal(unpaid.status, "Unpaid");
    await page.keyboard.press("Escape");
    await billing.getByTestId(`invoice-row-${invoiceId}`).getByTestId("invoice-status").getByText("Unpaid").waitFor();
    assert.deepEqual(errors.filter((e) => !stripeNoise(e)), []);
    await page.close();
  });
});
