import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { TwoFactorSetup } from "./TwoFactorSetup";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const CODES = ["11111111", "22222222", "33333333", "44444444", "55555555", "66666666", "77777777", "88888888", "99999999", "10101010"];

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("2FA enrolment wizard", () => {
  it("goes password → QR and backup codes → code → enabled, refusing a wrong password and code on the way", async () => {
    sessionStore.set({
      token: "t", roles: ["admin"], permissions: ["admin"], force_password_change: false, remember: false,
      user: { id: 5, username: "a", email: "a@example.com", first_name: "A", last_name: "B", roles: ["admin"], is_2fa_enabled: false },
    });
    const bodies: Array<[string, unknown]> = [];
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url);
      const body = init?.body ? JSON.parse(String(init.body)) : undefined;
      bodies.push([path, body]);
      if (path.endsWith("/auth/me")) return json(200, { user: sessionStore.get()?.user, roles: ["admin"], permissions: ["admin"] });
      if (path === "/crm/2fa/enable/user/5") {
        return body.password === "Right1!x"
          ? json(200, { totp_secret: "JBSWY3DPEHPK3PXP", qr_code_url: "otpauth://totp/OmniCRM:a@example.com?secret=JBSWY3DPEHPK3PXP&issuer=OmniCRM", backup_codes: CODES })
          : json(400, { message: "Validation failed", errors: { password: "is not correct" } });
      }
      if (path === "/crm/2fa/verify-setup/user/5") {
        return body.code === "123456" ? json(200, { verified: true }) : json(400, { message: "Validation failed", errors: { code: "bad" } });
      }
      return json(404, {});
    });
    vi.stubGlobal("fetch", fetchImpl);
    render(
      <MantineProvider>
        <QueryClientProvider client={new QueryClient()}>
          <AuthProvider><TwoFactorSetup opened onClose={() => undefined} /></AuthProvider>
        </QueryClientProvider>
      </MantineProvider>,
    );

    await userEvent.type(screen.getByLabelText(/Current password/), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect(await screen.findByText("The password is not correct")).toBeTruthy();

    await userEvent.clear(screen.getByLabelText(/Current password/));
    await userEvent.type(screen.getByLabelText(/Current password/), "Right1!x");
    await userEvent.click(screen.getByRole("button", { name: "Continue" }));
    expect((await screen.findByTestId("qr-code")).getAttribute("data-value")).toContain("otpauth://totp/OmniCRM:");
    expect(screen.getByTestId("backup-codes").textContent).toBe(CODES.join(""));
    expect(screen.getByRole("button", { name: "Copy Codes" })).toBeTruthy();

    await userEvent.type(screen.getByLabelText(/6-digit code/), "12345");
    await userEvent.click(screen.getByRole("button", { name: "Confirm" }));
    expect(await screen.findByText("Enter the 6 digits shown by the app")).toBeTruthy();
    await userEvent.type(screen.getByLabelText(/6-digit code/), "0");
    await userEvent.click(screen.getByRole("button", { name: "Confirm" }));
    expect(await screen.findByText(/That code is not valid/)).toBeTruthy();
    await userEvent.clear(screen.getByLabelText(/6-digit code/));
    await userEvent.type(screen.getByLabelText(/6-digit code/), "123456");
    await userEvent.click(screen.getByRole("button", { name: "Confirm" }));
    await screen.findByTestId("two-factor-enabled");
    await waitFor(() => expect(sessionStore.get()?.user.is_2fa_enabled).toBe(true));
    expect(bodies.filter(([path]) => path.includes("/2fa/")).map(([, body]) => body)).toEqual([
      { password: "wrong" }, { password: "Right1!x" }, { code: "123450" }, { code: "123456" },
    ]);
  });
});
