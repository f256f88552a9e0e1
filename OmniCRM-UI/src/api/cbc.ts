/** /crm/cbc: Cell Broadcast alerts, approvals, templates and zones (spec 05 §8). */
import { api, type Page } from ".";
import { textInfo } from "../lib/cbcText";

export type CbcStatus = "draft" | "pending_approval" | "active" | "expired" | "cancelled" | "failed";
export const CBC_STATUSES: CbcStatus[] = ["pending_approval", "active", "failed", "draft", "expired", "cancelled"];
export const CBC_CATEGORIES = ["normal", "emergency", "high", "extreme"] as const;
export const RAT_TYPES = ["GSM", "UMTS", "LTE", "5G"] as const;

export interface LocalizedMessage { language: string; messageBody: string; encoding?: string; pages?: number; characters?: number }
export interface TrackingArea { tracking_area: string; cell_id?: string | null; operator: string; rat_type: string; zone_id?: number | null }
export interface Identifier { messageIdentifier: string; hex: string; name: string; system: string; severity: string; is_test: boolean }

export interface CbcInput {
  messageIdentifier: string;
  category: string;
  repetitionPeriod: number;
  numberOfBroadcasts: number;
  warningPeriodSec: number;
  channelIndicator: string;
  template?: string | null;
  localized_messages: LocalizedMessage[];
  tracking_areas: TrackingArea[];
  zone_ids?: number[];
  all_cells?: boolean;
  draft?: boolean;
  totp_code?: string;
}

export interface CbcHistoryEntry {
  action: string; user_id: number | null; actor: string; status_from: string | null; status_to: string | null;
  details: Record<string, unknown> | null; created: string;
}

export interface CbcMessage extends CbcInput {
  cbc_message_id: number;
  cbc_unique_id: string;
  identifier: Identifier;
  severity: string;
  status: CbcStatus;
  approval_required: boolean;
  initiating_user: number | null;
  initiating_user_email: string | null;
  approving_user: number | null;
  approving_user_email: string | null;
  created: string;
  sent_at: string | null;
  expires_at: string | null;
  last_error: string | null;
  pending_action: string | null;
  cbc_ack: Record<string, unknown> | null;
  history?: CbcHistoryEntry[];
  /** What POST {cbc_url}/alerts/send carries for this alert (built by the API). */
  cbc_payload?: Record<string, unknown>;
  /** An in-flight update of an approval-guarded alert waiting for a second person (null when none). */
  pending_update?: CbcPendingUpdate | null;
}

export interface CbcPendingUpdate {
  values: Partial<CbcInput>;
  changes: Record<string, unknown> | null;
  proposed_by: number | null;
  proposed_by_email: string | null;
  proposed_at: string | null;
}

export interface CbcTemplate extends CbcInput { key: string; name: string; severity: string; identifier: Identifier }

export interface CbcZone {
  zone_id: number; name: string; shape: "polygon" | "circle" | "rectangle"; coordinates: unknown; tracking_areas: TrackingArea[];
}

export const cbcApi = {
  list: (status: CbcStatus | "all", page = 1) => api.get<Page<CbcMessage>>("/crm/cbc/", {
    page, per_page: 50, order: "desc", filters: status === "all" ? undefined : JSON.stringify({ status: [status] }),
  }),
  get: (id: number) => api.get<CbcMessage>(`/crm/cbc/${id}`),
  create: (body: CbcInput) => api.put<CbcMessage>("/crm/cbc/", body),
  update: (id: number, body: Partial<CbcInput>) => api.patch<CbcMessage>(`/crm/cbc/${id}`, body),
  cancel: (id: number) => api.delete<CbcMessage>(`/crm/cbc/${id}`),
  submit: (id: number) => api.post<CbcMessage>(`/crm/cbc/${id}/submit`),
  approve: (id: number, totp_code: string) => api.post<CbcMessage>(`/crm/cbc/${id}/approve`, { totp_code }),
  reject: (id: number, reason: string) => api.post<CbcMessage>(`/crm/cbc/${id}/reject`, { reason }),
  retry: (id: number) => api.post<CbcMessage>(`/crm/cbc/${id}/retry`),
  templates: () => api.get<{ data: CbcTemplate[] }>("/crm/cbc/templates"),
  identifiers: () => api.get<{ data: Identifier[] }>("/crm/cbc/message_identifiers"),
  zones: () => api.get<{ data: CbcZone[] }>("/crm/cbc/zones"),
  mapConfig: () => api.get<{ tile_url: string; attribution: string }>("/crm/cbc/map_config"),
  createZone: (body: Omit<CbcZone, "zone_id">) => api.put<CbcZone>("/crm/cbc/zones", body),
  deleteZone: (id: number) => api.delete(`/crm/cbc/zones/${id}`),
};

/** The body POST {cbc_url}/alerts/send carries, as the review screen shows it (the API builds the same). */
export function cbcPreview(input: CbcInput, zones: CbcZone[]) {
  const zoneAreas = (input.zone_ids ?? []).flatMap((id) => zones.find((z) => z.zone_id === id)?.tracking_areas ?? []);
  return {
    messageIdentifier: input.messageIdentifier, category: input.category, repetitionPeriod: input.repetitionPeriod,
    numberOfBroadcasts: input.numberOfBroadcasts, warningPeriodSec: input.warningPeriodSec,
    channelIndicator: input.channelIndicator, all_cells: Boolean(input.all_cells),
    localized_messages: input.localized_messages.map(({ language, messageBody }) => ({
      language, messageBody, encoding: textInfo(messageBody).encoding,
    })),
    tracking_areas: [...input.tracking_areas, ...zoneAreas].map(({ tracking_area, cell_id, operator, rat_type }) => ({
      tracking_area, cell_id: cell_id || null, operator, rat_type,
    })),
  };
}
