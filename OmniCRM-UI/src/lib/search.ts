/** Global search results (spec 05 §9): grouping for display and where each result opens (spec 05 §9.4). */
export type SearchType = "customer" | "contact" | "site" | "service" | "inventory";

export interface SearchItem {
  id: number;
  name: string;
  customer_id: number | null;
  type: SearchType | string;
}

export const TYPE_ORDER: SearchType[] = ["customer", "contact", "site", "service", "inventory"];

/** The customer page's tabs are addressed by the spec's hash numbers (#2 sites, #3 services, #4 contacts, #8 inventory). */
export const CUSTOMER_TAB_HASH = {
  overview: "1", sites: "2", services: "3", contacts: "4", attributes: "5", tags: "6", activity: "7", inventory: "8",
  billing: "9",
} as const;

export type CustomerTab = keyof typeof CUSTOMER_TAB_HASH;

export function tabFromHash(hash: string): CustomerTab {
  const n = hash.replace(/^#/, "");
  const entry = Object.entries(CUSTOMER_TAB_HASH).find(([, value]) => value === n);
  return (entry?.[0] as CustomerTab) ?? "overview";
}

export function searchTarget(item: SearchItem): string {
  const customer = item.customer_id;
  switch (item.type) {
    case "customer":
      return `/customers/${customer ?? item.id}`;
    case "contact":
      return `/customers/${customer}#${CUSTOMER_TAB_HASH.contacts}`;
    case "site":
      return `/customers/${customer}#${CUSTOMER_TAB_HASH.sites}`;
    case "service":
      return `/customers/${customer}#${CUSTOMER_TAB_HASH.services}`;
    case "inventory":
      return customer ? `/customers/${customer}#${CUSTOMER_TAB_HASH.inventory}` : "/inventory-items-list";
    default:
      return customer ? `/customers/${customer}` : "/";
  }
}

export interface SearchGroup {
  type: string;
  items: { item: SearchItem; index: number }[];
}

/**
 * Results grouped by type in a fixed order; `index` is the position in keyboard order (top to bottom), so the
 * arrow keys walk the groups as they are shown.
 */
export function groupResults(items: SearchItem[]): SearchGroup[] {
  const rank = (type: string) => {
    const i = TYPE_ORDER.indexOf(type as SearchType);
    return i === -1 ? TYPE_ORDER.length : i;
  };
  const types = [...new Set(items.map((i) => i.type))].sort((a, b) => rank(a) - rank(b));
  let index = 0;
  return types.map((type) => ({
    type,
    items: items.filter((i) => i.type === type).map((item) => ({ item, index: index++ })),
  }));
}

/** Arrow-key movement over `count` results, wrapping at both ends; -1 means nothing highlighted. */
export function moveHighlight(current: number, count: number, key: "ArrowDown" | "ArrowUp"): number {
  if (count === 0) return -1;
  if (key === "ArrowDown") return current >= count - 1 ? 0 : current + 1;
  return current <= 0 ? count - 1 : current - 1;
}
