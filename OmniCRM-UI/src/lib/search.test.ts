import { describe, expect, it } from "vitest";
import { groupResults, moveHighlight, searchTarget, tabFromHash } from "./search";

describe("global search", () => {
  const items = [
    { id: 9, name: "Mobile - +44 7700 900123", customer_id: 1, type: "service" },
    { id: 1, name: "John Smith", customer_id: 1, type: "customer" },
    { id: 4, name: "John Smith", customer_id: 1, type: "contact" },
    { id: 2, name: "Jane Smith Ltd", customer_id: 2, type: "customer" },
  ];

  it("groups results by type in a fixed order with keyboard positions top to bottom", () => {
    const groups = groupResults(items);
    expect(groups.map((g) => g.type)).toEqual(["customer", "contact", "service"]);
    expect(groups.flatMap((g) => g.items.map((i) => [i.item.name, i.index]))).toEqual([
      ["John Smith", 0], ["Jane Smith Ltd", 1], ["John Smith", 2], ["Mobile - +44 7700 900123", 3],
    ]);
  });

  it("opens each result where the spec says", () => {
    expect(searchTarget({ id: 1, name: "", customer_id: 1, type: "customer" })).toBe("/customers/1");
    expect(searchTarget({ id: 4, name: "", customer_id: 1, type: "contact" })).toBe("/customers/1#4");
    expect(searchTarget({ id: 5, name: "", customer_id: 1, type: "site" })).toBe("/customers/1#2");
    expect(searchTarget({ id: 9, name: "", customer_id: 1, type: "service" })).toBe("/customers/1#3");
    expect(searchTarget({ id: 7, name: "", customer_id: 3, type: "inventory" })).toBe("/customers/3#8");
    expect(searchTarget({ id: 7, name: "", customer_id: null, type: "inventory" })).toBe("/inventory-items-list");
  });

  it("maps the hash back to the tab", () => {
    expect(tabFromHash("#4")).toBe("contacts");
    expect(tabFromHash("")).toBe("overview");
    expect(tabFromHash("#99")).toBe("overview");
  });

  it("moves the highlight with wrap-around", () => {
    expect(moveHighlight(-1, 3, "ArrowDown")).toBe(0);
    expect(moveHighlight(2, 3, "ArrowDown")).toBe(0);
    expect(moveHighlight(0, 3, "ArrowUp")).toBe(2);
    expect(moveHighlight(0, 0, "ArrowDown")).toBe(-1);
  });
});
