import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { UsersPage } from "./UsersPage";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const user = (id: number, email: string, loginCount: number) => ({
  id, username: email, email, first_name: "F", last_name: `L${id}`, roles: ["Support"], active: true, deleted: false,
  is_2fa_enabled: false, login_count: loginCount, last_login: loginCount ? "2026-12-01T10:00:00Z" : null,
});

/** The users page as the logged-in admin (user 1). */
function renderAsAdmin() {
  sessionStore.set({
    token: "t", roles: ["admin"], permissions: ["admin"], force_password_change: false, remember: false,
    user: { id: 1, username: "admin", email: "admin@example.com", first_name: "A", last_name: "D", roles: ["admin"] },
  });
  render(
    <MantineProvider>
      <Notifications />
      <ModalsProvider>
        <QueryClientProvider client={new QueryClient()}>
          <MemoryRouter><AuthProvider><UsersPage /></AuthProvider></MemoryRouter>
        </QueryClientProvider>
      </ModalsProvider>
    </MantineProvider>,
  );
}

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("users page", () => {
  it("sends the welcome e-mail to a user who never logged in, and signs another out everywhere", async () => {
    const calls: string[] = [];
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url).split("?")[0];
      calls.push(`${init?.method ?? "GET"} ${path}`);
      if (path === "/crm/auth/users") {
        return json(200, { data: [user(2, "new@example.com", 0), user(3, "old@example.com", 4)], pagination: { current_page: 1, per_page: 20, total_pages: 1, total_items: 2 } });
      }
      if (path === "/crm/auth/users/2/send_welcome_email") return json(200, { message: "Welcome e-mail sent to new@example.com", status: "sent" });
      if (path === "/crm/auth/users/3/sessions") return json(200, { message: "2 session(s) of old@example.com ended", ended: 2 });
      return json(200, { user: sessionStore.get()?.user, roles: ["admin"], permissions: ["admin"] });
    });
    vi.stubGlobal("fetch", fetchImpl);
    renderAsAdmin();
    const newRow = await screen.findByTestId("user-row-2");
    const oldRow = screen.getByTestId("user-row-3");
    expect(within(oldRow).queryByRole("button", { name: /Send welcome email/ })).toBeNull();  // logged in before

    await userEvent.click(within(newRow).getByRole("button", { name: "Send welcome email new@example.com" }));
    await userEvent.click(await screen.findByTestId("confirm-send-welcome"));
    expect(await screen.findByText("Welcome e-mail sent to new@example.com")).toBeTruthy();
    expect(calls).toContain("POST /crm/auth/users/2/send_welcome_email");

    expect(within(newRow).queryByRole("button", { name: /Sign out everywhere/ })).toBeNull();
    await userEvent.click(within(oldRow).getByRole("button", { name: "Sign out everywhere old@example.com" }));
    await userEvent.click(await screen.findByTestId("confirm-danger"));
    await waitFor(() => expect(calls).toContain("DELETE /crm/auth/users/3/sessions"));
  });
  it("shows a pending address and resends its verification e-mail", async () => {
    const calls: string[] = [];
    vi.stubGlobal("fetch", vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url).split("?")[0];
      calls.push(`${init?.method ?? "GET"} ${path}`);
      if (path === "/crm/auth/users") {
        const changing = { ...user(2, "vera@example.com", 1), email_verified: true, pending_email: "vera.new@example.com" };
        const verified = { ...user(3, "old@example.com", 4), email_verified: true, pending_email: null };
        return json(200, { data: [changing, verified], pagination: { current_page: 1, per_page: 20, total_pages: 1, total_items: 2 } });
      }
      if (path === "/crm/auth/users/2/resend_verification") return json(200, { message: "Verification e-mail sent to vera.new@example.com" });
      return json(200, { user: sessionStore.get()?.user, roles: ["admin"], permissions: ["admin"] });
    }));
    renderAsAdmin();
    const row = await screen.findByTestId("user-row-2");
    expect(within(row).getByText("changing to vera.new@example.com (waiting for verification)")).toBeTruthy();
    expect(within(screen.getByTestId("user-row-3")).queryByRole("button", { name: /Resend verification/ })).toBeNull();
    await userEvent.click(within(row).getByRole("button", { name: "Resend verification email vera.new@example.com" }));
    expect(await screen.findByText("Verification e-mail sent to vera.new@example.com")).toBeTruthy();
    expect(calls).toContain("POST /crm/auth/users/2/resend_verification");
  });
});
