// End-to-end: the issue #7 screens against the real server (customers, Assign Plan + provisioning, service page with
// live balances from the CGRateS simulator, inventory CSV import, products) with a screenshot of each main screen.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { launchBrowser, login, screenshot, startServer, watchErrors } from "./harness.mjs";

/** Pick an option of a Mantine Select/MultiSelect by its label. */
async function choose(page, scope, label, option) {
  await scope.getByLabel(label, { exact: false }).first().click();
  await page.getByRole("option", { name: option }).first().click();
}

describe("staff console screens", { timeout: 170_000 }, () => {
  let server;
  let browser;
  let page;
  let errors;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
    page = await browser.context.newPage();
    errors = watchErrors(page);
    await login(page, server.baseUrl);
    await page.waitForURL(/\/customers$/);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("finds a customer by phone through the global search", async () => {
    const box = page.getByTestId("global-search");
    await box.fill("07700 900789");
    await page.getByRole("listbox").getByRole("option", { name: /John Smith/ }).waitFor();
    await screenshot(page, "global-search");
    await box.press("Enter");
    await page.waitForURL(/\/customers\/2#4$/, { waitUntil: "commit" });
    await page.getByRole("tab", { name: "Contacts", selected: true }).waitFor();
    await page.getByText("07700 900789").waitFor();
    await screenshot(page, "customer-contacts");
  });

  it("creates a customer with a first contact and a site, checking the form first", async () => {
    await page.goto(`${server.baseUrl}/customers/new`);
    await page.getByRole("button", { name: "Create" }).click();
    assert.ok(await page.getByText("Required").count() >= 3, "empty required fields are named before sending");
    await page.getByLabel(/^Customer name/).fill("Acme Fibre Ltd");
    await page.getByLabel(/^First name/).fill("Ada");
    await page.getByLabel(/^Last name/).fill("Lovelace");
    await page.getByLabel(/^Email/).fill("not-an-email");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByText("Enter a valid email address").waitFor();
    await page.getByLabel(/^Email/).fill("ada@acme.example");
    await page.getByLabel(/^Phone/).fill("+44 7700 900555");
    await page.getByLabel(/^Site name/).fill("Head office");
    await page.getByLabel(/^Address line 1/).fill("1 Fibre Way");
    await page.getByLabel(/^City/).fill("London");
    await page.getByLabel(/^Latitude/).fill("51.5074");
    await page.getByLabel(/^Longitude/).fill("-0.1278");
    await screenshot(page, "customer-create");
    await page.getByRole("button", { name: "Create" }).click();
    await page.getByText("Customer created").waitFor();
    await page.waitForURL(/\/customers\/\d+$/);
    await page.getByRole("tab", { name: "Sites" }).click();
    await page.getByText("Head office").waitFor();
    await page.getByTestId("site-plus-code").waitFor();
    await page.getByRole("tab", { name: "Contacts" }).click();
    await page.getByText("ada@acme.example").waitFor();

    // Tags: a coloured pill previewed while typing, shown on the page once saved.
    await page.getByRole("tab", { name: "Tags" }).click();
    await page.getByTestId("add-tag").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Text/).fill("Key account");
    await dialog.getByTestId("tag-preview").getByText("Key account").waitFor();
    await dialog.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("tags-table").getByText("Key account").waitFor();
    await screenshot(page, "customer-tags");
    await page.getByRole("tab", { name: "Activity" }).click();
    await page.getByTestId("activity-table").getByText(/Tag 'Key account'/).waitFor();
    await screenshot(page, "customer-activity");
  });

  it("orders the mobile SIM choosing a SIM and a number, and follows provisioning task by task", async () => {
    await page.goto(`${server.baseUrl}/customers/2#3`);
    await page.getByTestId("assign-plan-open").click();
    const wizard = page.getByRole("dialog");
    await wizard.getByTestId("wizard-next").click();
    await wizard.getByText(/Still missing/).waitFor(); // no product chosen yet
    await wizard.getByTestId("product-card-Mobile-SIM").getByRole("button").click();
    await screenshot(page, "assign-plan-catalogue");
    await wizard.getByTestId("wizard-next").click();
    await choose(page, wizard, "SIM Card", /ICCID: 8961000000000000001/);
    await choose(page, wizard, "Mobile Number", /\+61491570001/);
    await screenshot(page, "assign-plan-inventory");
    await wizard.getByTestId("wizard-next").click();
    if (await wizard.getByTestId("auto-renew-yes").count()) {
      await wizard.getByTestId("auto-renew-yes").click();
      await wizard.getByTestId("wizard-next").click();
    }
    await wizard.getByTestId("assign-review").getByText("Mobile SIM Only").waitFor();
    await wizard.getByTestId("confirm-provision").click();
    const progress = wizard.getByTestId("provision-progress");
    await progress.waitFor();
    await page.waitForFunction(() => document.querySelector('[data-testid="provision-progress"]')?.getAttribute("data-status") !== "running", null, { timeout: 60_000 });
    const status = await progress.getAttribute("data-status");
    await screenshot(page, `assign-plan-${status}`);
    if (status === "success") {
      await wizard.getByTestId("provision-success").waitFor();
    } else {
      // Until the mobile playbook exists the job fails; the failure is shown with the task and a retry.
      assert.equal(status, "failed");
      await wizard.getByTestId("provision-failed").waitFor();
      const firstJob = await page.evaluate(() => document.querySelector('[data-testid="assign-plan"]') !== null);
      assert.ok(firstJob);
      await wizard.getByTestId("provision-retry").click();
      await page.getByText(/Retrying as job \d+/).waitFor();
      await page.waitForFunction(() => document.querySelector('[data-testid="provision-progress"]')?.getAttribute("data-status") === "failed", null, { timeout: 60_000 });
      await wizard.getByRole("link", { name: "View Logs" }).click();
      await page.waitForURL(/\/provisioning\/\d+$/);
      await page.getByTestId("job-tasks").waitFor();
      await screenshot(page, "provisioning-job");
    }
    await page.goto(`${server.baseUrl}/provisioning`);
    await page.getByTestId("provisioning-table").getByText("Mobile SIM Only").first().waitFor();
    await screenshot(page, "provisioning-list");
  });

  it("shows the service's balances as bars and a usage chart, and cancels its auto-renew", async () => {
    await page.goto(`${server.baseUrl}/services`);
    await page.getByTestId("services-table").getByText("Mobile - +44 7700 900999").click();
    await page.waitForURL(/\/services\/\d+$/);
    await page.getByTestId("balance-DATA").getByText("75%").waitFor();
    await page.getByTestId("balance-SMS").waitFor();
    await page.getByTestId("balance-MONETARY").waitFor();
    await page.getByTestId("usage-chart").waitFor();
    await page.getByTestId("action-plans").getByText("Prepaid Mobile 20GB").waitFor();
    await screenshot(page, "service");
    await page.getByTestId("cancel-auto-renew").click();
    await page.getByTestId("confirm-danger").click();
    await page.getByText("Auto-renew cancelled").waitFor();
    await page.getByTestId("no-action-plans").waitFor();
  });

  it("imports a small inventory CSV with one bad row: row-by-row report, then the good rows with progress", async () => {
    await page.goto(`${server.baseUrl}/inventory`);
    await page.getByTestId("inventory-table").waitFor();
    await screenshot(page, "inventory-items");
    await page.getByTestId("import-csv").click();
    const modal = page.getByRole("dialog");
    await choose(page, modal, "Inventory type", "SIM Card");
    const csv = [
      "ICCID,IMSI,Ki,OPc,SIM Type",
      "8961000000000009001,001010000009001,00112233445566778899AABBCCDDEEFF,FFEEDDCCBBAA99887766554433221100,Physical",
      "8961000000000000001,001010000009002,00112233445566778899AABBCCDDEEFF,FFEEDDCCBBAA99887766554433221100,Physical",
      "8961000000000009003,001010000009003,00112233445566778899AABBCCDDEEFF,FFEEDDCCBBAA99887766554433221100,eSIM",
    ].join("\n");
    await modal.locator('input[type="file"]').setInputFiles({ name: "sims.csv", mimeType: "text/csv", buffer: Buffer.from(csv) });
    await modal.getByTestId("import-check").click();
    await modal.getByTestId("import-report").waitFor();
    await modal.getByTestId("invalid-rows").getByText("1 rows with problems").waitFor();
    await modal.getByText(/already in the inventory/).waitFor();
    await screenshot(page, "inventory-import-report");
    await modal.getByTestId("import-run").click();
    await modal.getByTestId("import-done").getByText("2 items imported").waitFor();
    await modal.getByRole("button", { name: "Close" }).last().click();
    await page.getByLabel("Search ICCID, number, serial…").fill("8961000000000009003");
    await page.getByTestId("inventory-table").getByText("8961000000000009003").waitFor();
    await page.goto(`${server.baseUrl}/inventory?tab=templates`);
    await page.getByTestId("templates-table").getByText("SIM Card").waitFor();
    await screenshot(page, "inventory-templates");
  });

  it("manages products in the five-tab modal: validation, clone, disable", async () => {
    await page.goto(`${server.baseUrl}/products`);
    await page.getByTestId("products-table").getByText("Mobile SIM Only").waitFor();
    await screenshot(page, "products");
    await page.getByRole("button", { name: "Clone Product Mobile SIM Only" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByTestId("product-form").waitFor();
    for (const tab of ["Basic Information", "Pricing", "Configuration", "Provisioning", "Availability"]) {
      await dialog.getByRole("tab", { name: tab }).waitFor();
    }
    await dialog.getByRole("tab", { name: "Pricing" }).click();
    await dialog.getByLabel(/^Retail cost/).fill("abc");
    await dialog.getByRole("tab", { name: "Basic Information" }).click();
    await dialog.getByRole("button", { name: "Save changes" }).click();
    await dialog.getByText("An amount like 12.50").waitFor(); // the form opened the tab holding the error
    await dialog.getByLabel(/^Retail cost/).fill("9.99");
    await screenshot(page, "product-modal");
    await dialog.getByRole("button", { name: "Save changes" }).click();
    // The API refuses a playbook that is not in Provisioners/plays: its message shows under the field, on its tab.
    const play = dialog.getByLabel(/^Provisioning play/);
    const refused = dialog.getByText(/no playbook .*\.yaml/);
    await page.getByText(/Mobile SIM Only_clone saved/).or(refused).first().waitFor();
    if (await refused.count()) {
      await dialog.getByRole("tab", { name: "Provisioning", selected: true }).waitFor();
      await screenshot(page, "product-modal-api-error");
      await play.fill("");
      await dialog.getByRole("button", { name: "Save changes" }).click();
    }
    await page.getByText(/Mobile SIM Only_clone saved/).waitFor();
    const row = page.getByTestId("product-row-Mobile-SIM_clone");
    await row.getByRole("switch").dispatchEvent("click"); // a clone starts disabled: enable it (no confirmation)
    await page.getByText("Mobile SIM Only_clone enabled").waitFor();
    await row.locator('input[role="switch"]:checked:not(:disabled)').waitFor(); // the list shows it enabled
    await row.getByRole("switch").dispatchEvent("click");
    await page.getByTestId("confirm-danger").click();
    await page.getByText("Mobile SIM Only_clone disabled").waitFor();
  });

  it("fits a phone screen (390 px) on the service page and in the wizard", async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${server.baseUrl}/services/1`);
    await page.getByTestId("balance-DATA").waitFor();
    let overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `service page is ${overflow}px wider than the phone`);
    await screenshot(page, "service-390");
    await page.goto(`${server.baseUrl}/customers/2#3`);
    await page.getByTestId("assign-plan-open").click();
    await page.getByTestId("product-carousel").waitFor();
    overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `wizard is ${overflow}px wider than the phone`);
    await screenshot(page, "assign-plan-390");
    await page.setViewportSize({ width: 1280, height: 800 });
    assert.deepEqual(errors, []);
  });
});
