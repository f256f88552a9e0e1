/** Billing endpoints (spec 07 §2, §4; spec 05 §5; the dashboard): the paths are the contract, kept in one place. */
import { api, ApiError, type Page, sessionStore } from ".";
import { toApiQuery, type ListParams } from "../lib/listParams";

export interface Transaction {
  transaction_id: number;
  customer_id: number;
  service_id?: number | null;
  site_id?: number | null;
  invoice_id?: number | null;
  title: string;
  description?: string | null;
  transaction_type: "debit" | "credit";
  credit_type?: string | null;
  retail_cost: string;
  wholesale_cost?: string | null;
  tax_percentage?: string | null;
  tax_amount?: string | null;
  void: boolean;
  created?: string | null;
}

export interface Invoice {
  invoice_id: number;
  customer_id: number;
  title: string | null;
  start_date?: string | null;
  end_date?: string | null;
  due_date?: string | null;
  retail_cost: string;
  paid: boolean;
  void: boolean;
  refunded: boolean;
  status: "Paid" | "Unpaid" | "Refunded";
  overdue?: boolean;
  payment_method?: string | null;
  payment_reference?: string | null;
  refund_reference?: string | null;
  created?: string | null;
}

export interface InvoiceDetail extends Invoice {
  transactions: Transaction[];
  count: number;
  subtotal: string;
  tax: string;
  total: string;
  payment?: Transaction | null;
}

export interface Preview {
  customer_id: number;
  transactions: Transaction[];
  count: number;
  subtotal: string;
  tax: string;
  total: string;
}

export interface Widget {
  count: number;
  amount: string;
  trend_percent?: string | null;
}

export type InvoiceStats = Record<"total" | "unpaid" | "this_month" | "last_month", Widget>;
export type TransactionStats = Record<"total" | "unbilled" | "this_month" | "last_month", Widget>;

/** Staff-only ways to mark an invoice paid (spec 07 §2.12); "Stripe" is the card payment. */
export const STAFF_PAYMENT_METHODS = ["Cash", "POS Transaction", "Bank Transfer", "Refund"] as const;
export const CREDIT_TYPES = ["Cash", "Card", "Bank Transfer"] as const;

export interface NewTransaction {
  customer_id: number;
  transaction_type: "debit" | "credit";
  credit_type?: string;
  title: string;
  description?: string;
  retail_cost: string;
  wholesale_cost?: string;
  tax_percentage?: string;
  service_id?: number;
  site_id?: number;
  created?: string;
}

export interface Renewal {
  ActionPlanID: string;
  NextRunTime?: string | null;
  renews_in?: string | null;
  customer_id: number | null;
  customer_name: string;
  service_id: number | null;
  service_uuid?: string | null;
  service_name: string;
  service_status: string;
  product_id?: number | null;
  product_name?: string | null;
  cost: string;
}

export interface DashboardFigure {
  count: number;
  link: string;
}

export interface Dashboard {
  generated: string;
  active_services?: DashboardFigure;
  new_customers?: DashboardFigure & { since: string };
  revenue?: { this_month: string; last_month: string; trend_percent: string | null; by_month: { month: string; amount: string }[]; link: string };
  unpaid?: DashboardFigure & { amount: string };
  failed_provisioning?: DashboardFigure;
  low_stock?: { threshold: number; count: number; link: string; templates: { inventory_template_id: number; item: string; available: number; link: string }[] };
  expiring_cards?: DashboardFigure;
}

function listOf<T>(path: string, params: ListParams) {
  return api.get<Page<T>>(path, toApiQuery(params));
}

export const invoicesApi = {
  list: (params: ListParams, customerId?: number) =>
    listOf<Invoice>(customerId ? `/crm/invoice/customer_id/${customerId}` : "/crm/invoice/", params),
  stats: (customerId?: number) => api.get<InvoiceStats>(customerId ? `/crm/invoice/customer_id/${customerId}/stats` : "/crm/invoice/stats"),
  get: (id: number) => api.get<InvoiceDetail>(`/crm/invoice/invoice_id/${id}`),
  preview: (body: { customer_id: number; start_date: string; end_date: string }) => api.post<Preview>("/crm/invoice/preview", body),
  generate: (body: { customer_id: number; title?: string; start_date: string; end_date: string; due_date: string; transaction_ids: number[] }) =>
    api.put<InvoiceDetail>("/crm/invoice/", body),
  void: (id: number) => api.delete<InvoiceDetail>(`/crm/invoice/invoice_id/${id}`),
  pay: (id: number, body: { payment_method: string; payment_reference?: string; payment_date?: string; payment_method_id?: number }) =>
    api.post<InvoiceDetail>(`/crm/invoice/${id}/pay`, body),
  email: (id: number, body?: { message?: string }) => api.post<{ message?: string }>(`/crm/invoice/${id}/email`, body ?? {}),
};

export const transactionsApi = {
  list: (params: ListParams, customerId?: number) =>
    listOf<Transaction>(customerId ? `/crm/transaction/customer_id/${customerId}` : "/crm/transaction/", params),
  stats: (customerId?: number) =>
    api.get<TransactionStats>(customerId ? `/crm/transaction/customer_id/${customerId}/stats` : "/crm/transaction/stats"),
  create: (body: NewTransaction) => api.put<Transaction>("/crm/transaction/", body),
  void: (id: number) => api.delete<Transaction>(`/crm/transaction/transaction_id/${id}`),
};

export const renewalsApi = {
  list: (params: ListParams) => listOf<Renewal>("/crm/oam/upcoming_renewals", params),
  renewNow: (planId: string) => api.post<{ provision_id: number; message?: string }>(`/crm/oam/renew_now/${encodeURIComponent(planId)}`),
  remove: (planId: string) => api.delete<{ message?: string }>(`/crm/oam/remove_action_plan/${encodeURIComponent(planId)}`),
};

export const dashboardApi = {
  get: () => api.get<Dashboard>("/crm/dashboard/"),
};

/** The invoice PDF as a download (`Invoice_<id>.pdf`): binary, so fetched directly with the session's token. */
export async function downloadInvoicePdf(id: number, fetchImpl: typeof fetch = (...a) => globalThis.fetch(...a)): Promise<string> {
  const get = () => fetchImpl(`/crm/invoice/${id}/pdf`, {
    headers: { Authorization: `Bearer ${sessionStore.get()?.token ?? ""}`, Accept: "application/pdf" },
    credentials: "same-origin",
  });
  let response = await get();
  if (response.status === 401) {
    // Let the API client renew the session (or end it), then try once more.
    await api.get(`/crm/invoice/invoice_id/${id}`);
    response = await get();
  }
  if (!response.ok) {
    let message = `Download failed (${response.status})`;
    try {
      const body = await response.json() as { message?: string };
      if (body?.message) message = body.message;
    } catch { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  const disposition = response.headers.get("Content-Disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? `Invoice_${String(id).padStart(5, "0")}.pdf`;
  const blob = await response.blob();
  if (typeof URL.createObjectURL === "function") {
    const url = URL.createObjectURL(blob);
    const link = document.createElement("a");
    link.href = url;
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
  return name;
}
