import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import "../i18n";
import { CustomerInventoryTab, ServiceInventory } from "./InventoryItems";

const LPA = "LPA:1$smdp.example.com$ACTIVATION-CODE-ABC123XYZ";
const items = [
  { inventory_id: 4, inventory_template_id: 1, item: "SIM Card", item_state: "Assigned", itemtext1: "8961000000000000020",
    label: "ICCID: 8961000000000000020", customer_id: 2, service_id: 9, management_url: LPA, labels: { itemtext1: "ICCID" } },
  { inventory_id: 5, inventory_template_id: 2, item: "Modem Router", item_state: "Assigned", itemtext1: "SN-1",
    customer_id: 2, service_id: 9, management_url: "https://192.168.1.1", labels: { itemtext1: "Serial" } },
];
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });

function renderWith(element: React.ReactNode, fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  sessionStore.set({ token: "a", refresh_token: "r", remember: false, roles: ["admin"], permissions: ["admin"], force_password_change: false } as never);
  const router = createMemoryRouter([{ path: "/", element }]);
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}><RouterProvider router={router} /></QueryClientProvider>
    </MantineProvider>,
  );
}

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("inventory items with management URL QR codes", () => {
  it("lists the customer's items and opens an item with its URL as a 128 px QR code", async () => {
    const fetchImpl = vi.fn(async () => json(200, { data: items, pagination: { current_page: 1, per_page: 100, total_pages: 1, total_items: 2 } }));
    renderWith(<CustomerInventoryTab customerId={2} />, fetchImpl as unknown as typeof fetch);
    const table = await screen.findByTestId("customer-inventory");
    expect(String((fetchImpl.mock.calls[0] as unknown[])[0])).toContain("/crm/inventory/customer_id/2");
    expect(within(table).queryByTestId("qr-code")).toBeNull(); // QR codes are in the detail view here
    await userEvent.click(within(table).getByRole("button", { name: /SIM Card/ }));
    const qr = await screen.findByTestId("qr-code");
    expect(qr.getAttribute("data-value")).toBe(LPA);
    expect(qr.getAttribute("width")).toBe("128");
    expect(screen.getByText("ICCID")).toBeTruthy(); // the template's label, not itemtext1
    expect(screen.queryByRole("link", { name: LPA })).toBeNull(); // an LPA string is not a link
  });

  it("shows 64 px QR codes in the service's table, web URLs also as links", async () => {
    const fetchImpl = vi.fn(async () => json(200, { data: items, pagination: { current_page: 1, per_page: 100, total_pages: 1, total_items: 2 } }));
    renderWith(<ServiceInventory serviceId={9} />, fetchImpl as unknown as typeof fetch);
    const table = await screen.findByTestId("service-inventory");
    expect(decodeURIComponent(String((fetchImpl.mock.calls[0] as unknown[])[0]))).toContain('filters={"service_id":[9]}');
    const codes = within(table).getAllByTestId("qr-code");
    expect(codes.map((c) => [c.getAttribute("data-value"), c.getAttribute("width")])).toEqual([[LPA, "64"], ["https://192.168.1.1", "64"]]);
    expect(within(table).getByRole("link", { name: "https://192.168.1.1" }).getAttribute("href")).toBe("https://192.168.1.1");
  });

  it("shows the API's message when the list cannot be read", async () => {
    renderWith(<CustomerInventoryTab customerId={2} />, vi.fn(async () => json(403, { message: "You may not view inventory" })) as unknown as typeof fetch);
    expect(await screen.findByText("You may not view inventory")).toBeTruthy();
  });
});
