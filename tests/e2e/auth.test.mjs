// End-to-end: 2FA enrolment and login with a code, and the forgot-password screen (spec 02 §7.3, §7.5, §7.6).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { ADMIN, currentStep, launchBrowser, login, screenshot, startServer, totp, watchErrors } from "./harness.mjs";

describe("sign-in screens", { timeout: 180_000 }, () => {
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

  it("RFC 6238 test vector", () => {
    // RFC 6238 appendix B, SHA1, T = 59 s: 94287082 (8 digits) ends in the 6-digit code 287082.
    assert.equal(totp("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ", 1), "287082");
  });

  it("an admin enrols 2FA with the wizard, logs out and logs in with a code", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await login(page, server.baseUrl);
    await page.waitForURL(/\/dashboard$/);

    await page.getByTestId("user-menu").click();
    await page.getByTestId("enable-2fa").click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Current password").fill(ADMIN.password);
    const enrolled = page.waitForResponse((r) => r.url().includes("/crm/2fa/enable/user/") && r.ok());
    await dialog.getByRole("button", { name: "Continue" }).click();
    const { qr_code_url: uri, backup_codes: codes } = await (await enrolled).json();
    const secret = new URL(uri).searchParams.get("secret");
    assert.ok(secret);
    assert.equal(await dialog.getByTestId("qr-code").getAttribute("data-value"), uri);
    assert.equal(codes.length, 10);
    for (const code of codes) await dialog.getByTestId("backup-codes").getByText(code, { exact: true }).waitFor();
    await dialog.getByRole("button", { name: "Copy Codes" }).waitFor();
    await screenshot(page, "2fa-setup");

    const setupStep = currentStep();
    await dialog.getByLabel("6-digit code").fill(totp(secret, setupStep));
    await dialog.getByRole("button", { name: "Confirm", exact: true }).click();
    await dialog.getByTestId("two-factor-enabled").waitFor();
    await dialog.getByRole("button", { name: "Close", exact: true }).click();

    // Enabled: the menu no longer offers it.
    await page.getByTestId("user-menu").click();
    await page.getByTestId("logout").waitFor();
    assert.equal(await page.getByTestId("enable-2fa").count(), 0);
    await page.getByTestId("logout").click();
    await page.waitForURL(/\/login$/);

    await login(page, server.baseUrl);
    await page.getByTestId("two-factor-challenge").waitFor();
    await screenshot(page, "2fa-challenge");
    // A code is accepted once: use the next window's code (the API accepts ±1 step) if the setup used this one.
    const loginStep = Math.max(currentStep(), setupStep + 1);
    await page.getByLabel("6-digit code").fill(totp(secret, loginStep));
    // No button: the 6th digit sends the code.
    await page.waitForURL(/\/dashboard$/);
    await page.getByTestId("fig-active-services").waitFor();

    // The administrator's "Reset 2FA" (confirmed) turns it off again: the wizard is offered again.
    await page.goto(`${server.baseUrl}/users`);
    await page.getByRole("button", { name: `Reset 2FA ${ADMIN.email}` }).click();
    await page.getByTestId("confirm-danger").click();
    await page.getByText("can now log in with their password only").waitFor();
    await page.getByRole("button", { name: `Reset 2FA ${ADMIN.email}` }).waitFor({ state: "detached" });
    await page.getByTestId("user-menu").click();
    await page.getByTestId("enable-2fa").waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("remember me: the refresh token is an HttpOnly cookie the console renews itself with; sessions are listed", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.baseUrl}/login`);
    await page.getByLabel(/^Email address/).fill(ADMIN.email);
    await page.getByLabel(/^Password/).fill(ADMIN.password);
    await page.getByLabel("Remember me for 30 days").check();
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.waitForLoadState("networkidle");  // the console has stored its session: the edit below sticks

    const cookies = await browser.context.cookies(server.baseUrl + "/crm/auth/refresh");
    const refresh = cookies.find((c) => c.name === "refresh_token");
    assert.ok(refresh && refresh.httpOnly && refresh.secure && refresh.sameSite === "Strict");
    assert.ok(refresh.expires * 1000 - Date.now() > 29 * 24 * 3600 * 1000);  // remember me: 30 days
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!stored.includes(refresh.value) && !stored.includes("refresh_token"));

    // An expired access token: the console renews it with the cookie and the page still loads.
    await page.evaluate(() => {
      const session = JSON.parse(localStorage.getItem("omnicrm.session"));
      localStorage.setItem("omnicrm.session", JSON.stringify({ ...session, token: "expired" }));
    });
    const renewed = page.waitForResponse((r) => r.url().endsWith("/crm/auth/refresh") && r.ok());
    await page.goto(`${server.baseUrl}/sessions`);
    await renewed;
    const table = page.getByTestId("sessions-table");
    await table.getByText("This device").waitFor();
    await screenshot(page, "sessions");

    // Logging out ends the session and removes the cookie.
    await page.getByTestId("user-menu").click();
    await page.getByTestId("logout").click();
    await page.waitForURL(/\/login$/);
    const left = await browser.context.cookies(server.baseUrl + "/crm/auth/refresh");
    assert.equal(left.find((c) => c.name === "refresh_token"), undefined);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("forgot password shows the API's answer", async () => {
    const page = await browser.context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.baseUrl}/login`);
    await page.getByRole("link", { name: "Forgot your password?" }).click();
    await page.waitForURL(/\/forgot-password$/);
    await page.getByLabel(/^Email address/).fill("nobody@example.com");
    await page.getByRole("button", { name: "Send Reset Link" }).click();
    await page.getByTestId("forgot-sent").getByText("If an account exists for that e-mail address, reset instructions have been sent to it").waitFor();
    await screenshot(page, "forgot-password");

    // A link with a made-up token: the new password is refused and a new link offered.
    await page.goto(`${server.baseUrl}/reset-password/not-a-real-token`);
    await page.getByLabel(/^Password/).fill("Newpass1!");
    await page.getByLabel(/^Confirm Password/).fill("Newpass1!");
    await page.getByRole("button", { name: "Reset Password" }).click();
    await page.getByRole("link", { name: "Request New Reset Link" }).waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });
});
