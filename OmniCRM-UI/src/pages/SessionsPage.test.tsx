import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { deviceName, SessionsPage } from "./SessionsPage";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36";
const LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0";

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

function renderPage(fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  sessionStore.set({
    token: "t", roles: ["Support"], permissions: ["view_customer"], force_password_change: false, remember: false,
    user: { id: 5, username: "a", email: "a@example.com", first_name: "A", last_name: "B", roles: ["Support"] },
  });
  render(
    <MantineProvider>
      <ModalsProvider>
        <QueryClientProvider client={new QueryClient()}>
          <MemoryRouter><AuthProvider><SessionsPage /></AuthProvider></MemoryRouter>
        </QueryClientProvider>
      </ModalsProvider>
    </MantineProvider>,
  );
}

describe("active sessions", () => {
  it("names devices the way a person recognises them", () => {
    expect(deviceName(PHONE, "?")).toBe("Chrome on Android");
    expect(deviceName(LAPTOP, "?")).toBe("Firefox on Linux");
    expect(deviceName(null, "Unknown device")).toBe("Unknown device");
  });

  it("lists device, IP and last use, and ends another device's session", async () => {
    let sessions = [
      { id: 7, device: LAPTOP, ip: "10.2.2.2", created: "2026-12-01T10:00:00Z", last_used: "2026-12-04T09:00:00Z", expires: "2026-12-31T10:00:00Z", remember_me: true, current: true },
      { id: 3, device: PHONE, ip: "10.1.1.1", created: "2026-11-30T10:00:00Z", last_used: "2026-12-02T08:00:00Z", expires: "2026-12-01T10:00:00Z", remember_me: false, current: false },
    ];
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url);
      if (path === "/crm/auth/sessions") return json(200, sessions);
      if (path === "/crm/auth/sessions/3" && init?.method === "DELETE") {
        sessions = sessions.filter((s) => s.id !== 3);
        return json(200, { message: "Session 3 ended", ended: 1 });
      }
      return json(200, { user: sessionStore.get()?.user, roles: [], permissions: [] });
    });
    renderPage(fetchImpl as unknown as typeof fetch);
    const phoneRow = await screen.findByTestId("session-row-3");
    expect(phoneRow.textContent).toContain("Chrome on Android");
    expect(phoneRow.textContent).toContain("10.1.1.1");
    expect(within(screen.getByTestId("session-row-7")).getByText("This device")).toBeTruthy();

    await userEvent.click(within(phoneRow).getByRole("button", { name: "End session" }));
    await userEvent.click(await screen.findByTestId("confirm-danger"));
    await waitFor(() => expect(screen.queryByTestId("session-row-3")).toBeNull());
    expect(fetchImpl.mock.calls.some(([u, i]) => String(u) === "/crm/auth/sessions/3" && (i as RequestInit)?.method === "DELETE")).toBe(true);
    expect(sessionStore.get()).not.toBeNull();  // another device's session: this one stays signed in
  });
});
