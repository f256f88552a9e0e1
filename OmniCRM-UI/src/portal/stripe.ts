/**
 * Card payments in the portal (spec 07 §1, §2.12, §6.6), on the Stripe endpoints of /work/wt/notes/stripe_api.md:
 * saved cards through a SetupIntent and Stripe Elements (card data goes to Stripe only), invoices paid with a saved
 * card (3-D Secure through `confirmCardPayment`), and the card add-ons are charged to (the default one).
 */
import { api, ApiError } from "../api";

export interface StripeConfig {
  configured: boolean;
  publishable_key: string;
  js_url: string;
  currency?: string;
}

export interface Card {
  card_id: number;
  customer_id: number;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  expiry: string;
  name?: string | null;
  nickname?: string | null;
  is_default: boolean;
  expired: boolean;
  days_until_expiry?: number;
  created?: string;
}

export interface PayAnswer {
  status: "succeeded" | "requires_action";
  invoice?: { invoice_id: number; paid: boolean };
  client_secret?: string;
  payment_intent_id?: string;
}

/** What the portal needs of Stripe.js (real or localstripe's fake). */
export interface StripeLike {
  elements(): { create(type: "card", options?: Record<string, unknown>): StripeCardElement };
  confirmCardSetup(clientSecret: string, data: Record<string, unknown>): Promise<{ setupIntent?: { payment_method: string | { id: string } }; error?: { message?: string } }>;
  confirmCardPayment(clientSecret: string, data?: Record<string, unknown>): Promise<{ paymentIntent?: { id: string; status: string }; error?: { message?: string } }>;
}

export interface StripeCardElement {
  mount(target: HTMLElement | string): void;
  unmount?(): void;
  destroy?(): void;
  on?(event: string, handler: (event: { error?: { message?: string }; complete?: boolean }) => void): void;
}

export const stripeApi = {
  config: () => api.get<StripeConfig>("/crm/stripe/config"),
  cards: async (customerId: number) => (await api.get<{ data: Card[] }>(`/crm/stripe/customer_id/${customerId}`)).data ?? [],
  setupIntent: (customerId: number) =>
    api.post<{ client_secret: string; setup_intent_id: string }>(`/crm/stripe/customer_id/${customerId}/setup_intent`, {}),
  saveCard: (customerId: number, body: { payment_method_id: string; nickname?: string; setup_intent_id?: string }) =>
    api.post<{ message: string; card: Card }>(`/crm/stripe/customer_id/${customerId}/cards`, body),
  setDefault: (cardId: number) => api.post<{ message: string; card: Card }>(`/crm/stripe/card_id/${cardId}/default`, {}),
  remove: (cardId: number, confirm = false) =>
    api.request<{ message: string; new_default: Card | null }>(`/crm/stripe/card_id/${cardId}`, { method: "DELETE", query: confirm ? { confirm: "true" } : undefined }),
  pay: (invoiceId: number, cardId?: number) => api.post<PayAnswer>(`/crm/stripe/invoice_id/${invoiceId}/pay`, cardId ? { card_id: cardId } : {}),
  confirm: (invoiceId: number, paymentIntentId: string) =>
    api.post<PayAnswer>(`/crm/stripe/invoice_id/${invoiceId}/confirm`, { payment_intent_id: paymentIntentId }),
};

declare global {
  interface Window { Stripe?: (key: string) => StripeLike }
}

let loading: Promise<StripeLike> | null = null;

/** Stripe.js from the URL the API names (js.stripe.com, or localstripe's fake in the demo), once per page. */
export function loadStripe(config: StripeConfig): Promise<StripeLike> {
  if (!config.configured) return Promise.reject(new Error("Card payments are not configured"));
  if (!loading) {
    loading = new Promise<StripeLike>((resolve, reject) => {
      const ready = () => (window.Stripe ? resolve(window.Stripe(config.publishable_key)) : reject(new Error("Stripe.js did not load")));
      if (window.Stripe) return ready();
      const script = document.createElement("script");
      script.src = config.js_url;
      script.async = true;
      script.onload = ready;
      script.onerror = () => { loading = null; reject(new Error("Stripe.js could not be loaded")); };
      document.head.appendChild(script);
    });
  }
  return loading;
}

/** Add a card: SetupIntent → Stripe confirms the card (Elements) → the API stores the payment method's token. */
export async function addCard(stripe: StripeLike, card: StripeCardElement, customerId: number, holder: string, nickname?: string): Promise<Card> {
  const intent = await stripeApi.setupIntent(customerId);
  const result = await stripe.confirmCardSetup(intent.client_secret, { payment_method: { card, billing_details: { name: holder } } });
  if (result.error || !result.setupIntent) throw new ApiError(402, result.error?.message ?? "The card could not be verified");
  const method = result.setupIntent.payment_method;
  const saved = await stripeApi.saveCard(customerId, {
    payment_method_id: typeof method === "string" ? method : method.id,
    setup_intent_id: intent.setup_intent_id,
    ...(nickname ? { nickname } : {}),
  });
  return saved.card;
}

/** Pay an invoice with a saved card; a card that needs 3-D Secure is authenticated in the browser, then confirmed. */
export async function payInvoice(invoiceId: number, cardId: number | undefined, stripe: () => Promise<StripeLike>): Promise<PayAnswer> {
  const answer = await stripeApi.pay(invoiceId, cardId);
  if (answer.status !== "requires_action") return answer;
  const confirmed = await (await stripe()).confirmCardPayment(answer.client_secret as string);
  if (confirmed.error) throw new ApiError(402, confirmed.error.message ?? "The payment was not authenticated");
  return stripeApi.confirm(invoiceId, confirmed.paymentIntent?.id ?? (answer.payment_intent_id as string));
}

/** The card an add-on is charged to: the default, else none (the portal asks for a card first). */
export function chargeCard(cards: Card[]): Card | null {
  return cards.find((c) => c.is_default && !c.expired) ?? null;
}

export const cardLabel = (card: Card) =>
  `${card.brand.charAt(0).toUpperCase()}${card.brand.slice(1)} •••• ${card.last4}${card.nickname ? ` (${card.nickname})` : ""}`;

/** Cards to warn about on the dashboard (spec 07 §6.9 "expiring payment method"): expired or within 30 days. */
export function expiringCards(cards: Card[], days = 30): Card[] {
  return cards.filter((c) => c.expired || (c.days_until_expiry !== undefined && c.days_until_expiry <= days));
}
