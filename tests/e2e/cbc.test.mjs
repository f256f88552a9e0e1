// End-to-end: Cell Broadcast two-person rule (issue 19). A creator makes an earthquake alert from its template for
// two tracking areas; nothing reaches the CBC; a second user approves it with their own TOTP code; the CBC double
// received exactly that alert.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, call, currentStep, launchBrowser, login, screenshot, startServer, totp, watchErrors } from "./harness.mjs";

const PASSWORD = "Cbc-Passw0rd!x";

describe("cell broadcast", { timeout: 240_000 }, () => {
  let server;
  let cbcUrl;
  let creatorBrowser;
  let approverBrowser;

  before(async () => {
    server = await startServer({ demo: false });
    cbcUrl = server.log().match(/CBC_SIM (http:\/\/\S+)/)[1];
    creatorBrowser = await launchBrowser();
    approverBrowser = await launchBrowser();
  });

  after(async () => {
    await creatorBrowser?.close();
    await approverBrowser?.close();
    await server?.stop();
  });

  it("an earthquake alert for two tracking areas is sent only after a second user approves with TOTP", async () => {
    const admin = (await call(server.baseUrl, "/crm/auth/login", { method: "POST", body: ADMIN })).token;
    const user = (name, role) => call(server.baseUrl, "/crm/auth/users", {
      token: admin, method: "POST",
      body: { username: name, email: `${name}@example.com`, password: PASSWORD, first_name: name, last_name: "E2E", roles: [role] },
    });
    const creator = await user("creator", "CBC Message Creator");
    const approver = await user("approver", "CBC Message Approver");

    // The creator composes the alert in the console.
    const page = await creatorBrowser.context.newPage();
    const errors = watchErrors(page);
    await login(page, server.baseUrl, { email: creator.email, password: PASSWORD });
    await page.getByRole("link", { name: "Cell Broadcast" }).click();
    await page.getByTestId("cbc-table").waitFor();
    await page.getByTestId("cbc-create").click();
    await page.getByTestId("cbc-template").click();
    await page.getByRole("option", { name: "Earthquake (4352)" }).click();
    await page.getByTestId("cbc-body-0").waitFor();
    assert.match(await page.getByTestId("cbc-body-0").inputValue(), /^EARTHQUAKE WARNING/);
    assert.equal(await page.getByTestId("cbc-counter-0").getAttribute("data-encoding"), "GSM-7");
    assert.equal(await page.getByTestId("cbc-counter-1").getAttribute("data-encoding"), "UCS-2");
    // No targeting yet: the all-cells warning is shown and the review is blocked until confirmed.
    await page.getByTestId("cbc-all-cells-warning").waitFor();
    for (const [i, tac, rat] of [[0, "12345", "LTE"], [1, "12346", "5G"]]) {
      await page.getByTestId("cbc-add-area").click();
      await page.getByTestId(`cbc-tac-${i}`).fill(tac);
      await page.getByTestId(`cbc-operator-${i}`).fill("310-410");
      if (rat !== "LTE") {
        await page.getByTestId(`cbc-rat-${i}`).click();
        await page.getByRole("option", { name: rat, exact: true }).click();
      }
    }
    assert.equal(await page.getByTestId("cbc-all-cells-warning").count(), 0);
    // Typing updates the remaining count at once.
    const before = Number(await page.getByTestId("cbc-counter-0").getAttribute("data-remaining"));
    await page.getByTestId("cbc-body-0").fill(`${await page.getByTestId("cbc-body-0").inputValue()} €`);
    assert.equal(Number(await page.getByTestId("cbc-counter-0").getAttribute("data-remaining")), before - 3);
    await screenshot(page, "cbc-create");

    await page.getByTestId("cbc-review-button").click();
    const review = JSON.parse(await page.getByTestId("cbc-review-payload").textContent());
    assert.equal(review.messageIdentifier, "4352");
    assert.deepEqual(review.tracking_areas.map((a) => [a.tracking_area, a.operator, a.rat_type]),
      [["12345", "310-410", "LTE"], ["12346", "310-410", "5G"]]);
    await screenshot(page, "cbc-review");
    await page.getByTestId("cbc-send").click();
    await page.waitForURL(/\/cbc\/\d+$/);
    const alertId = Number(new URL(page.url()).pathname.split("/").pop());
    await page.getByTestId("cbc-status").getByText("Pending approval").waitFor();
    await screenshot(page, "cbc-pending");
    let sim = await (await fetch(`${cbcUrl}/_sim/received`)).json();
    assert.equal(sim.received.length, 0, "nothing reaches the CBC before approval");
    assert.deepEqual(errors, []);

    // The approver enrols 2FA, logs in with a code and approves with another.
    const approverToken = (await call(server.baseUrl, "/crm/auth/login", {
      method: "POST", body: { email: approver.email, password: PASSWORD } })).token;
    const { totp_secret: secret } = await call(server.baseUrl, `/crm/2fa/enable/user/${approver.id}`, {
      token: approverToken, method: "POST", body: { password: PASSWORD } });
    const setupStep = currentStep() - 1; // each code is accepted once: setup, login and approval use three steps
    await call(server.baseUrl, `/crm/2fa/verify-setup/user/${approver.id}`, {
      token: approverToken, method: "POST", body: { code: totp(secret, setupStep) } });
    const page2 = await approverBrowser.context.newPage();
    const errors2 = watchErrors(page2);
    await login(page2, server.baseUrl, { email: approver.email, password: PASSWORD });
    await page2.getByTestId("two-factor-challenge").waitFor();
    await page2.getByLabel("6-digit code").fill(totp(secret, setupStep + 1));
    await page2.waitForURL(/\/dashboard$/);
    await page2.getByRole("link", { name: "Cell Broadcast" }).click();
    await page2.getByTestId("cbc-status-filter").getByText("Pending approval").click();
    await page2.getByTestId(`cbc-row-${alertId}`).click();
    await page2.getByTestId("cbc-approval").waitFor();
    await page2.locator("[data-testid=cbc-totp] input").first().click();
    await page2.keyboard.type(totp(secret, Math.max(currentStep(), setupStep + 2)));
    await screenshot(page2, "cbc-approve");
    await page2.getByTestId("cbc-approve").click();
    await page2.getByTestId("cbc-status").getByText("Active").waitFor();
    await page2.getByTestId("cbc-approver").getByText(approver.email).waitFor();
    await page2.getByTestId("cbc-ack").waitFor();
    await screenshot(page2, "cbc-active");

    sim = await (await fetch(`${cbcUrl}/_sim/received`)).json();
    assert.equal(sim.received.length, 1);
    const sent = sim.received[0];
    assert.equal(sent.path, "/alerts/send");
    assert.equal(sent.body.messageIdentifier, "4352");
    assert.equal(sent.body.category, "extreme");
    assert.deepEqual(sent.body.tracking_areas.map((a) => a.tracking_area), ["12345", "12346"]);
    assert.deepEqual(sent.body.localized_messages.map((m) => m.language), ["en", "es"]);
    assert.match(sent.body.localized_messages[0].messageBody, /^EARTHQUAKE WARNING.* €$/);
    assert.equal(sim.alerts[sent.body.cbc_unique_id].state, "broadcasting");
    // The alert page shows exactly what the CBC received, and the list shows it active.
    assert.deepEqual(JSON.parse(await page2.getByTestId("cbc-payload").textContent()), sent.body);
    await page2.getByRole("link", { name: "Cell Broadcast" }).click();
    await page2.getByTestId(`cbc-row-${alertId}`).getByText("Active").waitFor();
    await screenshot(page2, "cbc-list");
    assert.deepEqual(errors2, []);

    // The creator changes the text of the live extreme alert: it is held as a pending update (the CBC hears
    // nothing) until another approver approves it with their own TOTP code.
    const lastStep = Math.max(currentStep(), setupStep + 2);
    await page.goto(`${server.baseUrl}/cbc/${alertId}`);
    await page.getByTestId("cbc-edit").click();
    await page.getByTestId("cbc-update-needs-approval").waitFor();
    const updated = "EARTHQUAKE UPDATE: Aftershocks possible. Stay outside, away from buildings.";
    await page.getByTestId("cbc-body-0").fill(updated);
    await page.getByRole("dialog").getByRole("button", { name: "Save" }).click();
    await page.getByTestId("cbc-pending-update").waitFor();
    assert.equal(await page.getByTestId("cbc-pending-text").first().textContent(), updated);
    await page.getByTestId("cbc-status").getByText("Active").waitFor();
    assert.equal(await page.getByTestId("cbc-update-approve").count(), 0, "the proposer has no approve button");
    await screenshot(page, "cbc-update-pending");
    sim = await (await fetch(`${cbcUrl}/_sim/received`)).json();
    assert.equal(sim.received.length, 1, "nothing new reaches the CBC before the update is approved");

    await page2.goto(`${server.baseUrl}/cbc/${alertId}`);
    await page2.getByTestId("cbc-update-approval").waitFor();
    while (currentStep() < lastStep) await new Promise((resolve) => setTimeout(resolve, 1000)); // a fresh code
    await page2.locator("[data-testid=cbc-update-totp] input").first().click();
    await page2.keyboard.type(totp(secret, lastStep + 1));
    await screenshot(page2, "cbc-update-approve");
    await page2.getByTestId("cbc-update-approve").click();
    await page2.getByTestId("cbc-pending-update").waitFor({ state: "detached" });
    sim = await (await fetch(`${cbcUrl}/_sim/received`)).json();
    assert.equal(sim.received.length, 2);
    assert.equal(sim.received[1].body.update, true);
    assert.equal(sim.received[1].body.localized_messages[0].messageBody, updated);
    const history = (await call(server.baseUrl, `/crm/cbc/${alertId}`, { token: admin })).history.map((h) => h.action);
    assert.deepEqual(history.slice(-3), ["update_proposed", "update_approved", "updated_sent"]);
    assert.deepEqual(errors2, []);

    // Zones: drawn on the map (no tile server configured: a plain grid, nothing fetched from outside).
    await page.goto(`${server.baseUrl}/cbc/zones`);
    const map = page.getByTestId("cbc-map");
    await map.waitFor();
    const box = await map.boundingBox();
    for (const [dx, dy] of [[200, 100], [420, 130], [300, 280]]) await page.mouse.click(box.x + dx, box.y + dy);
    const points = page.getByRole("textbox", { name: /^Points/ });
    assert.equal((await points.inputValue()).split("\n").length, 3);
    await page.getByRole("textbox", { name: "Zone name" }).fill("Coastal Region");
    await screenshot(page, "cbc-zone-draw");
    await page.getByTestId("cbc-add-area").click();
    await page.getByTestId("cbc-tac-0").fill("777");
    await page.getByTestId("cbc-operator-0").fill("505-01");
    await page.getByRole("button", { name: "Save" }).click();
    await page.getByTestId("cbc-zones").getByText("Coastal Region").waitFor();
    await screenshot(page, "cbc-zones");
    const zones = await call(server.baseUrl, "/crm/cbc/zones", { token: admin });
    assert.equal(zones.data[0].shape, "polygon");
    assert.equal(zones.data[0].coordinates.length, 4); // ring closed by the API
    assert.deepEqual(errors, []);
    await page.close();
    await page2.close();
  });
});
