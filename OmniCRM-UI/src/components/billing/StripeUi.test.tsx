import { MantineProvider } from "@mantine/core";
import { ModalsProvider } from "@mantine/modals";
import { Notifications } from "@mantine/notifications";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import type { ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../../api";
import type { Invoice } from "../../api/billing";
import { AuthProvider } from "../../auth/AuthContext";
import "../../i18n";
import { InvoiceDetailsModal, PayInvoiceModal } from "./InvoiceModals";
import { PaymentMethodsCard } from "./PaymentMethods";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const cards = [
  { card_id: 7, customer_id: 1, brand: "visa", last4: "4242", exp_month: 12, exp_year: 2030, expiry: "12/2030", is_default: true, nickname: "Work" },
  { card_id: 8, customer_id: 1, brand: "visa", last4: "1881", exp_month: 1, exp_year: 2031, expiry: "01/2031", is_default: false },
];
const invoice = { invoice_id: 5, customer_id: 1, title: "Invoice for December", retail_cost: "82.50", paid: false, void: false,
  refunded: false, status: "Unpaid" } as Invoice;

/** fetch stubbed at the API client's boundary: answers by "METHOD path", records every call. */
function stub(routes: Record<string, unknown>) {
  const calls: { key: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit) => {
    const key = `${init.method ?? "GET"} ${url.split("?")[0]}`;
    calls.push({ key, body: init.body ? JSON.parse(String(init.body)) : undefined });
    return key in routes ? json(200, routes[key]) : json(404, { message: "not here" });
  }));
  return calls;
}

function renderWith(ui: ReactNode) {
  sessionStore.set({ token: "t", remember: false, roles: ["Admin"], permissions: ["admin"], force_password_change: false,
    user: { id: 1, username: "a", email: "a@example.com", roles: ["Admin"] } } as never);
  render(
    <MantineProvider>
      <ModalsProvider>
        <Notifications />
        <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
          <MemoryRouter><AuthProvider>{ui}</AuthProvider></MemoryRouter>
        </QueryClientProvider>
      </ModalsProvider>
    </MantineProvider>,
  );
}

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
  delete window.Stripe;
});

const CONFIG = { configured: true, publishable_key: "pk_test_1", js_url: "http://127.0.0.1/js.stripe.com/v3/", currency: "aud" };

describe("pay modal with Stripe", () => {
  it("preselects Stripe and the default card, and charges the chosen card", async () => {
    const calls = stub({
      "GET /crm/stripe/config": CONFIG, "GET /crm/stripe/customer_id/1": { data: cards },
      "POST /crm/stripe/invoice_id/5/pay": { status: "succeeded", invoice: { ...invoice, status: "Paid", paid: true } },
    });
    const onClose = vi.fn();
    renderWith(<PayInvoiceModal invoice={invoice} onClose={onClose} />);
    const defaultCard = await screen.findByLabelText(/Visa \*\*4242 · 12\/2030 · Work \(Default\)/, {}, { timeout: 5000 });
    expect((defaultCard as HTMLInputElement).checked).toBe(true);
    expect((screen.getByLabelText("Stripe Transaction") as HTMLInputElement).checked).toBe(true);
    await userEvent.click(screen.getByLabelText(/Visa \*\*1881/));
    await userEvent.click(screen.getByTestId("pay-submit"));
    await screen.findByText("Invoice 5 paid");
    expect(calls.find((c) => c.key === "POST /crm/stripe/invoice_id/5/pay")?.body).toEqual({ card_id: 8 });
    expect(onClose).toHaveBeenCalled();
  });

  it("offers only the staff methods when the card API is missing, and pays by cash with a reference", async () => {
    const calls = stub({ "POST /crm/invoice/5/pay": { ...invoice, status: "Paid", paid: true } });
    renderWith(<PayInvoiceModal invoice={invoice} onClose={vi.fn()} />);
    await screen.findByTestId("pay-reference");
    expect(screen.queryByLabelText("Stripe Transaction")).toBeNull();
    await userEvent.type(screen.getByTestId("pay-reference"), "Receipt 12");
    await userEvent.click(screen.getByTestId("pay-submit"));
    await waitFor(() => expect(calls.some((c) => c.key === "POST /crm/invoice/5/pay")).toBe(true));
    expect(calls.find((c) => c.key === "POST /crm/invoice/5/pay")?.body).toEqual({ payment_method: "Cash", payment_reference: "Receipt 12" });
  });

  it("shows a decline next to the form and keeps the modal open", async () => {
    stub({ "GET /crm/stripe/config": CONFIG, "GET /crm/stripe/customer_id/1": { data: cards } });
    vi.mocked(fetch).mockImplementationOnce(async () => json(200, CONFIG));
    const onClose = vi.fn();
    renderWith(<PayInvoiceModal invoice={invoice} onClose={onClose} />);
    await screen.findByLabelText(/Visa \*\*4242/);
    vi.mocked(fetch).mockImplementation(async () => json(402, { message: "The card was declined: Your card was declined.", errors: {} }));
    await userEvent.click(screen.getByTestId("pay-submit"));
    expect((await screen.findByTestId("pay-error")).textContent).toContain("Your card was declined.");
    expect(onClose).not.toHaveBeenCalled();
    await screen.findByText("Card declined");  // the notification's title names the decline, not "Something went wrong"
  });
});

describe("payment methods card", () => {
  it("lists cards, locks deleting the default, and adds a card through Stripe Elements", async () => {
    const mount = vi.fn();
    const confirmCardSetup = vi.fn(async () => ({ setupIntent: { id: "seti_1", payment_method: "pm_9" } }));
    window.Stripe = vi.fn(() => ({
      elements: () => ({ create: () => ({ mount, destroy: vi.fn(), on: vi.fn() }) }),
      confirmCardSetup, confirmCardPayment: vi.fn(),
    })) as never;
    const calls = stub({
      "GET /crm/stripe/config": CONFIG, "GET /crm/stripe/customer_id/1": { data: cards },
      "POST /crm/stripe/customer_id/1/setup_intent": { client_secret: "seti_1_secret_x", setup_intent_id: "seti_1", publishable_key: "pk_test_1", js_url: CONFIG.js_url },
      "POST /crm/stripe/customer_id/1/cards": { message: "Your Visa ending in 4242 has been added to your account.", card: cards[0] },
    });
    renderWith(<PaymentMethodsCard customer={{ customer_id: 1, customer_name: "Jane" }} />);
    await screen.findByTestId("card-row-7");
    expect(screen.getByTestId("card-row-7").textContent).toContain("Default");

    await userEvent.click(screen.getByRole("button", { name: "Actions for Visa **4242" }));
    const remove = (await screen.findByText("Delete", {}, { timeout: 3000 })).closest("button")!;
    expect(remove.disabled || remove.hasAttribute("data-disabled")).toBe(true);
    await userEvent.keyboard("{Escape}");

    await userEvent.click(screen.getByTestId("add-card"));
    await waitFor(() => expect(mount).toHaveBeenCalled(), { timeout: 5000 });
    await userEvent.click(screen.getByTestId("card-submit"));
    expect(await screen.findAllByText("Required")).toHaveLength(2);  // name and country, before anything is sent
    await userEvent.type(screen.getByTestId("card-name"), "Jane Doe");
    await userEvent.clear(screen.getByTestId("card-country"));
    await userEvent.type(screen.getByTestId("card-country"), "au");
    await userEvent.type(screen.getByTestId("card-nickname"), "Home");
    await userEvent.click(screen.getByTestId("card-submit"));
    await screen.findByText("Your Visa ending in 4242 has been added to your account.");
    expect(confirmCardSetup).toHaveBeenCalledWith("seti_1_secret_x", expect.objectContaining({
      payment_method: expect.objectContaining({ billing_details: { name: "Jane Doe", address: { country: "AU" } } }),
    }));
    expect(calls.find((c) => c.key === "POST /crm/stripe/customer_id/1/cards")?.body).toEqual({ payment_method_id: "pm_9", nickname: "Home", setup_intent_id: "seti_1" });
  });
});

describe("card element events", () => {
  it("takes change events without an argument (localstripe's fake Stripe.js) and shows a real one's error", async () => {
    const handlers: ((e?: { error?: { message?: string } }) => void)[] = [];
    window.Stripe = vi.fn(() => ({
      elements: () => ({ create: () => ({ mount: vi.fn(), destroy: vi.fn(), on: (_: string, handler: (typeof handlers)[number]) => handlers.push(handler) }) }),
      confirmCardSetup: vi.fn(), confirmCardPayment: vi.fn(),
    })) as never;
    // Another key: loadStripe keeps one Stripe instance per publishable key.
    stub({ "GET /crm/stripe/config": { ...CONFIG, publishable_key: "pk_test_events" }, "GET /crm/stripe/customer_id/1": { data: cards } });
    renderWith(<PaymentMethodsCard customer={{ customer_id: 1, customer_name: "Jane" }} />);
    await userEvent.click(await screen.findByTestId("add-card", {}, { timeout: 5000 }));
    await waitFor(() => expect(handlers).toHaveLength(1), { timeout: 5000 });
    expect(() => handlers[0]()).not.toThrow();
    handlers[0]({ error: { message: "Your card number is incomplete." } });
    expect((await screen.findByText("Your card number is incomplete.")).getAttribute("role")).toBe("alert");
  }, 15_000);
});

describe("invoice details after a card refund", () => {
  it("shows the Stripe payment and refund references, and no Pay or Refund action", async () => {
    const refunded = { ...invoice, paid: true, refunded: true, status: "Refunded", payment_method: "Stripe", payment_reference: "pi_123",
      refund_reference: "re_456", transactions: [], count: 0, subtotal: "82.50", tax: "0.00", total: "82.50" };
    stub({ "GET /crm/invoice/invoice_id/5": refunded });
    renderWith(<InvoiceDetailsModal invoiceId={5} onClose={vi.fn()} onPay={vi.fn()} />);
    await screen.findByText("re_456", {}, { timeout: 5000 });
    expect(screen.getByText("Refund reference")).toBeTruthy();
    expect(screen.getByText("pi_123")).toBeTruthy();
    expect(screen.queryByTestId("details-refund")).toBeNull();
    expect(screen.queryByTestId("details-pay")).toBeNull();
  }, 15_000);
});
