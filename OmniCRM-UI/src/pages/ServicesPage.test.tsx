import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import "../i18n";
import { ServicesPage } from "./ServicesPage";

const page = { data: [{ service_id: 3, customer_id: 1, service_name: "Mobile - 0412", service_status: "Active", retail_cost: "10.00" }],
  pagination: { current_page: 1, per_page: 10, total_pages: 1, total_items: 1 } };

function renderServices() {
  Element.prototype.scrollIntoView = vi.fn(); // jsdom has none; Mantine's combobox scrolls to the selected option
  const fetchImpl = vi.fn(async () => new Response(JSON.stringify(page), { status: 200 }));
  vi.stubGlobal("fetch", fetchImpl);
  sessionStore.set({ token: "a", refresh_token: "r", remember: false, roles: ["admin"], permissions: ["admin"], force_password_change: false } as never);
  const router = createMemoryRouter([{ path: "/services", element: <ServicesPage /> }], { initialEntries: ["/services"] });
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}><RouterProvider router={router} /></QueryClientProvider>
    </MantineProvider>,
  );
  return fetchImpl;
}

const urls = (fetchImpl: ReturnType<typeof vi.fn>) => fetchImpl.mock.calls.map((call) => new URL(String(call[0]), "http://x"));

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("services list", () => {
  it("offers 10, 25, 50 and 100 per page (10 first) and sorts by status through the API", async () => {
    const fetchImpl = renderServices();
    expect(await screen.findByText("Mobile - 0412")).toBeTruthy();
    expect(urls(fetchImpl)[0].searchParams.get("per_page")).toBe("10");
    await userEvent.click(screen.getByRole("textbox", { name: /rows per page/i }));
    const options = (await screen.findAllByRole("option", { hidden: true })).map((o) => o.textContent).filter((text) => /^\d+$/.test(text ?? ""));
    expect(options).toEqual(["10", "25", "50", "100"]);
    await userEvent.click(screen.getByRole("option", { name: "25", hidden: true }));
    await waitFor(() => expect(urls(fetchImpl).at(-1)!.searchParams.get("per_page")).toBe("25"));
    await userEvent.click(screen.getByRole("button", { name: /status/i }));
    await waitFor(() => expect(urls(fetchImpl).at(-1)!.searchParams.get("sort")).toBe("service_status"));
  });
});
