/**
 * List state (page, per_page, sort, order, search, filters) lives in the page URL, so a reload, the back button
 * or a shared link shows the same list; `toApiQuery` turns it into the API's list convention.
 */
export type Filters = Record<string, (string | number | boolean)[]>;

export interface ListParams {
  page: number;
  per_page: number;
  sort?: string;
  order: "asc" | "desc";
  search: string;
  filters: Filters;
}

export interface ListDefaults {
  per_page?: number;
  sort?: string;
  order?: "asc" | "desc";
  filters?: Filters;
}

export const PER_PAGE_CHOICES = [10, 20, 50, 100];

function positiveInt(raw: string | null, fallback: number, max = 10 ** 9): number {
  if (!raw || !/^\d+$/.test(raw)) return fallback;
  const value = Number(raw);
  return value >= 1 && value <= max ? value : fallback;
}

function parseFilters(raw: string | null, fallback: Filters): Filters {
  if (!raw) return fallback;
  try {
    const parsed = JSON.parse(raw) as unknown;
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return fallback;
    const filters: Filters = {};
    for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
      const values = (Array.isArray(value) ? value : [value]).filter(
        (v): v is string | number | boolean => ["string", "number", "boolean"].includes(typeof v),
      );
      if (values.length) filters[key] = values;
    }
    return filters;
  } catch {
    return fallback;
  }
}

export function parseListParams(search: URLSearchParams, defaults: ListDefaults = {}): ListParams {
  const order = search.get("order");
  return {
    page: positiveInt(search.get("page"), 1),
    per_page: positiveInt(search.get("per_page"), defaults.per_page ?? 20, 500),
    sort: search.get("sort") || defaults.sort,
    order: order === "asc" || order === "desc" ? order : defaults.order ?? "asc",
    search: search.get("search") ?? "",
    filters: parseFilters(search.get("filters"), defaults.filters ?? {}),
  };
}

function sameFilters(a: Filters, b: Filters): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** The URL query for a list state; values equal to the defaults are left out to keep links short. */
export function listParamsToSearch(params: ListParams, defaults: ListDefaults = {}, keep?: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams(keep);
  for (const key of ["page", "per_page", "sort", "order", "search", "filters"]) out.delete(key);
  if (params.page > 1) out.set("page", String(params.page));
  if (params.per_page !== (defaults.per_page ?? 20)) out.set("per_page", String(params.per_page));
  if (params.sort && params.sort !== defaults.sort) out.set("sort", params.sort);
  if (params.order !== (defaults.order ?? "asc")) out.set("order", params.order);
  if (params.search) out.set("search", params.search);
  const filters = Object.fromEntries(Object.entries(params.filters).filter(([, v]) => v.length));
  if (!sameFilters(filters, defaults.filters ?? {})) out.set("filters", JSON.stringify(filters));
  return out;
}

/** A change to search, filters, sort or page size starts again at page 1. */
export function updateListParams(params: ListParams, change: Partial<ListParams>): ListParams {
  const next = { ...params, ...change };
  const resets = ["search", "filters", "sort", "order", "per_page"] as const;
  if (change.page === undefined && resets.some((key) => key in change)) next.page = 1;
  return next;
}

/** Clicking a column header: same column flips the order, a new column sorts ascending. */
export function toggleSort(params: ListParams, column: string): ListParams {
  const order = params.sort === column && params.order === "asc" ? "desc" : "asc";
  return updateListParams(params, { sort: column, order });
}

export function toApiQuery(params: ListParams): Record<string, string | number | undefined> {
  const filters = Object.fromEntries(Object.entries(params.filters).filter(([, v]) => v.length));
  return {
    page: params.page,
    per_page: params.per_page,
    sort: params.sort,
    order: params.order,
    search: params.search || undefined,
    filters: Object.keys(filters).length ? JSON.stringify(filters) : undefined,
  };
}
