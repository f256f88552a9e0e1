import { describe, expect, it } from "vitest";
import { allows, can, permissionSet, visibleMenu } from "./permissions";

describe("permissions", () => {
  it("admin holds every permission", () => {
    expect(can(permissionSet(["admin"]), "delete_customer")).toBe(true);
  });

  it("checks exact names and the spec's aliases", () => {
    const perms = permissionSet(["view_customer", "VIEW_SERVICE"]);
    expect(can(perms, "view_customer")).toBe(true);
    expect(can(perms, "view_customer_service")).toBe(true);
    expect(can(perms, "view_service")).toBe(true);
    expect(can(perms, "delete_customer")).toBe(false);
  });

  it("a list requirement passes with any one of its permissions", () => {
    const perms = permissionSet(["view_inventory_template"]);
    expect(allows(perms, ["view_inventory", "view_inventory_template"])).toBe(true);
    expect(allows(perms, ["view_inventory"])).toBe(false);
    expect(allows(perms, undefined)).toBe(true);
  });

  it("shows only the menu entries the user may open", () => {
    const menu = [
      { key: "customers", path: "/customers", requires: "view_customer" },
      { key: "users", path: "/users", requires: "admin" },
      { key: "help", path: "/help" },
    ];
    expect(visibleMenu(menu, permissionSet(["view_customer"])).map((m) => m.key)).toEqual(["customers", "help"]);
    expect(visibleMenu(menu, permissionSet(["admin"])).map((m) => m.key)).toEqual(["customers", "users", "help"]);
    expect(visibleMenu(menu, permissionSet([])).map((m) => m.key)).toEqual(["help"]);
  });
});
