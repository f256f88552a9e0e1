/** Customer endpoints (spec 03 §13, spec 05 §9): the paths are the contract, kept in one place. */
import { api, type Page } from ".";
import { toApiQuery, type ListParams } from "../lib/listParams";

export const CUSTOMER_STATUSES = ["Open", "Suspended", "Closed", "Archived"] as const;
export const ACCOUNT_TYPES = ["Individual", "Business"] as const;
export const PAYMENT_TYPES = ["prepaid", "postpaid"] as const;

export interface Contact {
  contact_id: number;
  customer_id: number;
  contact_firstname: string;
  contact_lastname: string;
  contact_email?: string | null;
  contact_phone?: string | null;
  contact_types?: string | null;
}

export interface Site {
  site_id: number;
  customer_id: number;
  site_name: string;
  address_line_1?: string | null;
  address_line_2?: string | null;
  city?: string | null;
  state?: string | null;
  zip_code?: string | null;
  country?: string | null;
  latitude?: string | number | null;
  longitude?: string | number | null;
  plus_code?: string | null;
  address_notes?: string | null;
}

export interface Customer {
  customer_id: number;
  customer_name: string;
  customer_status: string;
  customer_account_type?: string;
  customer_payment_type?: string;
  tax_identifier?: string | null;
  customer_notes?: string | null;
  created?: string;
  contacts?: Contact[];
  sites?: Site[];
  tags?: { tag_id: number; tag_text: string; tag_hex_color: string; tag_link?: string | null; tag_active?: boolean }[];
}

export type NewContact = Omit<Contact, "contact_id" | "customer_id">;
export type NewSite = Omit<Site, "site_id" | "customer_id" | "plus_code">;

export type CustomerInput = Pick<Customer, "customer_name" | "customer_status" | "customer_account_type" | "customer_payment_type" | "tax_identifier" | "customer_notes">;

export const customersApi = {
  list: (params: ListParams) => api.get<Page<Customer>>("/crm/customers", toApiQuery(params)),
  get: (id: number) => api.get<Customer>(`/crm/customer/customer_id/${id}`),
  create: (body: CustomerInput & { contacts?: NewContact[]; sites?: NewSite[] }) => api.put<Customer>("/crm/customer/", body),
  update: (id: number, body: Partial<CustomerInput>) => api.patch<Customer>(`/crm/customer/customer_id/${id}`, body),
  remove: (id: number) => api.delete<{ message?: string }>(`/crm/customer/customer_id/${id}`),
  sites: (id: number) => api.get<Site[]>(`/crm/site/customer_id/${id}`),
};
