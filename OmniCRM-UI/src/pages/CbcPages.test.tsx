import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter, Route, Routes } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { CbcAlertPage, CbcCreatePage } from "./CbcPages";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

const ALERT = {
  cbc_message_id: 1, cbc_unique_id: "u-1", messageIdentifier: "4352", category: "extreme", severity: "extreme",
  identifier: { messageIdentifier: "4352", hex: "0x1100", name: "ETWS earthquake warning", system: "ETWS", severity: "extreme", is_test: false },
  repetitionPeriod: 10, numberOfBroadcasts: 999, warningPeriodSec: 3600, channelIndicator: "basic", template: "earthquake",
  status: "pending_approval", approval_required: true, initiating_user: 9, initiating_user_email: "creator@example.com",
  approving_user: null, approving_user_email: null, created: "2026-12-04T10:00:00", sent_at: null, expires_at: null,
  last_error: null, pending_action: null, cbc_ack: null, all_cells: false,
  localized_messages: [{ language: "en", messageBody: "EARTHQUAKE WARNING" }],
  tracking_areas: [{ tracking_area: "12345", operator: "310-410", rat_type: "LTE" }], history: [],
};

function renderAt(path: string, element: React.ReactNode, route: string, fetchImpl: typeof fetch, userId = 5,
  permissions = ["view_cbc_message", "approve_cbc_message", "create_cbc_message"]) {
  vi.stubGlobal("fetch", fetchImpl);
  const user = { id: userId, username: "a", email: "a@example.com", first_name: "A", last_name: "B", roles: [] };
  sessionStore.set({ token: "t", roles: [], permissions, force_password_change: false, remember: false, user });
  render(
    <MantineProvider>
      <ModalsProvider>
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
          <MemoryRouter initialEntries={[path]}>
            <AuthProvider><Routes><Route path={route} element={element} /></Routes></AuthProvider>
          </MemoryRouter>
        </QueryClientProvider>
      </ModalsProvider>
    </MantineProvider>,
  );
  return { user, permissions };
}

describe("cell broadcast approval", () => {
  it("sends the approver's own TOTP code and shows the alert active", async () => {
    const calls: { path: string; body?: unknown }[] = [];
    let alert: Record<string, unknown> = ALERT;
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url);
      calls.push({ path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (path === "/crm/cbc/1") return json(200, alert);
      if (path === "/crm/cbc/1/approve") {
        alert = { ...ALERT, status: "active", approving_user: 5, approving_user_email: "a@example.com" };
        return json(200, alert);
      }
      return json(200, { user: sessionStore.get()?.user, roles: [], permissions: sessionStore.get()?.permissions });
    });
    renderAt("/cbc/1", <CbcAlertPage />, "/cbc/:cbcMessageId", fetchImpl as unknown as typeof fetch);
    await screen.findByTestId("cbc-approval");
    const approve = screen.getByTestId("cbc-approve");
    expect((approve as HTMLButtonElement).disabled).toBe(true);
    const inputs = screen.getByTestId("cbc-totp").querySelectorAll("input");
    await userEvent.click(inputs[0]);
    await userEvent.keyboard("123456");
    await waitFor(() => expect((approve as HTMLButtonElement).disabled).toBe(false));
    await userEvent.click(approve);
    await waitFor(() => expect(screen.getByTestId("cbc-status").textContent).toContain("Active"));
    expect(calls.find((c) => c.path === "/crm/cbc/1/approve")?.body).toEqual({ totp_code: "123456" });
  }, 20_000);

  it("does not offer approval to the alert's creator", async () => {
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) => (String(url) === "/crm/cbc/1" ? json(200, ALERT)
      : json(200, { user: sessionStore.get()?.user, roles: [], permissions: sessionStore.get()?.permissions })));
    renderAt("/cbc/1", <CbcAlertPage />, "/cbc/:cbcMessageId", fetchImpl as unknown as typeof fetch, 9);
    await screen.findByText(/another user must approve it/);
    expect(screen.queryByTestId("cbc-approval")).toBeNull();
  }, 20_000);
});

const PENDING = {
  ...ALERT, status: "active", approving_user: 7, approving_user_email: "first@example.com", sent_at: "2026-12-04T10:05:00",
  pending_update: {
    values: { numberOfBroadcasts: 500, localized_messages: [{ language: "en", messageBody: "UPDATED: Aftershocks possible." }] },
    changes: { numberOfBroadcasts: { old: 999, new: 500 } }, proposed_by: 9, proposed_by_email: "creator@example.com",
    proposed_at: "2026-12-04T10:10:00",
  },
};

describe("pending update of a live alert", () => {
  it("shows the proposal and lets another approver approve it with their own TOTP code", async () => {
    const calls: { path: string; body?: unknown }[] = [];
    let alert: Record<string, unknown> = PENDING;
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url);
      calls.push({ path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (path === "/crm/cbc/1") return json(200, alert);
      if (path === "/crm/cbc/1/approve") {
        alert = { ...PENDING, numberOfBroadcasts: 500, pending_update: null, approving_user: 5,
          localized_messages: [{ language: "en", messageBody: "UPDATED: Aftershocks possible." }] };
        return json(200, alert);
      }
      return json(200, { user: sessionStore.get()?.user, roles: [], permissions: sessionStore.get()?.permissions });
    });
    renderAt("/cbc/1", <CbcAlertPage />, "/cbc/:cbcMessageId", fetchImpl as unknown as typeof fetch);
    const card = await screen.findByTestId("cbc-pending-update");
    expect(card.textContent).toContain("creator@example.com");
    expect(screen.getByTestId("cbc-pending-text").textContent).toBe("UPDATED: Aftershocks possible.");
    expect(screen.getByTestId("cbc-status").textContent).toContain("Active");
    const approve = screen.getByTestId("cbc-update-approve") as HTMLButtonElement;
    expect(approve.disabled).toBe(true);
    const inputs = screen.getByTestId("cbc-update-totp").querySelectorAll("input");
    await userEvent.click(inputs[0]);
    await userEvent.keyboard("654321");
    await waitFor(() => expect(approve.disabled).toBe(false));
    await userEvent.click(approve);
    await waitFor(() => expect(screen.queryByTestId("cbc-pending-update")).toBeNull());
    expect(calls.find((c) => c.path === "/crm/cbc/1/approve")?.body).toEqual({ totp_code: "654321" });
  }, 20_000);

  it("rejects with a reason", async () => {
    const calls: { path: string; body?: unknown }[] = [];
    let alert: Record<string, unknown> = PENDING;
    const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
      const path = String(url);
      calls.push({ path, body: init?.body ? JSON.parse(String(init.body)) : undefined });
      if (path === "/crm/cbc/1") return json(200, alert);
      if (path === "/crm/cbc/1/reject") { alert = { ...PENDING, pending_update: null }; return json(200, alert); }
      return json(200, { user: sessionStore.get()?.user, roles: [], permissions: sessionStore.get()?.permissions });
    });
    renderAt("/cbc/1", <CbcAlertPage />, "/cbc/:cbcMessageId", fetchImpl as unknown as typeof fetch);
    await userEvent.type(await screen.findByTestId("cbc-update-reason"), "Wrong text");
    await userEvent.click(screen.getByTestId("cbc-update-reject"));
    await waitFor(() => expect(screen.queryByTestId("cbc-pending-update")).toBeNull());
    expect(calls.find((c) => c.path === "/crm/cbc/1/reject")?.body).toEqual({ reason: "Wrong text" });
  }, 20_000);

  it("does not offer approval of an update to its proposer", async () => {
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) => (String(url) === "/crm/cbc/1" ? json(200, PENDING)
      : json(200, { user: sessionStore.get()?.user, roles: [], permissions: sessionStore.get()?.permissions })));
    renderAt("/cbc/1", <CbcAlertPage />, "/cbc/:cbcMessageId", fetchImpl as unknown as typeof fetch, 9);
    await screen.findByTestId("cbc-pending-update");
    expect(screen.getByText("You proposed this update: another user must approve it.")).toBeTruthy();
    expect(screen.queryByTestId("cbc-update-approve")).toBeNull();
  });
});

describe("create alert", () => {
  it("warns that no targeting means every cell and blocks the review until confirmed", async () => {
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) => {
      const path = String(url);
      if (path === "/crm/cbc/templates") return json(200, { data: [] });
      if (path === "/crm/cbc/message_identifiers") return json(200, { data: [ALERT.identifier] });
      if (path === "/crm/cbc/zones") return json(200, { data: [] });
      return json(200, { user: sessionStore.get()?.user, roles: [], permissions: sessionStore.get()?.permissions });
    });
    renderAt("/cbc/new", <CbcCreatePage />, "/cbc/new", fetchImpl as unknown as typeof fetch);
    await screen.findByTestId("cbc-all-cells-warning");
    expect((screen.getByTestId("cbc-review-button") as HTMLButtonElement).disabled).toBe(true);
    await userEvent.click(screen.getByTestId("cbc-all-cells"));
    expect((screen.getByTestId("cbc-review-button") as HTMLButtonElement).disabled).toBe(false);
    await userEvent.type(screen.getByTestId("cbc-body-0"), "Ünïcode");
    expect(screen.getByTestId("cbc-counter-0").getAttribute("data-encoding")).toBe("UCS-2");
    expect(screen.getByTestId("cbc-counter-0").getAttribute("data-remaining")).toBe(String(615 - 7));
    await userEvent.click(screen.getByTestId("cbc-add-area"));
    expect(screen.queryByTestId("cbc-all-cells-warning")).toBeNull();
  }, 20_000);
});
