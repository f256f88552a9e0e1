/** Stripe payment methods, card payments, refunds and expiring cards (contract: s4-stripe, spec 07 §1, §2.12, §2.15). */
import { api, type Page } from ".";
import { toApiQuery, type ListParams } from "../lib/listParams";
import type { InvoiceDetail } from "./billing";

export interface Card {
  card_id: number;
  customer_id: number;
  customer_stripe_id?: string;
  brand: string;
  last4: string;
  exp_month: number;
  exp_year: number;
  expiry: string;
  name?: string | null;
  nickname?: string | null;
  country?: string | null;
  is_default: boolean;
  created?: string | null;
  expired?: boolean;
  days_until_expiry?: number;
}

export interface ExpiringCard extends Card {
  customer_name: string;
  customer_account_type?: string;
  last_reminder?: string | null;
}

export interface StripeConfig {
  configured: boolean;
  publishable_key?: string;
  js_url?: string;
  currency?: string;
}

export type CardPayment =
  | { status: "succeeded"; invoice: InvoiceDetail }
  | { status: "requires_action"; client_secret: string; payment_intent_id: string };

export const stripeApi = {
  config: () => api.get<StripeConfig>("/crm/stripe/config"),
  cards: (customerId: number) => api.get<{ data: Card[] }>(`/crm/stripe/customer_id/${customerId}`),
  setupIntent: (customerId: number) =>
    api.post<{ client_secret: string; setup_intent_id: string; publishable_key: string; js_url: string }>(`/crm/stripe/customer_id/${customerId}/setup_intent`, {}),
  addCard: (customerId: number, body: { payment_method_id: string; nickname?: string; setup_intent_id?: string }) =>
    api.post<{ message: string; card: Card }>(`/crm/stripe/customer_id/${customerId}/cards`, body),
  setDefault: (cardId: number) => api.post<{ message: string; card: Card }>(`/crm/stripe/card_id/${cardId}/default`, {}),
  remove: (cardId: number, confirm = false) =>
    api.request<{ message: string; new_default: Card | null }>(`/crm/stripe/card_id/${cardId}`, { method: "DELETE", query: confirm ? { confirm: "true" } : undefined }),
  payInvoice: (invoiceId: number, cardId?: number) =>
    api.post<CardPayment>(`/crm/stripe/invoice_id/${invoiceId}/pay`, cardId ? { card_id: cardId } : {}),
  confirmPayment: (invoiceId: number, paymentIntentId: string) =>
    api.post<{ status: "succeeded"; invoice: InvoiceDetail }>(`/crm/stripe/invoice_id/${invoiceId}/confirm`, { payment_intent_id: paymentIntentId }),
  refund: (invoiceId: number) => api.post<InvoiceDetail>(`/crm/stripe/invoice_id/${invoiceId}/refund`, {}),
  expiring: (params: ListParams) => api.get<Page<ExpiringCard>>("/crm/stripe/expiring_cards", toApiQuery(params)),
  notify: (cardIds: number[]) =>
    api.post<{ sent: number[]; skipped: { card_id: number; reason: string }[] }>("/crm/stripe/expiring_cards/notify", { card_ids: cardIds }),
};

/** "Visa ending in 4242" style label of a card for tables and messages. */
export function cardLabel(card: Pick<Card, "brand" | "last4">): string {
  const brand = card.brand ? card.brand.charAt(0).toUpperCase() + card.brand.slice(1) : "Card";
  return `${brand} **${card.last4}`;
}

/** The card an invoice payment starts with: the default card, else the newest. */
export function preselectedCard(cards: readonly Card[]): Card | undefined {
  return cards.find((c) => c.is_default) ?? cards[0];
}

/** Delete (spec 07 §1.7): the default card cannot be deleted while the customer has other cards. */
export function canDeleteCard(card: Card, cards: readonly Card[]): boolean {
  return !(card.is_default && cards.length > 1);
}

/**
 * Pay an invoice by card; when the bank asks for 3-D Secure, let Stripe.js authenticate (`confirmCardPayment`) and
 * then have the API record the payment. Throws on a decline (the API's 402 message) or a failed authentication.
 */
export async function payInvoiceByCard(
  invoiceId: number,
  cardId: number | undefined,
  confirmCardPayment: (clientSecret: string) => Promise<{ error?: { message?: string } }>,
): Promise<InvoiceDetail> {
  const first = await stripeApi.payInvoice(invoiceId, cardId);
  if (first.status === "succeeded") return first.invoice;
  const result = await confirmCardPayment(first.client_secret);
  if (result.error) throw new Error(result.error.message || "The card could not be authenticated");
  return (await stripeApi.confirmPayment(invoiceId, first.payment_intent_id)).invoice;
}

/** Delete a card; the API asks once more for the customer's only card (409 confirmation_required). */
export async function deleteCard(cardId: number, confirmLast: (message: string) => Promise<boolean>) {
  try {
    return await stripeApi.remove(cardId);
  } catch (error) {
    const body = (error as { body?: { confirmation_required?: boolean; message?: string } }).body;
    if ((error as { status?: number }).status === 409 && body?.confirmation_required) {
      if (!(await confirmLast(body.message ?? ""))) return null;
      return stripeApi.remove(cardId, true);
    }
    throw error;
  }
}
