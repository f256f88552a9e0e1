/**
 * Permission checks for menus and buttons. They mirror the API (the API still enforces): `admin` holds every
 * permission, and the spec's old names (view_service, …) mean the customer_service ones.
 */
const ALIASES: Record<string, string> = {
  view_service: "view_customer_service",
  create_service: "create_customer_service",
  update_service: "update_customer_service",
  delete_service: "delete_customer_service",
};

export function canonical(name: string): string {
  const lower = name.trim().toLowerCase();
  return ALIASES[lower] ?? lower;
}

export type PermissionSet = ReadonlySet<string>;

export function permissionSet(names: readonly string[] | null | undefined): PermissionSet {
  return new Set((names ?? []).map(canonical));
}

export function can(perms: PermissionSet, name: string): boolean {
  return perms.has("admin") || perms.has(canonical(name));
}

/** A requirement: one permission name, or a list where any one suffices. */
export type Requirement = string | readonly string[] | undefined;

export function allows(perms: PermissionSet, requirement: Requirement): boolean {
  if (requirement === undefined) return true;
  if (typeof requirement === "string") return can(perms, requirement);
  return requirement.some((name) => can(perms, name));
}

export interface MenuItem {
  key: string;
  path: string;
  requires?: Requirement;
}

/** Only the menu entries the user may open. */
export function visibleMenu<T extends MenuItem>(items: readonly T[], perms: PermissionSet): T[] {
  return items.filter((item) => allows(perms, item.requires));
}
