import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiError, sessionStore } from "../api";
import { addCard, chargeCard, expiringCards, payInvoice, stripeApi, type Card, type StripeLike } from "./stripe";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const card = (fields: Partial<Card>): Card => ({
  card_id: 1, customer_id: 2, brand: "visa", last4: "4242", exp_month: 12, exp_year: 2030, expiry: "12/2030", is_default: false, expired: false, ...fields,
});

beforeEach(() => {
  sessionStore.set({ token: "t", remember: false, roles: [], permissions: [], force_password_change: false, user: { id: 5, customer_id: 2 } } as never);
});
afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("paying an invoice by card", () => {
  it("pays with the chosen card in one call", async () => {
    const fetchImpl = vi.fn(async () => json(200, { status: "succeeded", invoice: { invoice_id: 9, paid: true } }));
    vi.stubGlobal("fetch", fetchImpl);
    const answer = await payInvoice(9, 7, () => Promise.reject(new Error("Stripe.js not needed")));
    expect(answer.paid).toBe(true);
    const [url, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe("/crm/stripe/invoice_id/9/pay");
    expect(JSON.parse(init.body as string)).toEqual({ card_id: 7 });
  });

  it("authenticates a 3-D Secure payment in the browser, then confirms it with the API", async () => {
    const fetchImpl = vi.fn()
      .mockResolvedValueOnce(json(200, { status: "requires_action", client_secret: "pi_1_secret_x", payment_intent_id: "pi_1" }))
      .mockResolvedValueOnce(json(200, { status: "succeeded", invoice: { invoice_id: 9, paid: true } }));
    vi.stubGlobal("fetch", fetchImpl);
    const stripe = { confirmCardPayment: vi.fn(async () => ({ paymentIntent: { id: "pi_1", status: "succeeded" } })) } as unknown as StripeLike;
    const answer = await payInvoice(9, undefined, async () => stripe);
    expect(stripe.confirmCardPayment).toHaveBeenCalledWith("pi_1_secret_x");
    expect(fetchImpl.mock.calls[1][0]).toBe("/crm/stripe/invoice_id/9/confirm");
    expect(JSON.parse((fetchImpl.mock.calls[1][1] as RequestInit).body as string)).toEqual({ payment_intent_id: "pi_1" });
    expect(answer.paid).toBe(true);
  });

  it("shows Stripe's decline reason (402) and does not confirm", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(402, { message: "The card was declined: Your card was declined.", errors: {}, decline_code: "generic_decline" })));
    const error = await payInvoice(9, 7, async () => ({}) as StripeLike).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(402);
    expect((error as ApiError).message).toMatch(/declined/);
  });
});

describe("adding a card", () => {
  it("confirms the SetupIntent with Stripe and stores only the payment method id", async () => {
    const fetchImpl = vi.fn()
      .mockResolvedValueOnce(json(200, { client_secret: "seti_1_secret", setup_intent_id: "seti_1" }))
      .mockResolvedValueOnce(json(200, { message: "Your Visa ending in 4242 has been added to your account.", card: card({ is_default: true }) }));
    vi.stubGlobal("fetch", fetchImpl);
    const element = { mount: vi.fn() };
    const stripe = { confirmCardSetup: vi.fn(async () => ({ setupIntent: { payment_method: "pm_123" } })) } as unknown as StripeLike;
    const saved = await addCard(stripe, element, 2, "John Smith", "Personal");
    expect(saved.last4).toBe("4242");
    expect(fetchImpl.mock.calls[0][0]).toBe("/crm/stripe/customer_id/2/setup_intent");
    const body = JSON.parse((fetchImpl.mock.calls[1][1] as RequestInit).body as string);
    expect(body).toEqual({ payment_method_id: "pm_123", setup_intent_id: "seti_1", nickname: "Personal" });
    expect(JSON.stringify(body)).not.toMatch(/4242|cvc|number/);
  });

  it("stops when Stripe refuses the card", async () => {
    const fetchImpl = vi.fn().mockResolvedValueOnce(json(200, { client_secret: "seti_1_secret", setup_intent_id: "seti_1" }));
    vi.stubGlobal("fetch", fetchImpl);
    const stripe = { confirmCardSetup: vi.fn(async () => ({ error: { message: "Your card number is incorrect." } })) } as unknown as StripeLike;
    await expect(addCard(stripe, { mount: vi.fn() }, 2, "J")).rejects.toThrow("Your card number is incorrect.");
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });
});

describe("cards", () => {
  it("charges add-ons to the default card that has not expired", () => {
    expect(chargeCard([card({ card_id: 1 }), card({ card_id: 2, is_default: true })])?.card_id).toBe(2);
    expect(chargeCard([card({ is_default: true, expired: true })])).toBeNull();
    expect(chargeCard([])).toBeNull();
  });

  it("warns about cards expired or expiring within 30 days", () => {
    const list = [card({ card_id: 1, days_until_expiry: 400 }), card({ card_id: 2, days_until_expiry: 12 }), card({ card_id: 3, expired: true, days_until_expiry: -3 })];
    expect(expiringCards(list).map((c) => c.card_id)).toEqual([2, 3]);
  });

  it("asks the API to confirm deleting the last card", async () => {
    const fetchImpl = vi.fn(async () => json(200, { message: "deleted", new_default: null }));
    vi.stubGlobal("fetch", fetchImpl);
    await stripeApi.remove(3, true);
    expect((fetchImpl.mock.calls[0] as unknown as [string])[0]).toBe("/crm/stripe/card_id/3?confirm=true");
  });
});
