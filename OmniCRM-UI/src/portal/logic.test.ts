import { describe, expect, it } from "vitest";
import type { Invoice } from "./api";
import { alertMessage, daysUntil, invoiceStatus, isCustomerUser, isPortalPath, serviceIndicator, transactionAmount, unpaidSummary } from "./logic";

const NOW = new Date("2026-03-10T12:00:00Z");
const invoice = (fields: Partial<Invoice>): Invoice => ({ invoice_id: 1, customer_id: 1, retail_cost: "10.00", paid: false, void: false, ...fields });

describe("invoiceStatus", () => {
  it("is Paid, Unpaid, Overdue or Void", () => {
    expect(invoiceStatus(invoice({ paid: true }), NOW)).toBe("paid");
    expect(invoiceStatus(invoice({ due_date: "2026-03-20T00:00:00" }), NOW)).toBe("unpaid");
    expect(invoiceStatus(invoice({ due_date: "2026-03-01T00:00:00" }), NOW)).toBe("overdue");
    expect(invoiceStatus(invoice({ overdue: true }), NOW)).toBe("overdue");
    expect(invoiceStatus(invoice({ void: true, paid: true }), NOW)).toBe("void");
  });
});

describe("serviceIndicator", () => {
  it("says Expiring soon under 7 days, not at 8", () => {
    expect(serviceIndicator({ service_status: "Active", service_deactivate_date: "2026-03-16T11:00:00" }, NOW)).toBe("expiringSoon");
    expect(serviceIndicator({ service_status: "Active", service_deactivate_date: "2026-03-18T12:00:00" }, NOW)).toBe("active");
    expect(serviceIndicator({ service_status: "Active", service_deactivate_date: null }, NOW)).toBe("active");
  });
  it("maps the other statuses", () => {
    expect(serviceIndicator({ service_status: "Suspended" }, NOW)).toBe("suspended");
    expect(serviceIndicator({ service_status: "Deactivated", service_deactivate_date: "2026-03-01T00:00:00" }, NOW)).toBe("expired");
    expect(serviceIndicator({ service_status: "Pending Cancellation" }, NOW)).toBe("cancelled");
  });
});

describe("unpaidSummary", () => {
  it("adds unpaid and overdue invoices exactly", () => {
    const summary = unpaidSummary([
      invoice({ retail_cost: "0.10", due_date: "2026-03-01T00:00:00" }), invoice({ retail_cost: "0.20" }),
      invoice({ retail_cost: "99.99", paid: true }), invoice({ retail_cost: "5", void: true }),
    ], NOW);
    expect(summary).toEqual({ count: 2, overdue: 1, total: "0.30" });
  });
});

describe("helpers", () => {
  it("counts days and recognises portal paths and customer users", () => {
    expect(daysUntil("2026-03-13T12:00:00", NOW)).toBe(3);
    expect(daysUntil("2026-03-01T12:00:00", NOW)).toBe(0);
    expect(isPortalPath("/self-care/usage/3")).toBe(true);
    expect(isPortalPath("/self-careers")).toBe(false);
    expect(isCustomerUser({ customer_id: 4 })).toBe(true);
    expect(isCustomerUser({ customer_id: null })).toBe(false);
  });
  it("words alerts through i18n keys", () => {
    expect(alertMessage({ kind: "service_expiry", severity: "warning", service_name: "Mobile", days_left: 3 }))
      .toEqual({ key: "alerts.serviceExpiry", values: { service: "Mobile", count: 3 } });
    expect(alertMessage({ kind: "low_balance", severity: "warning", service_name: "Mobile", balance_type: "DATA", percent_remaining: 5 }).values.type).toBe("data");
  });
});

describe("transactionAmount", () => {
  it("shows a credit stored negative with its size only (the screen adds one minus)", () => {
    expect(transactionAmount({ transaction_type: "credit", retail_cost: "-10.00" })).toEqual({ credit: true, amount: "10.00" });
    expect(transactionAmount({ transaction_type: "credit", retail_cost: "5.50" })).toEqual({ credit: true, amount: "5.50" });
    expect(transactionAmount({ transaction_type: "debit", retail_cost: "12.50" })).toEqual({ credit: false, amount: "12.50" });
  });
});
