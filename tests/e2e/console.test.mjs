// End-to-end: the staff console against the real server (see harness.mjs).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, launchBrowser, login, screenshot, startServer, watchErrors } from "./harness.mjs";

describe("staff console", { timeout: 180_000 }, () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it("refuses a wrong password with the spec's message", async () => {
    const page = await browser.context.newPage();
    await login(page, server.baseUrl, { email: ADMIN.email, password: "wrong-password" });
    await page.getByTestId("login-error").getByText("Invalid email or password").waitFor();
    assert.match(new URL(page.url()).pathname, /^\/login/);
    await screenshot(page, "login-error");
    await page.close();
  });

  it("logs in, shows the shell, opens Users, and logs out", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);

    await page.goto(`${server.baseUrl}/users`);
    await page.waitForURL(/\/login\?next=%2Fusers/);
    await screenshot(page, "login");
    // A deep link survives the login: /users was asked for, /users is shown.
    await page.getByLabel(/^Email address/).fill(ADMIN.email);
    await page.getByLabel(/^Password/).fill(ADMIN.password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/users$/);
    await page.getByTestId("users-table").getByText(ADMIN.email).waitFor();
    await screenshot(page, "users");

    // The shell: menu entries for an admin, the global search box.
    const nav = page.getByRole("navigation", { name: "Main" });
    for (const entry of ["Customers", "Services", "Products", "Inventory", "Provisioning", "Users & roles"]) {
      await nav.getByText(entry, { exact: true }).waitFor();
    }
    await page.getByTestId("global-search").waitFor();

    // A client-side route survives a reload (Flask answers index.html).
    await page.reload();
    await page.getByTestId("users-table").getByText(ADMIN.email).waitFor();

    await nav.getByText("Customers", { exact: true }).click();
    await page.waitForURL(/\/customers$/);
    await page.getByTestId("customers-table").waitFor();
    await screenshot(page, "customers");

    await page.getByTestId("user-menu").click();
    await page.getByTestId("logout").click();
    await page.waitForURL(/\/login$/);
    await page.getByText("You have been logged out.").waitFor();

    // Logged out means logged out: the protected page sends us back to the login.
    await page.goto(`${server.baseUrl}/users`);
    await page.waitForURL(/\/login\?next=/);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("creates, deletes and restores a user with feedback at each step", async () => {
    const page = await browser.context.newPage();
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);
    await page.goto(`${server.baseUrl}/users`);
    await page.getByTestId("new-user").click();
    const dialog = page.getByRole("dialog");
    // The form checks before sending: an empty form names the required fields.
    await dialog.getByRole("button", { name: "Create" }).click();
    await dialog.getByText("Required").first().waitFor();
    await dialog.getByLabel(/^Username/).fill("jsmith");
    await dialog.getByLabel(/^First name/).fill("John");
    await dialog.getByLabel(/^Last name/).fill("Smith");
    await dialog.getByLabel(/^Email/).fill("john.smith@example.com");
    await dialog.getByLabel(/^Password/).fill("Str0ng!pass");
    await dialog.getByLabel(/^Roles/).click();
    await page.getByRole("option", { name: "admin", exact: true }).click();
    await dialog.getByLabel(/^Roles/).press("Escape");
    await dialog.getByRole("button", { name: "Create" }).click();
    await page.getByText("User john.smith@example.com created").waitFor();
    await page.getByTestId("users-table").getByText("john.smith@example.com").waitFor();
    await screenshot(page, "users-created");

    await page.getByRole("button", { name: "Delete john.smith@example.com" }).click();
    await page.getByTestId("confirm-danger").click();
    await page.getByText("User john.smith@example.com deleted").waitFor();
    await page.getByTestId("users-table").getByText("john.smith@example.com").waitFor({ state: "detached" });

    await page.getByRole("dialog").waitFor({ state: "detached" }); // the confirmation has finished closing
    // The switch follows the URL, which updates a moment after the click: click, then wait for the URL.
    await page.getByLabel("Show deleted users").dispatchEvent("click");
    await page.waitForURL(/filters=/);
    await page.getByRole("button", { name: "Restore john.smith@example.com" }).click();
    await page.getByText("User john.smith@example.com restored").waitFor();
    await page.close();
  });

  it("works at phone width (390 px)", async () => {
    const page = await browser.context.newPage();
    await page.setViewportSize({ width: 390, height: 844 });
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);
    await page.getByRole("button", { name: "Open menu" }).click();
    await page.getByRole("navigation", { name: "Main" }).getByText("Users & roles").click();
    await page.waitForURL(/\/users$/);
    await page.getByTestId("users-table").getByText(ADMIN.email).waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `page is ${overflow}px wider than the phone screen`);
    await screenshot(page, "users-390");
    await page.close();
  });
  // The other tests fail on any console error, which is how a resource blocked by the CSP shows up.
  it("serves the console and the Swagger UI under their Content-Security-Policy", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    const consolePolicy = (await page.goto(`${server.baseUrl}/login`)).headers()["content-security-policy"];
    assert.match(consolePolicy, /script-src 'self' https:\/\/js\.stripe\.com;/);
    assert.match(consolePolicy, /frame-ancestors 'none'/);
    const docsPolicy = (await page.goto(`${server.baseUrl}/crm/docs`)).headers()["content-security-policy"];
    assert.match(docsPolicy, /frame-ancestors 'none'/);
    await page.getByText("OmniCRM API").first().waitFor();
    await page.locator(".opblock-tag").first().waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
