/**
 * Endpoints of the catalogue, inventory, services, OCS and provisioning (spec 02 §4, 04, 05, 06 §4). The paths are
 * the contract and live only here; the types carry the fields the console reads.
 */
import { api, type Page } from ".";
import { toApiQuery, type ListParams } from "../lib/listParams";

type Query = Record<string, string | number | boolean | undefined>;
const listQuery = (params: ListParams, extra: Query = {}) => ({ ...toApiQuery(params), ...extra });
const filterQuery = (filters: Record<string, unknown[]>) => JSON.stringify(filters);

// ------------------------------------------------------------------------------------------ customers (extra)

export interface Attribute {
  attribute_id: number;
  customer_id: number;
  attribute_name: string;
  attribute_value: string;
  created?: string;
  last_modified?: string;
}

export interface Tag {
  tag_id: number;
  customer_id: number;
  tag_text: string;
  tag_hex_color: string;
  tag_link?: string | null;
  tag_active_date: string;
  tag_deactivate_date?: string | null;
  tag_active?: boolean;
}

export interface ActivityEntry {
  activity_id: number;
  customer_id: number | null;
  entity_type: string;
  entity_id: string | null;
  action: string;
  description: string | null;
  changes: Record<string, { before: unknown; after: unknown }> | null;
  actor: string | null;
  ip_address: string | null;
  created: string;
}

export const attributesApi = {
  list: (customerId: number) => api.get<Attribute[]>(`/crm/attribute/customer_id/${customerId}`),
  put: (body: Omit<Attribute, "attribute_id">) => api.put<Attribute>("/crm/attribute/", body),
  update: (id: number, body: Partial<Attribute>) => api.patch<Attribute>(`/crm/attribute/attribute_id/${id}`, body),
  remove: (id: number) => api.delete(`/crm/attribute/attribute_id/${id}`),
};

export const tagsApi = {
  list: (customerId: number) => api.get<Tag[]>(`/crm/tag/customer_id/${customerId}`),
  create: (body: Omit<Tag, "tag_id" | "tag_active">) => api.put<Tag>("/crm/tag/", body),
  update: (id: number, body: Partial<Tag>) => api.patch<Tag>(`/crm/tag/tag_id/${id}`, body),
  remove: (id: number) => api.delete(`/crm/tag/tag_id/${id}`),
};

export const activityApi = {
  list: (customerId: number, params: ListParams) =>
    api.get<Page<ActivityEntry>>(`/crm/activity/customer_id/${customerId}`, listQuery(params)),
};

// ------------------------------------------------------------------------------------------ products

export const PRODUCT_CATEGORIES = ["standalone", "addon", "bundle", "promo"] as const;
export const AUTO_RENEW_CHOICES = ["prompt", "true", "false"] as const;

export interface Product {
  product_id: number;
  product_name: string;
  product_slug: string;
  category: string;
  service_type?: string | null;
  comment?: string | null;
  icon?: string | null;
  retail_cost?: string | null;
  wholesale_cost?: string | null;
  retail_setup_cost?: string | null;
  wholesale_setup_cost?: string | null;
  tax_percentage?: string | null;
  enabled: boolean;
  residential: boolean;
  business: boolean;
  customer_can_purchase: boolean;
  available_from?: string | null;
  available_until?: string | null;
  contract_days?: number | null;
  auto_renew?: string | null;
  allow_auto_renew?: boolean;
  terms?: string | null;
  features_list?: string[] | string | null;
  provisioning_play?: string | null;
  provisioning_json_vars?: string | Record<string, unknown> | null;
  inventory_items_list?: string[] | string | null;
  relies_on_list?: (string | number)[] | string | null;
  created?: string;
  last_modified?: string;
}

export const productsApi = {
  manage: (params: ListParams) => api.get<Page<Product>>("/crm/product/paginated", listQuery(params)),
  /** What may be sold now to this customer (or onto this service, for add-ons). */
  offer: (query: { customer_id?: number; service_id?: number; category?: string }) =>
    api.get<Page<Product>>("/crm/product/", { per_page: 100, ...query }),
  get: (id: number) => api.get<Product>(`/crm/product/product_id/${id}`),
  create: (body: Partial<Product>) => api.post<Product>("/crm/product/", body),
  update: (id: number, body: Partial<Product>) => api.patch<Product>(`/crm/product/product_id/${id}`, body),
  clone: (id: number) => api.post<Product>(`/crm/product/product_id/${id}/clone`),
  remove: (id: number) => api.delete(`/crm/product/product_id/${id}`),
};

// ------------------------------------------------------------------------------------------ inventory

export const ITEM_STATES = ["New", "In Transit", "In Stock", "Assigned", "In Use", "Used", "Internal Use", "Damaged",
  "Out of Service", "Decommissioned", "Lost", "Stolen", "Quarantined"];

export interface InventoryTemplate {
  inventory_template_id: number;
  item: string;
  icon?: string | null;
  wholesale_cost: string;
  retail_cost: string;
  allow_staff_dropdown: boolean;
  allow_customer_dropdown: boolean;
  secret_fields?: string[];
  labels: Record<string, string>;
  [label: string]: unknown;
}

export interface InventoryItem {
  inventory_id: number;
  inventory_template_id: number;
  item: string;
  customer_id?: number | null;
  service_id?: number | null;
  item_state: string;
  item_location?: string | null;
  retail_cost?: string | null;
  wholesale_cost?: string | null;
  itemtext1?: string | null;
  itemtext2?: string | null;
  label?: string;
  created?: string;
  [field: string]: unknown;
}

export interface ImportReport {
  dry_run: boolean;
  item: string;
  rows: number;
  valid_rows: number;
  invalid_rows: number;
  imported: number;
  errors: { line: number; errors: Record<string, string> }[];
}

export const inventoryApi = {
  templates: (params: ListParams) => api.get<Page<InventoryTemplate>>("/crm/inventory/template/", listQuery(params)),
  allTemplates: () => api.get<Page<InventoryTemplate>>("/crm/inventory/template/", { per_page: 500 }),
  createTemplate: (body: Record<string, unknown>) => api.post<InventoryTemplate>("/crm/inventory/template/", body),
  updateTemplate: (id: number, body: Record<string, unknown>) =>
    api.patch<InventoryTemplate & { warnings?: string[] }>(`/crm/inventory/template/inventory_template_id/${id}`, body),
  removeTemplate: (id: number) => api.delete(`/crm/inventory/template/inventory_template_id/${id}`),
  items: (params: ListParams) => api.get<Page<InventoryItem>>("/crm/inventory/", listQuery(params)),
  ofCustomer: (customerId: number) => api.get<Page<InventoryItem>>(`/crm/inventory/customer_id/${customerId}`),
  ofService: (serviceId: number) =>
    api.get<Page<InventoryItem>>("/crm/inventory/", { per_page: 100, filters: filterQuery({ service_id: [serviceId] }) }),
  createItem: (body: Record<string, unknown>) => api.post<InventoryItem>("/crm/inventory/", body),
  removeItem: (id: number) => api.delete(`/crm/inventory/inventory_id/${id}`),
  /** The order screens' selector: free items of one type, each with a `label`. */
  available: (item: string, search?: string) =>
    api.get<Page<InventoryItem> & { message?: string }>("/crm/inventory/available", { item, search, per_page: 100 }),
  importCsv: (templateId: number, csv: string, dryRun: boolean) =>
    api.request<ImportReport>("/crm/inventory/import", {
      method: "POST", body: csv, contentType: "text/csv",
      query: { inventory_template_id: templateId, dry_run: dryRun ? "true" : "false" },
    }),
  exportCsv: (templateId: number) => api.get<string>("/crm/inventory/export", { inventory_template_id: templateId }),
};

// ------------------------------------------------------------------------------------------ services + OCS

export const SERVICE_STATUSES = ["Active", "Inactive", "Suspended", "Pending Cancellation", "Deactivated"] as const;

export interface BalanceTotal {
  balance_type: string;
  unit: string;
  buckets: number;
  remaining: string | number | null;
  remaining_hr: string;
  allowance: string | number | null;
  used: string | number | null;
  percent_remaining: number | null;
  colour: string | null;
  unlimited: boolean;
  next_expiry: string | null;
}

export interface ActionPlan {
  ActionPlanId: string;
  ActionsId?: string;
  PlanName?: string;
  NextExecTime?: string;
  custom_NextExecTime_hr?: string;
  product_id?: number | null;
  product_name?: string | null;
  retail_cost?: string | null;
}

export interface OcsBlock {
  totals: Record<string, BalanceTotal>;
  BalanceMap?: Record<string, unknown[]>;
  ActionPlans?: ActionPlan[];
}

export interface Service {
  service_id: number;
  customer_id: number;
  product_id?: number | null;
  service_name: string;
  service_uuid?: string | null;
  service_type?: string | null;
  service_status: string;
  retail_cost?: string | null;
  wholesale_cost?: string | null;
  service_notes?: string | null;
  service_provisioned_date?: string | null;
  service_active_date?: string | null;
  service_deactivate_date?: string | null;
  contract_end_date?: string | null;
  /** Pending Cancellation: deprovisioned then unless paid (spec 06 §11.2). */
  grace_period_end?: string | null;
  site_id?: number | null;
  bundled_parent?: number | null;
  bundled_services?: { service_id: number; service_name: string }[];
  created?: string;
  cgrates?: OcsBlock | null;
  usage_visible?: boolean;
  ocs_error?: string | null;
}

export interface Usage extends OcsBlock {
  service_id: number;
  fetched_at: string;
  refresh_seconds: number;
}

export const servicesApi = {
  list: (params: ListParams, extra: Query = {}) => api.get<Page<Service>>("/crm/service/", listQuery(params, extra)),
  ofCustomer: (customerId: number) =>
    api.get<Page<Service>>("/crm/service/", { per_page: 100, filters: filterQuery({ customer_id: [customerId] }) }),
  get: (id: number) => api.get<Service>(`/crm/service/${id}`),
  update: (id: number, body: Partial<Service>) => api.patch<Service>(`/crm/service/${id}`, body),
  remove: (id: number) => api.delete<{ message: string }>(`/crm/service/${id}`),
  usage: (id: number) => api.get<Usage>(`/crm/service/${id}/usage`),
};

export const ocsApi = {
  actionPlans: (serviceId: number) =>
    api.get<{ data: ActionPlan[]; usage_visible: boolean }>(`/crm/oam/action_plans/service_id/${serviceId}`),
  removeActionPlan: (planId: string) =>
    api.delete<{ message: string }>(`/crm/oam/remove_action_plan/${encodeURIComponent(planId)}`),
  renewNow: (planId: string) =>
    api.post<{ provision_id: number; message?: string }>(`/crm/oam/renew_now/${encodeURIComponent(planId)}`),
  /** Staff credit ({amount}) or an add-on ({product_id}, a provisioning job) with the reason (spec 07 §6.7). */
  topup: (serviceId: number, body: ({ amount: string } | { product_id: number }) & { reason: string }) =>
    api.post<TopupResult>(`/crm/oam/topup/service_id/${serviceId}`, body),
};

export interface TopupResult {
  service_id: number;
  /** Monetary top-up */
  transaction_id?: number;
  amount?: string;
  MONETARY?: BalanceTotal | null;
  balances?: OcsBlock;
  /** Add-on top-up */
  provision_id?: number;
  message?: string;
}

// ------------------------------------------------------------------------------------------ provisioning

export interface ProvisionEvent {
  provision_event_id: number;
  event_number: number;
  event_name: string;
  provisioning_status: number;
  provisioning_result_json?: string | null;
  timestamp?: string;
}

export interface ProvisionJob {
  provision_id: number;
  customer_id: number | null;
  customer_name?: string | null;
  product_id?: number | null;
  product_name?: string | null;
  service_id?: number | null;
  provisioning_status: number;
  provisioning_play?: string | null;
  playbook_description?: string | null;
  task_count?: number | null;
  retry_of?: number | null;
  created?: string;
  finished?: string | null;
  provisioning_json_vars?: string;
  provisioning_result_json?: ProvisionEvent[];
}

export interface ProvisionCreated {
  provision_id: number;
  provisioning_status: number;
  message: string;
}

export const provisioningApi = {
  list: (params: ListParams) => api.get<Page<ProvisionJob>>("/crm/provision/", listQuery(params)),
  get: (id: number) => api.get<ProvisionJob>(`/crm/provision/provision_id/${id}`),
  order: (body: Record<string, unknown>) => api.put<ProvisionCreated>("/crm/provision/", body),
  retry: (id: number) => api.post<ProvisionCreated>(`/crm/provision/provision_id/${id}/retry`),
};
