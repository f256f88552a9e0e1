import { afterEach, describe, expect, it, vi } from "vitest";
import { canDeleteCard, cardLabel, deleteCard, payInvoiceByCard, preselectedCard, stripeApi, type Card } from "./stripe";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function stubFetch(answers: Response[]) {
  const calls: { url: string; method: string; body: unknown }[] = [];
  vi.stubGlobal("fetch", vi.fn(async (url: string, init: RequestInit) => {
    calls.push({ url, method: init.method ?? "GET", body: init.body ? JSON.parse(String(init.body)) : undefined });
    const next = answers.shift();
    if (!next) throw new Error(`unexpected call ${url}`);
    return next;
  }));
  return calls;
}

afterEach(() => vi.unstubAllGlobals());

const card = (id: number, extra: Partial<Card> = {}): Card => ({
  card_id: id, customer_id: 1, brand: "visa", last4: "4242", exp_month: 12, exp_year: 2030, expiry: "12/2030", is_default: false, ...extra,
});
const paid = { invoice_id: 5, status: "Paid", paid: true };

describe("paying an invoice by card", () => {
  it("charges the chosen card and returns the paid invoice", async () => {
    const calls = stubFetch([json(200, { status: "succeeded", invoice: paid })]);
    const confirm = vi.fn();
    const invoice = await payInvoiceByCard(5, 7, confirm);
    expect(invoice).toEqual(paid);
    expect(calls).toEqual([{ url: "/crm/stripe/invoice_id/5/pay", method: "POST", body: { card_id: 7 } }]);
    expect(confirm).not.toHaveBeenCalled();
  });

  it("runs 3-D Secure in Stripe.js, then has the API record the payment", async () => {
    const calls = stubFetch([
      json(200, { status: "requires_action", client_secret: "pi_1_secret_x", payment_intent_id: "pi_1" }),
      json(200, { status: "succeeded", invoice: paid }),
    ]);
    const confirm = vi.fn(async () => ({}));
    expect(await payInvoiceByCard(5, undefined, confirm)).toEqual(paid);
    expect(confirm).toHaveBeenCalledWith("pi_1_secret_x");
    expect(calls[0].body).toEqual({});
    expect(calls[1]).toEqual({ url: "/crm/stripe/invoice_id/5/confirm", method: "POST", body: { payment_intent_id: "pi_1" } });
  });

  it("reports a failed authentication and does not call confirm", async () => {
    const calls = stubFetch([json(200, { status: "requires_action", client_secret: "s", payment_intent_id: "pi_2" })]);
    await expect(payInvoiceByCard(5, 7, async () => ({ error: { message: "Authentication failed" } }))).rejects.toThrow("Authentication failed");
    expect(calls).toHaveLength(1);
  });

  it("shows the decline as the API words it (402)", async () => {
    stubFetch([json(402, { message: "The card was declined: Your card was declined.", errors: {}, decline_code: "generic_decline" })]);
    await expect(payInvoiceByCard(5, 7, vi.fn())).rejects.toMatchObject({ status: 402, message: "The card was declined: Your card was declined." });
  });
});

describe("deleting a card", () => {
  it("asks once more for the customer's only card, then deletes with confirm=true", async () => {
    const calls = stubFetch([
      json(409, { message: "This is the customer's only payment method; automatic renewals will fail without one. Delete anyway?", errors: {}, confirmation_required: true }),
      json(200, { message: "The Visa ending in 4242 was deleted.", new_default: null }),
    ]);
    const ask = vi.fn(async () => true);
    const answer = await deleteCard(3, ask);
    expect(ask).toHaveBeenCalledWith(expect.stringMatching(/only payment method/));
    expect(answer?.message).toBe("The Visa ending in 4242 was deleted.");
    expect(calls.map((c) => `${c.method} ${c.url}`)).toEqual(["DELETE /crm/stripe/card_id/3", "DELETE /crm/stripe/card_id/3?confirm=true"]);
  });

  it("stops when the user cancels", async () => {
    const calls = stubFetch([json(409, { message: "Delete anyway?", confirmation_required: true })]);
    expect(await deleteCard(3, async () => false)).toBeNull();
    expect(calls).toHaveLength(1);
  });

  it("does not ask for other conflicts", async () => {
    stubFetch([json(409, { message: "Something else" })]);
    const ask = vi.fn();
    await expect(deleteCard(3, ask)).rejects.toMatchObject({ status: 409 });
    expect(ask).not.toHaveBeenCalled();
  });
});

describe("cards in the UI", () => {
  it("preselects the default card, else the first", () => {
    expect(preselectedCard([card(1), card(2, { is_default: true })])?.card_id).toBe(2);
    expect(preselectedCard([card(1), card(2)])?.card_id).toBe(1);
    expect(preselectedCard([])).toBeUndefined();
  });
  it("locks deleting the default card while others exist (spec 07 §1.7)", () => {
    const cards = [card(1, { is_default: true }), card(2)];
    expect(canDeleteCard(cards[0], cards)).toBe(false);
    expect(canDeleteCard(cards[1], cards)).toBe(true);
    expect(canDeleteCard(cards[0], [cards[0]])).toBe(true);
  });
  it("labels a card by brand and last 4", () => {
    expect(cardLabel(card(1))).toBe("Visa **4242");
  });
  it("refunds through the Stripe endpoint", async () => {
    const calls = stubFetch([json(200, { ...paid, status: "Refunded", refunded: true })]);
    expect((await stripeApi.refund(5)).status).toBe("Refunded");
    expect(calls[0]).toEqual({ url: "/crm/stripe/invoice_id/5/refund", method: "POST", body: {} });
  });
  it("lists expiring cards with the list convention", async () => {
    const calls = stubFetch([json(200, { data: [], pagination: { current_page: 1, per_page: 25, total_pages: 0, total_items: 0 } })]);
    await stripeApi.expiring({ page: 1, per_page: 25, order: "asc", sort: "days_until_expiry", search: "", filters: { expiry_range: ["30"] } });
    expect(calls[0].url).toBe("/crm/stripe/expiring_cards?page=1&per_page=25&sort=days_until_expiry&order=asc&filters=%7B%22expiry_range%22%3A%5B%2230%22%5D%7D");
  });
});
