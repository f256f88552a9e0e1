/**
 * What the self-care portal calls (spec 07 §6). Every call is confined to the subscriber's own customer by the API
 * (customer users: `own=` / `self_care` endpoints, 404 for other customers); the portal adds no scoping of its own.
 */
import { api, type Page } from "../api";
import type { Product, ProvisionCreated, Service, Usage } from "../api/domain";

export interface PortalAlert {
  kind: "low_balance" | "service_expiry" | "unpaid_invoice" | "overdue_invoice";
  severity: "warning" | "error";
  service_id?: number;
  service_name?: string;
  balance_type?: string;
  percent_remaining?: number;
  remaining?: string;
  invoice_id?: number;
  amount?: string;
  due_date?: string | null;
  expires?: string;
  days_left?: number;
}

export interface UsageHistory {
  days: string[];
  series: Record<string, number[]>;
  units: Record<string, string>;
}

export interface ActivityRow {
  activity_id: number;
  description: string;
  actor: string;
  created: string;
}

export interface CustomerApiKey {
  api_key_id: number;
  name: string;
  access: "read_only" | "read_write";
  api_key: string;
  status: string;
  created?: string | null;
  expiry_date?: string | null;
  last_used?: string | null;
}

export interface Preferences {
  email_enabled: boolean;
  low_balance_percent: number;
  billing: boolean;
  usage: boolean;
  service: boolean;
}

export interface Invoice {
  invoice_id: number;
  customer_id: number;
  title?: string | null;
  due_date?: string | null;
  created?: string | null;
  retail_cost: string;
  paid: boolean;
  void: boolean;
  refunded?: boolean;
  overdue?: boolean;
}

export interface Transaction {
  transaction_id: number;
  title?: string | null;
  description?: string | null;
  transaction_type?: string | null;
  retail_cost: string;
  invoice_id?: number | null;
  void?: boolean;
  created?: string | null;
}

export interface CustomerRecord {
  customer_id: number;
  customer_name: string;
  customer_account_type?: string | null;
  customer_status?: string | null;
  created?: string | null;
}

export interface ContactRecord {
  contact_id: number;
  contact_firstname: string;
  contact_lastname?: string;
  contact_email?: string | null;
  contact_phone?: string | null;
  contact_types?: string | null;
}

export interface SiteRecord {
  site_id: number;
  site_name?: string | null;
  address_line_1?: string | null;
  city?: string | null;
  zip_code?: string | null;
  country?: string | null;
}

export interface PortalLogin {
  contact_id: number;
  customer_id: number;
  name: string;
  contact_email?: string | null;
  has_login: boolean;
  user_id: number | null;
  email: string | null;
  active: boolean | null;
  last_login: string | null;
  invited: boolean;
}

const list = <T,>(value: Page<T> | T[]): T[] => (Array.isArray(value) ? value : value?.data ?? []);

export const portalApi = {
  alerts: () => api.get<{ customer_id: number; alerts: PortalAlert[] }>("/crm/portal/alerts"),
  preferences: () => api.get<Preferences>("/crm/portal/preferences"),
  savePreferences: (body: Partial<Preferences>) => api.put<Preferences>("/crm/portal/preferences", body),
  saveAccount: (body: { phone_number?: string; email?: string }) => api.put<Record<string, unknown>>("/crm/portal/account", body),
  customer: (id: number) => api.get<CustomerRecord>(`/crm/customer/customer_id/${id}`),
  contacts: async (id: number) => list(await api.get<Page<ContactRecord> | ContactRecord[]>(`/crm/contact/customer_id/${id}`)),
  sites: async (id: number) => list(await api.get<Page<SiteRecord> | SiteRecord[]>(`/crm/site/customer_id/${id}`)),
  services: async () => list(await api.get<Page<Service>>("/crm/service/", { per_page: 100 })),
  cancelService: (id: number, reason: string) => api.post<Service>(`/crm/service/${id}/cancel`, { reason }),
  service: (id: number) => api.get<Service>(`/crm/service/${id}`),
  usage: (id: number) => api.get<Usage>(`/crm/service/${id}/usage`),
  invoices: async (customerId: number) =>
    list(await api.get<Page<Invoice>>(`/crm/invoice/customer_id/${customerId}`, { per_page: 100, sort: "invoice_id", order: "desc" })),
  transactions: async (customerId: number) =>
    list(await api.get<Page<Transaction>>(`/crm/transaction/customer_id/${customerId}`, { per_page: 50, sort: "transaction_id", order: "desc" })),
  usageHistory: (serviceId: number, days = 30) =>
    api.get<UsageHistory>(`/crm/portal/usage_history/service_id/${serviceId}`, { days }),
  addons: async (serviceId: number) =>
    list(await api.get<Page<Product>>("/crm/product/", { per_page: 100, service_id: serviceId })),
  order: (serviceId: number, productId: number, autoRenew?: boolean) =>
    api.put<ProvisionCreated>("/crm/provision/", { service_id: serviceId, product_id: productId, ...(autoRenew === undefined ? {} : { auto_renew: autoRenew }) }),
  changePassword: (current: string, next: string) =>
    api.post<Record<string, unknown>>("/crm/auth/change_password", { current_password: current, new_password: next, refresh_in_cookie: true }),
  activity: async (customerId: number) =>
    list(await api.get<Page<ActivityRow>>(`/crm/activity/customer_id/${customerId}`, { per_page: 10, sort: "created", order: "desc" })),
  apiKeys: () => api.get<CustomerApiKey[]>("/crm/portal/api_keys"),
  createApiKey: (body: { name: string; access: "read_only" | "read_write"; expiry_date: string }) =>
    api.post<CustomerApiKey>("/crm/portal/api_keys", body),
  revokeApiKey: (id: number) => api.delete<{ message: string }>(`/crm/portal/api_keys/${id}`),
  // Staff side (console): the customer's subscriber logins.
  logins: (customerId: number) => api.get<PortalLogin[]>(`/crm/portal/logins/customer_id/${customerId}`),
  invite: (contactId: number, email?: string) => api.post<PortalLogin>(`/crm/portal/invite/contact_id/${contactId}`, email ? { email } : {}),
  setLoginActive: (userId: number, active: boolean) =>
    api.post<PortalLogin>(`/crm/portal/logins/user_id/${userId}/${active ? "enable" : "disable"}`),
};

/** The invoice PDF, saved as a download (the console's: the bearer token is needed, so no plain link). */
export { downloadInvoicePdf } from "../api/billing";
