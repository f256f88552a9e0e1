import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen } from "@testing-library/react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { Shell } from "./Shell";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

function renderShell(twoFactorRequired: boolean) {
  vi.stubGlobal("fetch", vi.fn(async () => json(403, { message: "Set up two-factor authentication first", two_factor_enrolment_required: true })));
  sessionStore.set({
    token: "t", roles: ["Finance"], permissions: ["view_customer"], force_password_change: false, remember: false,
    two_factor_enrolment_required: twoFactorRequired,
    user: { id: 9, username: "f", email: "f@example.com", first_name: "F", last_name: "In", roles: ["Finance"], is_2fa_enabled: false },
  });
  render(
    <MantineProvider>
      <ModalsProvider>
        <QueryClientProvider client={new QueryClient()}>
          <MemoryRouter><AuthProvider><Shell /></AuthProvider></MemoryRouter>
        </QueryClientProvider>
      </ModalsProvider>
    </MantineProvider>,
  );
}

describe("shell", () => {
  it("opens 2FA enrolment at once for a grace login (2FA required by policy)", async () => {
    renderShell(true);
    expect(await screen.findByRole("dialog")).toBeTruthy();
    expect(screen.getByLabelText("Current password")).toBeTruthy();
  });

  it("does not push enrolment on users who are not required to enrol", () => {
    renderShell(false);
    expect(screen.queryByRole("dialog")).toBeNull();
  });
});
