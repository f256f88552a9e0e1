import { describe, expect, it } from "vitest";
import { listParamsToSearch, parseListParams, toApiQuery, toggleSort, updateListParams } from "./listParams";

const defaults = { per_page: 20, sort: "customer_id", order: "desc" as const };

describe("list params in the URL", () => {
  it("reads defaults from an empty URL", () => {
    expect(parseListParams(new URLSearchParams(""), defaults)).toEqual({
      page: 1, per_page: 20, sort: "customer_id", order: "desc", search: "", filters: {},
    });
  });

  it("round-trips through the URL and leaves defaults out", () => {
    const params = { page: 3, per_page: 50, sort: "customer_name", order: "asc" as const, search: "smith", filters: { customer_status: ["Open", "Suspended"] } };
    const search = listParamsToSearch(params, defaults);
    expect(search.get("page")).toBe("3");
    expect(parseListParams(search, defaults)).toEqual(params);
    expect(listParamsToSearch(parseListParams(new URLSearchParams(""), defaults), defaults).toString()).toBe("");
  });

  it("keeps unrelated query parameters", () => {
    const out = listParamsToSearch(parseListParams(new URLSearchParams("tab=2"), defaults), defaults, new URLSearchParams("tab=2&page=4"));
    expect(out.get("tab")).toBe("2");
    expect(out.get("page")).toBeNull();
  });

  it("ignores garbage typed into the URL", () => {
    const parsed = parseListParams(new URLSearchParams("page=-2&per_page=9999&order=sideways&filters=%7Bnot-json"), defaults);
    expect(parsed).toMatchObject({ page: 1, per_page: 20, order: "desc", filters: {} });
    expect(parseListParams(new URLSearchParams('filters=["a"]'), defaults).filters).toEqual({});
    expect(parseListParams(new URLSearchParams('filters={"deleted":true}'), defaults).filters).toEqual({ deleted: [true] });
  });

  it("goes back to page 1 when the search, filters or sort change, not when the page changes", () => {
    const params = parseListParams(new URLSearchParams("page=5"), defaults);
    expect(updateListParams(params, { search: "x" }).page).toBe(1);
    expect(updateListParams(params, { filters: { a: [1] } }).page).toBe(1);
    expect(updateListParams(params, { page: 6 }).page).toBe(6);
    expect(toggleSort(params, "customer_name").page).toBe(1);
  });

  it("flips the order when the same column is clicked again", () => {
    const first = toggleSort(parseListParams(new URLSearchParams(""), defaults), "customer_name");
    expect([first.sort, first.order]).toEqual(["customer_name", "asc"]);
    expect(toggleSort(first, "customer_name").order).toBe("desc");
  });

  it("sends the API's list convention with filters as JSON", () => {
    const params = parseListParams(new URLSearchParams('search=bob&filters={"customer_status":["Open"],"empty":[]}'), defaults);
    expect(toApiQuery(params)).toEqual({
      page: 1, per_page: 20, sort: "customer_id", order: "desc", search: "bob", filters: '{"customer_status":["Open"]}',
    });
  });
});
