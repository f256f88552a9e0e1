import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../../api";
import "../../i18n";
import { PayInvoiceModal } from "./PayInvoice";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const config = { configured: true, publishable_key: "pk_test", js_url: "/stripe.js" };
const invoice = { invoice_id: 9, customer_id: 2, retail_cost: "12.50", paid: false, void: false };
const cards = { data: [
  { card_id: 3, customer_id: 2, brand: "visa", last4: "1111", exp_month: 1, exp_year: 2031, expiry: "01/2031", is_default: false, expired: false },
  { card_id: 4, customer_id: 2, brand: "mastercard", last4: "4444", exp_month: 1, exp_year: 2031, expiry: "01/2031", is_default: true, expired: false },
] };

function renderModal(fetchImpl: typeof fetch, onClose = vi.fn()) {
  vi.stubGlobal("fetch", fetchImpl);
  sessionStore.set({ token: "t", remember: false, roles: ["Customer"], permissions: [], force_password_change: false, user: { id: 5, customer_id: 2 } } as never);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <MantineProvider>
      <Notifications />
      <QueryClientProvider client={client}>
        <PayInvoiceModal invoice={invoice} customerId={2} config={config} holder="John Smith" onClose={onClose} />
      </QueryClientProvider>
    </MantineProvider>,
  );
  return onClose;
}

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("Pay now", () => {
  it("pays with the default card preselected and closes", async () => {
    const fetchImpl = vi.fn(async (url: string) => (String(url).includes("/pay")
      ? json(200, { status: "succeeded", invoice: { invoice_id: 9, paid: true } }) : json(200, cards)));
    const onClose = renderModal(fetchImpl as unknown as typeof fetch);
    const mastercard = await screen.findByLabelText(/Mastercard •••• 4444/);
    expect((mastercard as HTMLInputElement).checked).toBe(true);
    await userEvent.click(screen.getByTestId("pay-confirm"));
    await waitFor(() => expect(onClose).toHaveBeenCalled());
    const pay = fetchImpl.mock.calls.find(([url]) => String(url).endsWith("/crm/stripe/invoice_id/9/pay")) as unknown as [string, RequestInit];
    expect(JSON.parse(pay[1].body as string)).toEqual({ card_id: 4 });
    expect(await screen.findByText("Invoice #9 is paid. Thank you!")).toBeTruthy();
  });

  it("shows the decline and keeps the modal open", async () => {
    const fetchImpl = vi.fn(async (url: string) => (String(url).includes("/pay")
      ? json(402, { message: "The card was declined: Your card was declined.", errors: {} }) : json(200, cards)));
    const onClose = renderModal(fetchImpl as unknown as typeof fetch);
    await screen.findByLabelText(/Visa •••• 1111/);
    await userEvent.click(screen.getByLabelText(/Visa •••• 1111/));
    await userEvent.click(screen.getByTestId("pay-confirm"));
    expect(await screen.findByText("The card was declined: Your card was declined.")).toBeTruthy();
    expect(onClose).not.toHaveBeenCalled();
  });
});
