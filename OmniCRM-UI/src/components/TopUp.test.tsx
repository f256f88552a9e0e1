import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import type { Service, Usage } from "../api/domain";
import "../i18n";
import { TopUpModal } from "./TopUp";

const service: Service = { service_id: 7, customer_id: 2, service_name: "Mobile - +44 7700 900999", service_status: "Active" };
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

function renderTopUp(fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  sessionStore.set({ token: "a", refresh_token: "r", remember: false, roles: ["admin"], permissions: ["admin"], force_password_change: false } as never);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  client.setQueryData<Usage>(["usage", 7], { service_id: 7, fetched_at: "2026-01-01T00:00:00", refresh_seconds: 3, totals: {} });
  const onClose = vi.fn();
  const router = createMemoryRouter([{ path: "/", element: <TopUpModal service={service} opened onClose={onClose} /> }]);
  render(
    <MantineProvider>
      <Notifications />
      <QueryClientProvider client={client}><RouterProvider router={router} /></QueryClientProvider>
    </MantineProvider>,
  );
  return { client, onClose };
}

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("top-up modal", () => {
  it("checks the amount before calling the API", async () => {
    const fetchImpl = vi.fn();
    renderTopUp(fetchImpl as unknown as typeof fetch);
    const amount = await screen.findByLabelText(/^Amount/);
    await userEvent.type(amount, "5");
    await userEvent.click(screen.getByTestId("topup-submit"));
    expect(await screen.findByText(/Say why this service is credited/)).toBeTruthy();
    await userEvent.type(screen.getByTestId("topup-reason"), "Goodwill");
    await userEvent.clear(amount);
    await userEvent.type(amount, "0.5");
    await userEvent.click(screen.getByTestId("topup-submit"));
    expect(await screen.findByText(/Must be between/)).toBeTruthy();
    await userEvent.clear(amount);
    await userEvent.type(amount, "12.345");
    await userEvent.click(screen.getByTestId("topup-submit"));
    expect(await screen.findByText("An amount like 10.00")).toBeTruthy();
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("sends the amount as a decimal string and shows the new credit at once", async () => {
    const totals = { MONETARY: { balance_type: "*monetary", unit: "", buckets: 2, remaining: "13.00", remaining_hr: "13.00",
      allowance: null, used: null, percent_remaining: null, colour: null, unlimited: false, next_expiry: null } };
    const fetchImpl = vi.fn(async () => json(200, { service_id: 7, transaction_id: 3, amount: "10.00", MONETARY: totals.MONETARY, balances: { totals } }));
    const { client, onClose } = renderTopUp(fetchImpl as unknown as typeof fetch);
    await userEvent.type(await screen.findByTestId("topup-reason"), " Network outage credit ");
    await userEvent.type(await screen.findByLabelText(/^Amount/), "10");
    await userEvent.click(screen.getByTestId("topup-submit"));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toContain("/crm/oam/topup/service_id/7");
    expect(init.method).toBe("POST");
    expect(JSON.parse(init.body as string)).toEqual({ amount: "10.00", reason: "Network outage credit" });
    expect(client.getQueryData<Usage>(["usage", 7])?.totals.MONETARY?.remaining).toBe("13.00");
    expect(await screen.findByText(/credit is now \D*13\.00$/)).toBeTruthy();
  });

  it("shows the API's refusal under the field and keeps the modal open", async () => {
    const fetchImpl = vi.fn(async () => json(400, { message: "Validation failed", errors: { amount: "must be between 5.00 and 50.00" } }));
    const { onClose } = renderTopUp(fetchImpl as unknown as typeof fetch);
    await userEvent.type(await screen.findByTestId("topup-reason"), "Goodwill");
    await userEvent.type(await screen.findByLabelText(/^Amount/), "2");
    await userEvent.click(screen.getByTestId("topup-submit"));
    expect(await screen.findByText("must be between 5.00 and 50.00")).toBeTruthy();
    expect(onClose).not.toHaveBeenCalled();
  });
});
