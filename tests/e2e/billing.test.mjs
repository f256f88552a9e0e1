// End-to-end: the billing workspace and the home dashboard against the real server (see harness.mjs).
// Manual transactions, an invoice generated with one transaction excluded, its totals, the PDF, a manual payment,
// a void that returns transactions to unbilled, auto-renewals, and the dashboard figures against the API.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, call, launchBrowser, login, screenshot, startServer, watchErrors } from "./harness.mjs";

describe("billing workspace", { timeout: 300_000 }, () => {
  let server;
  let browser;
  let token;
  let customer;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    token = (await call(server.baseUrl, "/crm/auth/login", { method: "POST", body: { email: ADMIN.email, password: ADMIN.password } })).token;
    customer = await call(server.baseUrl, "/crm/customer/", { method: "PUT", token, body: {
      customer_name: "Billing E2E Ltd", customer_status: "Open", customer_account_type: "Business",
      contacts: [{ contact_firstname: "Bill", contact_lastname: "Payer", contact_email: "bill@example.com", contact_types: "billing" }],
      sites: [{ site_name: "HQ", address_line_1: "1 Ledger Lane", city: "London", zip_code: "EC1A 1AA", country: "United Kingdom", latitude: 51.5, longitude: -0.1 }],
    } });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("lands on the dashboard with the API's figures, each linking to its list", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);
    const figures = await call(server.baseUrl, "/crm/dashboard/", { token });
    const value = (id) => page.getByTestId(id).getByTestId("figure-value").innerText();
    assert.equal(await value("fig-active-services"), figures.active_services.count.toLocaleString("en-GB"));
    assert.equal(await value("fig-new-customers"), figures.new_customers.count.toLocaleString("en-GB"));
    assert.equal(await value("fig-failed-jobs"), String(figures.failed_provisioning.count));
    assert.match(await page.getByTestId("fig-unpaid-count").innerText(), new RegExp(`^${figures.unpaid.count} `));
    await page.getByTestId("revenue-chart").waitFor();
    await page.getByTestId("fig-low-stock").waitFor();
    await screenshot(page, "billing-dashboard");
    await page.getByTestId("fig-active-services").click();
    await page.waitForURL(/\/services\?filters=/);
    // A low-stock template opens the inventory list filtered to its free items: the same number as the figure.
    await page.goBack();
    const low = figures.low_stock.templates[0];
    await page.getByTestId("fig-low-stock").getByRole("link", { name: low.item }).click();
    await page.waitForURL(/\/inventory\?filters=/);
    await page.getByText(new RegExp(`of ${low.available}$`)).waitFor();
    await page.goBack();
    await page.getByTestId("fig-new-customers").click();
    await page.waitForURL(/\/customers\?.*filters=/);
    await page.getByText(new RegExp(`of ${figures.new_customers.count}$`)).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("adds transactions, generates an invoice excluding one, downloads, pays, and voids another", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);
    await page.goto(`${server.baseUrl}/customers/${customer.customer_id}#9`);
    const billing = page.getByTestId("customer-billing");
    await billing.waitFor();

    // Two manual debits; the first shows its tax before it is saved. Field errors first for an empty form.
    const addTransaction = async (title, retail, tax) => {
      await billing.getByTestId("add-transaction").click();
      const dialog = page.getByTestId("add-transaction-modal").getByRole("dialog").or(page.getByRole("dialog", { name: "Add Transaction" }));
      await page.getByTestId("tx-title").fill(title);
      await page.getByTestId("tx-retail").fill(retail);
      if (tax) {
        await page.getByTestId("tx-tax").fill(tax);
        await page.getByTestId("tx-tax-preview").getByText(/7\.50.*82\.50/).waitFor();
        await screenshot(page, "billing-add-transaction");
      }
      await page.getByTestId("tx-submit").click();
      await page.getByText(/Transaction \d+ added/).first().waitFor();
      await dialog.first().waitFor({ state: "detached" }).catch(() => {});
    };
    await billing.getByTestId("add-transaction").click();
    await page.getByTestId("tx-submit").click();
    await page.getByText("Enter a positive amount").waitFor();
    await page.keyboard.press("Escape");
    await addTransaction("Installation Fee", "75.00", "10");
    await addTransaction("Router", "40.00");
    const table = billing.getByTestId("transactions-table");
    await table.getByText("Router").waitFor();
    await table.getByText("Installation Fee").waitFor();
    const routerRow = table.locator("tr", { hasText: "Router" });
    const routerId = Number((await routerRow.getAttribute("data-testid")).replace("tx-row-", ""));

    // Generate: everything included at first, Router excluded; totals and the button follow the clicks.
    await billing.getByTestId("generate-open").click();
    const modal = page.getByRole("dialog", { name: "Generate Proforma Invoice" });
    await modal.getByTestId("preview-table").waitFor();
    await modal.getByTestId("generate-submit").getByText("Generate Invoice (2)").waitFor();
    assert.match(await modal.getByTestId("total-total").innerText(), /122\.50/);
    await modal.getByRole("button", { name: "Exclude Router" }).click();
    assert.equal(await modal.getByTestId(`preview-row-${routerId}`).getAttribute("data-excluded"), "true");
    await modal.getByText("1 Transactions selected").waitFor();
    assert.match(await modal.getByTestId("total-subtotal").innerText(), /75\.00/);
    assert.match(await modal.getByTestId("total-tax").innerText(), /7\.50/);
    assert.match(await modal.getByTestId("total-total").innerText(), /82\.50/);
    await modal.getByRole("button", { name: "Clear All" }).click();
    assert.equal(await modal.getByTestId("generate-submit").isDisabled(), true);
    await modal.getByRole("button", { name: "Select All" }).click();
    await modal.getByRole("button", { name: "Exclude Router" }).click();
    await screenshot(page, "billing-generate-invoice");
    await modal.getByTestId("generate-submit").getByText("Generate Invoice (1)").click();
    await page.getByText(/Invoice \d+ generated for .*82\.50/).waitFor();
    const invoices = billing.getByTestId("invoices-table");
    const firstRow = invoices.locator("tbody tr").first();
    await firstRow.getByText(/82\.50/).waitFor();
    const invoiceId = Number((await firstRow.getAttribute("data-testid")).replace("invoice-row-", ""));
    // The excluded transaction is still unbilled; the included one is billed.
    assert.equal(await routerRow.getAttribute("data-billed"), "no");
    await table.locator("tr", { hasText: "Installation Fee" }).and(page.locator("[data-billed=yes]")).waitFor();

    // Details modal: lines, totals, footer actions for an unpaid invoice.
    await firstRow.click();
    const details = page.getByRole("dialog", { name: `Invoice ${invoiceId}` });
    await details.getByTestId("invoice-total").getByText(/82\.50/).waitFor();
    await details.getByText("$7.50 (10%)").or(details.getByText(/7\.50 \(10%\)/)).first().waitFor();
    for (const name of ["Download PDF", "Send Email", "Pay Invoice", "Delete"]) await details.getByRole("button", { name }).waitFor();
    await page.waitForTimeout(400);  // the modal's opening transition
    await screenshot(page, "billing-invoice-details");

    // PDF download.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      details.getByRole("button", { name: "Download PDF" }).click(),
    ]);
    assert.match(download.suggestedFilename(), /\.pdf$/);
    await page.getByText(/^Downloaded /).first().waitFor();

    // Pay by cash with a reference, from the details footer.
    await details.getByTestId("details-pay").click();
    const pay = page.getByRole("dialog", { name: `Pay invoice ${invoiceId}` });
    await pay.getByText("Cash", { exact: true }).click();
    await pay.getByTestId("pay-reference").fill("Cash paid at desk");
    await screenshot(page, "billing-pay-invoice");
    await pay.getByTestId("pay-submit").click();
    await page.getByText(`Invoice ${invoiceId} paid`).waitFor();
    await invoices.getByTestId(`invoice-row-${invoiceId}`).getByTestId("invoice-status").getByText("Paid").waitFor();
    const paid = await call(server.baseUrl, `/crm/invoice/invoice_id/${invoiceId}`, { token });
    assert.equal(paid.status, "Paid");
    assert.equal(paid.payment_method, "Cash");
    assert.equal(paid.payment_reference, "Cash paid at desk");

    // A second invoice with the router, then voided: its transaction is unbilled again.
    await billing.getByTestId("generate-open").click();
    await modal.getByTestId("generate-submit").getByText("Generate Invoice (1)").click();
    await page.getByText(/Invoice \d+ generated for .*40\.00/).waitFor();
    const second = invoices.locator("tbody tr").first();
    await second.getByText(/40\.00/).waitFor();
    const secondId = Number((await second.getAttribute("data-testid")).replace("invoice-row-", ""));
    await table.locator(`[data-testid=tx-row-${routerId}][data-billed=yes]`).waitFor();
    await second.getByRole("button", { name: `Delete ${secondId}` }).click();
    await page.getByTestId("confirm-danger").click();
    await page.getByText(`Invoice ${secondId} voided; its transactions are unbilled again`).waitFor();
    await table.locator(`[data-testid=tx-row-${routerId}][data-billed=no]`).waitFor();
    await invoices.getByText(/^Void: /).first().waitFor();
    await screenshot(page, "billing-customer-tab");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("shows the system-wide Invoices and Transactions pages with widgets, filters and sorting", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);
    await page.getByTestId("nav-billing").click();
    await page.getByRole("navigation", { name: "Main" }).getByText("Invoices", { exact: true }).click();
    await page.waitForURL(/\/billing\/invoices/);
    const stats = await call(server.baseUrl, "/crm/invoice/stats", { token });
    await page.getByTestId("widget-unpaid").getByTestId("widget-count").getByText(new RegExp(`^${stats.unpaid.count} invoices?$`)).waitFor();
    await page.getByTestId("widget-this_month").getByTestId("trend").waitFor();
    // Filter: paid only.
    await page.getByTestId("filter-paid").click();
    await page.getByRole("option", { name: "Paid", exact: true }).click();
    await page.getByTestId("apply-filters").click();
    await page.waitForURL(/filters=/);
    const rows = page.getByTestId("invoices-table").locator("tbody tr");
    await rows.first().waitFor();
    for (const status of await rows.getByTestId("invoice-status").allTextContents()) assert.equal(status, "Paid");
    await page.getByRole("button", { name: "Amount" }).click();
    await page.waitForURL(/sort=retail_cost/);
    await screenshot(page, "billing-invoices");

    // Generate from the system-wide page: the customer is found by name; the router released by the void is there.
    await page.getByTestId("generate-open").click();
    const modal = page.getByRole("dialog", { name: "Generate Proforma Invoice" });
    await modal.getByText("Choose a customer to see their unbilled transactions").waitFor();
    await modal.getByTestId("generate-customer").fill("Billing E2E");
    await page.getByRole("option", { name: /Billing E2E Ltd/ }).click();
    await modal.getByTestId("preview-table").getByText("Router").waitFor();
    await modal.getByTestId("generate-submit").getByText("Generate Invoice (1)").waitFor();
    assert.match(await modal.getByTestId("generate-customer").inputValue(), /Billing E2E Ltd/);
    await modal.getByRole("button", { name: "Cancel" }).click();

    await page.goto(`${server.baseUrl}/billing/transactions`);
    await page.getByTestId("transactions-table").waitFor();
    await page.getByTestId("widget-unbilled").getByTestId("widget-amount").waitFor();
    await screenshot(page, "billing-transactions");

    await page.goto(`${server.baseUrl}/billing/renewals`);
    const renewal = page.getByTestId("renewal-row").filter({ hasText: "Mobile - +44 7700 900999" });
    await renewal.first().waitFor();
    await screenshot(page, "billing-renewals");
    const before = await renewal.count();
    await renewal.first().getByRole("button", { name: "Remove Auto-Renewal" }).click();
    await page.getByText("The service will not renew automatically.", { exact: false }).waitFor();
    await page.getByTestId("confirm-danger").click();
    await page.getByText("Auto-renewal removed").waitFor();
    await page.getByRole("button", { name: "Refresh" }).click();
    await page.waitForFunction(
      (n) => [...document.querySelectorAll("[data-testid=renewal-row]")].filter((r) => r.textContent.includes("Mobile - +44 7700 900999")).length < n,
      before,
    );

    // Narrow screens: no sideways scrolling of the page itself.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.baseUrl}/billing/invoices`);
    await page.getByTestId("invoices-table").waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
    await screenshot(page, "billing-invoices-390");
    await page.goto(`${server.baseUrl}/dashboard`);
    await page.getByTestId("revenue-chart").waitFor();
    const dashOverflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(dashOverflow <= 0, `dashboard is ${dashOverflow}px wider than the screen`);
    await screenshot(page, "billing-dashboard-390");
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.baseUrl}/dashboards`);
    await page.getByTestId("grafana-none").waitFor();
    await screenshot(page, "billing-grafana");
    assert.deepEqual(errors, []);
    await page.close();
  });
});
