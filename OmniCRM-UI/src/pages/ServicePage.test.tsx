import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { ServicePage } from "./ServicePage";

const service = { service_id: 9, customer_id: 4, product_id: 2, service_name: "Mobile - 0412", service_status: "Active",
  service_uuid: "Local_Mobile_SIM_ab12cd34", usage_visible: true, cgrates: null, ocs_error: "no account" };
const job = { provision_id: 31, provisioning_status: 1, provisioning_play: "play_psim_only", task_count: 0, provisioning_result_json: [] };

function answer(url: URL, init?: RequestInit, shown: object = service) {
  if (url.pathname === "/crm/provision/" && init?.method === "PUT") return { provision_id: 31, provisioning_status: 1 };
  if (url.pathname.startsWith("/crm/provision/provision_id/31")) return job;
  if (url.pathname === "/crm/service/9") return shown;
  return { data: [], pagination: { current_page: 1, per_page: 20, total_pages: 1, total_items: 0 } };
}

function renderService(shown: object = service) {
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) =>
    new Response(JSON.stringify(answer(new URL(String(input), "http://x"), init, shown)), { status: 200 }));
  vi.stubGlobal("fetch", fetchImpl);
  sessionStore.set({ token: "a", refresh_token: "r", remember: false, roles: ["admin"], permissions: ["admin"], force_password_change: false } as never);
  const router = createMemoryRouter([{ path: "/services/:serviceId", element: <AuthProvider><ServicePage /></AuthProvider> }], { initialEntries: ["/services/9"] });
  render(
    <MantineProvider>
      <ModalsProvider>
        <Notifications />
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}><RouterProvider router={router} /></QueryClientProvider>
      </ModalsProvider>
    </MantineProvider>,
  );
  return fetchImpl;
}

describe("service page", () => {
  afterEach(() => {
    sessionStore.set(null);
    vi.unstubAllGlobals();
  });

  it("deprovisions after the spec's confirmation with a deprovision job and follows it", async () => {
    const fetchImpl = renderService();
    await userEvent.click(await screen.findByTestId("deprovision-service"));
    expect(await screen.findByText(/Any remaining balance will be lost/)).toBeTruthy();
    await userEvent.click(screen.getByTestId("confirm-danger"));
    await waitFor(() => expect(fetchImpl.mock.calls.some(([, init]) => (init as RequestInit | undefined)?.method === "PUT")).toBe(true));
    const [, init] = fetchImpl.mock.calls.find(([, i]) => (i as RequestInit | undefined)?.method === "PUT") as unknown as [string, RequestInit];
    expect(JSON.parse(init.body as string)).toEqual({ product_id: 2, customer_id: 4, service_id: 9, action: "deprovision" });
    await waitFor(() => expect(fetchImpl.mock.calls.some(([url]) => String(url).includes("/crm/provision/provision_id/31"))).toBe(true));
  });

  it("tells when a Pending Cancellation service will be deprovisioned", async () => {
    renderService({ ...service, service_status: "Pending Cancellation", grace_period_end: "2027-02-14T10:00:00" });
    expect((await screen.findByTestId("grace-period")).textContent).toMatch(/deprovisioned on .*2027/);
  });
});
