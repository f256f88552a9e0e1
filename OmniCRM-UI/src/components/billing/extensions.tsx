/**
 * The card side of billing (Stripe: pay by card, refund), plugged into the invoice modals here so the rest of the
 * billing screens do not depend on it. Without Stripe (no publishable key) only the staff methods are offered.
 */
import type { ReactNode } from "react";
import type { Invoice, InvoiceDetail } from "../../api/billing";
import type { Requirement } from "../../auth/permissions";

export interface BillingExtensions {
  /** Card methods offered first in the pay modal (e.g. "Stripe"). */
  payMethods: (invoice: Invoice | InvoiceDetail | null) => string[];
  isCardMethod: (method: string) => boolean;
  payByCard: (invoice: Invoice, extra: Record<string, unknown>) => Promise<unknown>;
  CardPicker: (props: { invoice: Invoice; onChange: (extra: Record<string, unknown>) => void }) => ReactNode;
  canRefund: (invoice: Invoice, allows: (r: Requirement) => boolean) => boolean;
  RefundButton: (props: { invoice: Invoice }) => ReactNode;
}

export const billingExtensions: BillingExtensions = {
  payMethods: () => [],
  isCardMethod: () => false,
  payByCard: () => Promise.reject(new Error("Card payments are not available")),
  CardPicker: () => null,
  canRefund: () => false,
  RefundButton: () => null,
};
