import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, waitFor } from "@testing-library/react";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { routes } from "../routes";

const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200 });

function open(path: string, user: Record<string, unknown>, permissions: string[]) {
  vi.stubGlobal("fetch", vi.fn(async (url: string) => (String(url).includes("/crm/service/") || String(url).includes("/crm/customer/")
    ? json({ data: [], pagination: { current_page: 1, per_page: 20, total_pages: 0, total_items: 0 } }) : json({ alerts: [] }))));
  sessionStore.set({ token: "t", remember: false, roles: [], permissions, force_password_change: false, user: { id: 5, first_name: "Jo", last_name: "", email: "jo@x", roles: [], ...user } } as never);
  const router = createMemoryRouter(routes, { initialEntries: [path] });
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider>
      <QueryClientProvider client={client}><AuthProvider><RouterProvider router={router} /></AuthProvider></QueryClientProvider>
    </MantineProvider>,
  );
  return router;
}

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("console or portal", () => {
  it("sends a subscriber opening a console page to the portal", async () => {
    const router = open("/customers", { customer_id: 3 }, ["view_own_customer"]);
    await waitFor(() => expect(router.state.location.pathname).toBe("/self-care"), { timeout: 4000 });
  });

  it("sends staff opening the portal to the console", async () => {
    const router = open("/self-care/billing", { customer_id: null }, ["view_customer"]);
    await waitFor(() => expect(router.state.location.pathname).toBe("/dashboard"), { timeout: 4000 });
  });
});
