/** Pure rules of the self-care portal (spec 07 §6), kept apart from the screens so they are tested directly. */
import type { Service } from "../api/domain";
import type { Invoice, PortalAlert } from "./api";

const DAY = 86_400_000;
export const EXPIRING_SOON_DAYS = 7;

/** Naive UTC from the API ("2025-01-02T03:04:05") as a Date. */
export function utc(iso: string | null | undefined): Date | null {
  if (!iso) return null;
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

export type InvoiceStatus = "paid" | "unpaid" | "overdue" | "void";

/** Self-care shows Paid, Unpaid or Overdue (spec 07 §6.6); a voided invoice says so. */
export function invoiceStatus(invoice: Invoice, now = new Date()): InvoiceStatus {
  if (invoice.void) return "void";
  if (invoice.paid) return "paid";
  const due = utc(invoice.due_date);
  return invoice.overdue || (due !== null && due < now) ? "overdue" : "unpaid";
}

export const INVOICE_COLOURS: Record<InvoiceStatus, string> = { paid: "green", unpaid: "yellow", overdue: "red", void: "gray" };

export type ServiceIndicator = "active" | "expiringSoon" | "suspended" | "expired" | "cancelled" | "inactive";

/** The status badge of a service card: Expiring Soon when it ends (or renews) in under 7 days (spec 07 §6.4). */
export function serviceIndicator(service: Pick<Service, "service_status" | "service_deactivate_date">, now = new Date()): ServiceIndicator {
  const status = service.service_status;
  const end = utc(service.service_deactivate_date);
  if (status === "Suspended") return "suspended";
  if (status === "Deactivated") return end && end < now ? "expired" : "cancelled";
  if (status === "Pending Cancellation") return "cancelled";
  if (status !== "Active") return "inactive";
  if (end && end < now) return "expired";
  if (end && end.getTime() - now.getTime() < EXPIRING_SOON_DAYS * DAY) return "expiringSoon";
  return "active";
}

export const INDICATOR_COLOURS: Record<ServiceIndicator, string> = {
  active: "green", expiringSoon: "orange", suspended: "red", expired: "gray", cancelled: "gray", inactive: "gray",
};

/** Whole days until `iso` (rounded up; 0 when past). */
export function daysUntil(iso: string | null | undefined, now = new Date()): number | null {
  const date = utc(iso);
  if (!date) return null;
  return Math.max(0, Math.ceil((date.getTime() - now.getTime()) / DAY));
}

/** Auto-renewal is on when the OCS holds an ActionPlan for the service. */
export function autoRenews(service: Service): boolean {
  return (service.cgrates?.ActionPlans?.length ?? 0) > 0;
}

/** The i18n key and values of one alert line. */
export function alertMessage(alert: PortalAlert): { key: string; values: Record<string, string | number> } {
  switch (alert.kind) {
    case "low_balance":
      return { key: "alerts.lowBalance", values: { service: alert.service_name ?? "", type: (alert.balance_type ?? "").toLowerCase(), percent: alert.percent_remaining ?? 0 } };
    case "service_expiry":
      return { key: "alerts.serviceExpiry", values: { service: alert.service_name ?? "", count: alert.days_left ?? 0 } };
    case "overdue_invoice":
      return { key: "alerts.overdueInvoice", values: { id: alert.invoice_id ?? 0, amount: alert.amount ?? "" } };
    default:
      return { key: "alerts.unpaidInvoice", values: { id: alert.invoice_id ?? 0, amount: alert.amount ?? "" } };
  }
}

/** Unpaid (including overdue) invoices and what they add up to, in cents to stay exact. */
export function unpaidSummary(invoices: Invoice[], now = new Date()): { count: number; total: string; overdue: number } {
  let cents = 0;
  let count = 0;
  let overdue = 0;
  for (const invoice of invoices) {
    const status = invoiceStatus(invoice, now);
    if (status !== "unpaid" && status !== "overdue") continue;
    count += 1;
    if (status === "overdue") overdue += 1;
    const [whole, fraction = ""] = String(invoice.retail_cost).split(".");
    const sign = whole.startsWith("-") ? -1 : 1;
    cents += sign * (Math.abs(Number(whole)) * 100 + Number(fraction.padEnd(2, "0").slice(0, 2)));
  }
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return { count, overdue, total: `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}` };
}

/** A transaction's amount as the portal shows it: the size (Decimal text, no sign) and whether it is a credit. The API
 * stores credits negative ("-10.00"), older rows may hold them positive; either way a credit shows one "−". */
export function transactionAmount(row: { transaction_type?: string | null; retail_cost?: string | number | null }): { credit: boolean; amount: string } {
  const text = String(row.retail_cost ?? "0").trim();
  return { credit: row.transaction_type === "credit", amount: text.replace(/^[-+]/, "") };
}

/** Portal paths: a customer user belongs here, staff to the console. */
export const PORTAL_ROOT = "/self-care";
export const isPortalPath = (path: string) => path === PORTAL_ROOT || path.startsWith(`${PORTAL_ROOT}/`);
export const isCustomerUser = (user: { customer_id?: number | null } | null | undefined) =>
  user !== null && user !== undefined && user.customer_id !== null && user.customer_id !== undefined;

/** A date without the time, in the configured locale (naive UTC from the API). */
export function formatDay(iso: string | null | undefined, locale = "en-GB"): string {
  const date = utc(iso);
  if (!date) return "";
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(date);
}
