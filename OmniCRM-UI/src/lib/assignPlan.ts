/**
 * The Assign Plan wizard (spec 04 §19) as plain state: which steps a product needs, whether the user may go on,
 * and the order sent to PUT /crm/provision/. Inventory choices travel under the template name (spec 06 §4) and
 * the auto-renew answer as `auto_renew` (decided in docs/decisions/ui.md).
 */
import type { Product, ProvisionEvent, ProvisionJob, Service } from "../api/domain";

export type WizardStep = "product" | "service" | "inventory" | "autoRenew" | "review" | "progress";
export type Catalogue = "plans" | "addons";

export interface WizardState {
  customerId: number;
  catalogue: Catalogue;
  product: Product | null;
  /** The existing service an add-on goes onto. */
  serviceId: number | null;
  /** inventory type name → inventory_id */
  inventory: Record<string, number | null>;
  autoRenew: boolean | null;
  step: WizardStep;
}

export function initialWizard(customerId: number, options: { serviceId?: number | null; catalogue?: Catalogue } = {}): WizardState {
  return {
    customerId, catalogue: options.catalogue ?? (options.serviceId ? "addons" : "plans"), product: null,
    serviceId: options.serviceId ?? null, inventory: {}, autoRenew: null, step: "product",
  };
}

/** A name list as the API may give it: a JSON array, or text holding one ("['SIM Card', 'Mobile Number']"). */
export function nameList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map((v) => String(v).trim()).filter(Boolean);
  if (typeof value !== "string" || !value.trim()) return [];
  const inner = value.trim().replace(/^\[/, "").replace(/\]$/, "");
  return inner.split(",").map((part) => part.trim().replace(/^["'\u2018\u2019\u201c\u201d]+|["'\u2018\u2019\u201c\u201d]+$/g, "").trim()).filter(Boolean);
}

export const isAddon = (product: Product | null) => product?.category === "addon";

/** Plans are standalone and bundle products (promos are sold as plans too); add-ons their own carousel. */
export function inCatalogue(product: Product, catalogue: Catalogue): boolean {
  return catalogue === "addons" ? product.category === "addon" : product.category !== "addon";
}

export function wizardSteps(state: Pick<WizardState, "product">, fixedService = false): WizardStep[] {
  const steps: WizardStep[] = ["product"];
  if (isAddon(state.product) && !fixedService) steps.push("service");
  if (nameList(state.product?.inventory_items_list).length) steps.push("inventory");
  if (state.product?.auto_renew === "prompt" && state.product.allow_auto_renew !== false) steps.push("autoRenew");
  steps.push("review", "progress");
  return steps;
}

/** What is still missing before leaving a step (empty = may go on). */
export function missing(state: WizardState, step: WizardStep = state.step): string[] {
  switch (step) {
    case "product":
      return state.product ? [] : ["product"];
    case "service":
      return state.serviceId ? [] : ["service_id"];
    case "inventory":
      return nameList(state.product?.inventory_items_list).filter((type) => !state.inventory[type]);
    case "autoRenew":
      return state.autoRenew === null ? ["auto_renew"] : [];
    default:
      return [];
  }
}

export function nextStep(state: WizardState, fixedService = false): WizardStep {
  const steps = wizardSteps(state, fixedService);
  return steps[Math.min(steps.indexOf(state.step) + 1, steps.length - 1)];
}

export function previousStep(state: WizardState, fixedService = false): WizardStep {
  const steps = wizardSteps(state, fixedService);
  return steps[Math.max(steps.indexOf(state.step) - 1, 0)];
}

/** Picking another product starts its choices afresh (its inventory types and renewal rule differ). */
export function chooseProduct(state: WizardState, product: Product): WizardState {
  const keep = state.product?.product_id === product.product_id;
  return {
    ...state, product,
    inventory: keep ? state.inventory : Object.fromEntries(nameList(product.inventory_items_list).map((t) => [t, null])),
    autoRenew: keep ? state.autoRenew : null,
  };
}

/** The renewal the order asks for: the user's answer when asked, otherwise the product's own rule. */
export function autoRenewFor(state: WizardState): boolean {
  const rule = state.product?.auto_renew;
  if (rule === "prompt") return Boolean(state.autoRenew);
  return rule === "true";
}

export function buildOrder(state: WizardState): Record<string, unknown> {
  if (!state.product) throw new Error("No product chosen");
  const order: Record<string, unknown> = { product_id: state.product.product_id, customer_id: state.customerId };
  if (isAddon(state.product) && state.serviceId) order.service_id = state.serviceId;
  for (const type of nameList(state.product.inventory_items_list)) order[type] = state.inventory[type];
  order.auto_renew = autoRenewFor(state);
  return order;
}

// ------------------------------------------------------------------------------------------ progress

export type TaskState = "done" | "running" | "failed" | "ignored" | "pending";

export interface TaskLine {
  number: number;
  name: string;
  state: TaskState;
  event?: ProvisionEvent;
}

export interface Progress {
  tasks: TaskLine[];
  completed: number;
  total: number;
  status: "running" | "success" | "failed";
  failed?: TaskLine;
}

const EVENT_STATE: Record<number, TaskState> = { 0: "done", 1: "running", 2: "failed", 3: "ignored" };

/** Task by task (spec 04 §7.7): ✓ done, ⚡ running, ◇ pending (the playbook's count not reached yet), ✗ failed. */
export function jobProgress(job: Pick<ProvisionJob, "provisioning_status" | "task_count" | "provisioning_result_json">): Progress {
  const events = [...(job.provisioning_result_json ?? [])].sort((a, b) => a.event_number - b.event_number);
  const status = job.provisioning_status === 0 ? "success" : job.provisioning_status === 1 ? "running" : "failed";
  const tasks: TaskLine[] = events.map((event, i) => ({
    number: i + 1, name: event.event_name, event,
    state: EVENT_STATE[event.provisioning_status] ?? "pending",
  }));
  const total = Math.max(job.task_count ?? 0, tasks.length);
  if (status === "running") {
    for (let n = tasks.length + 1; n <= total; n += 1) tasks.push({ number: n, name: "", state: "pending" });
  }
  const completed = tasks.filter((t) => t.state === "done" || t.state === "ignored").length;
  const failed = tasks.find((t) => t.state === "failed");
  return { tasks, completed, total: status === "running" ? total : Math.max(tasks.length, completed), status, failed };
}

/** A task's result as label/value pairs for people (never raw JSON): the message first, then short fields. */
export function resultFields(raw: string | null | undefined): { key: string; value: string }[] {
  if (!raw) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return [{ key: "result", value: raw }];
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return [{ key: "result", value: String(parsed) }];
  const first = ["msg", "fatal_error", "likely_causes", "status", "url", "stderr", "stdout"];
  const entries = Object.entries(parsed as Record<string, unknown>)
    .filter(([, v]) => v !== null && v !== undefined && v !== "" && !(Array.isArray(v) && !v.length))
    .sort(([a], [b]) => {
      const ra = first.indexOf(a) === -1 ? first.length : first.indexOf(a);
      const rb = first.indexOf(b) === -1 ? first.length : first.indexOf(b);
      return ra - rb || a.localeCompare(b);
    });
  return entries.map(([key, value]) => ({
    key,
    value: typeof value === "string" ? value
      : Array.isArray(value) && value.every((v) => typeof v !== "object") ? value.join("\n")
        : typeof value === "object" ? Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`).join("\n")
          : String(value),
  }));
}

const utc = (iso: string) => Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);

/**
 * The service a finished order created, for "View Service": the job's own service_id when the API knows it (add-ons,
 * bundles), otherwise the customer's first service of the ordered product created since the job started, as the
 * API's chains find a bundle's root service (spec 04 §7.9). Null when none matches (then the customer's services).
 */
export function createdServiceId(job: Pick<ProvisionJob, "service_id" | "product_id" | "created">, services: Pick<Service, "service_id" | "product_id" | "created" | "bundled_parent">[]): number | null {
  if (job.service_id) return job.service_id;
  if (!job.created || !job.product_id) return null;
  const since = utc(job.created) - 1000; // second-resolution timestamps
  const found = services
    .filter((s) => s.product_id === job.product_id && !s.bundled_parent && s.created && utc(s.created) >= since)
    .sort((a, b) => a.service_id - b.service_id)[0];
  return found?.service_id ?? null;
}
