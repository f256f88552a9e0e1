/**
 * Card payments in the portal (spec 07 §1, §2.12, §6.6), on the Stripe endpoints of /work/wt/notes/stripe_api.md:
 * saved cards through a SetupIntent and Stripe Elements (card data goes to Stripe only), invoices paid with a saved
 * card (3-D Secure through `confirmCardPayment`), and the card add-ons are charged to (the default one).
 */
import { ApiError } from "../api";
import { payInvoiceByCard, stripeApi, type Card, type StripeConfig } from "../api/stripe";
import { loadStripe as loadStripeJs, type StripeCardElement, type StripeJs } from "../lib/stripeJs";

export { stripeApi };
export type { Card, StripeCardElement, StripeConfig };
export type StripeLike = StripeJs;

/** Stripe.js from the URL the API names (js.stripe.com, or localstripe's fake in the demo), once per page. */
export function loadStripe(config: StripeConfig): Promise<StripeJs> {
  if (!config.configured || !config.js_url || !config.publishable_key) {
    return Promise.reject(new Error("Card payments are not configured"));
  }
  return loadStripeJs(config.js_url, config.publishable_key);
}

/** The subscriber's saved cards. */
export async function savedCards(customerId: number): Promise<Card[]> {
  return (await stripeApi.cards(customerId)).data ?? [];
}

/** Add a card: SetupIntent → Stripe confirms the card (Elements) → the API stores the payment method's token. */
export async function addCard(stripe: StripeLike, card: StripeCardElement, customerId: number, holder: string, nickname?: string): Promise<Card> {
  const intent = await stripeApi.setupIntent(customerId);
  const result = await stripe.confirmCardSetup(intent.client_secret, { payment_method: { card, billing_details: { name: holder } } });
  if (result.error || !result.setupIntent) throw new ApiError(402, result.error?.message ?? "The card could not be verified");
  const method = result.setupIntent.payment_method;
  const saved = await stripeApi.addCard(customerId, {
    payment_method_id: typeof method === "string" ? method : method.id,
    setup_intent_id: intent.setup_intent_id,
    ...(nickname ? { nickname } : {}),
  });
  return saved.card;
}

/** Pay an invoice with a saved card; a card that needs 3-D Secure is authenticated in the browser, then confirmed. */
export function payInvoice(invoiceId: number, cardId: number | undefined, stripe: () => Promise<StripeJs>) {
  return payInvoiceByCard(invoiceId, cardId, async (clientSecret) => (await stripe()).confirmCardPayment(clientSecret));
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
