import { describe, expect, it } from "vitest";
import { compactMoney, fromCents, isoDay, previewTax, selectionTotals, taxLabel, toCents, trendOf } from "./money";

describe("compactMoney (spec 07 §2.7 widget formatting)", () => {
  it("keeps amounts up to 1,000 in full", () => {
    expect(compactMoney("999.99")).toBe("$999.99");
    expect(compactMoney("1000.00")).toBe("$1,000.00");
    expect(compactMoney("0")).toBe("$0.00");
  });
  it("uses k, M and B above a thousand, a million and a billion", () => {
    expect(compactMoney("1500")).toBe("$1.5k");
    expect(compactMoney("2300000")).toBe("$2.3M");
    expect(compactMoney("1100000000")).toBe("$1.1B");
    expect(compactMoney("1999.99")).toBe("$1.9k");
    expect(compactMoney("-1500", "£")).toBe("-£1.5k");
  });
  it("shows nothing for no amount", () => {
    expect(compactMoney(null)).toBe("");
    expect(compactMoney("abc")).toBe("");
  });
});

describe("trendOf", () => {
  it("up, down, flat and none", () => {
    expect(trendOf("12.50")).toEqual({ direction: "up", percent: 12.5 });
    expect(trendOf("-3")).toEqual({ direction: "down", percent: -3 });
    expect(trendOf("0.00")).toEqual({ direction: "flat", percent: 0 });
    expect(trendOf(null)).toEqual({ direction: "none", percent: null });
  });
});

describe("cents", () => {
  it("parses and prints without float error", () => {
    expect(toCents("0.10")).toBe(10);
    expect(toCents("-10.5")).toBe(-1050);
    expect(toCents("12")).toBe(1200);
    expect(toCents("x")).toBeNull();
    expect(fromCents(-5)).toBe("-0.05");
    expect(fromCents(123456)).toBe("1234.56");
  });
});

describe("selectionTotals (generate modal)", () => {
  const lines = [
    { transaction_id: 1, retail_cost: "50.00", tax_amount: "5.00" },
    { transaction_id: 2, retail_cost: "0.10", tax_amount: "0.01" },
    { transaction_id: 3, retail_cost: "-10.00", tax_amount: "0.00" },
  ];
  it("sums the included lines", () => {
    expect(selectionTotals(lines, new Set())).toEqual({ count: 3, subtotal: "40.10", tax: "5.01", total: "45.11" });
  });
  it("leaves out the excluded ones", () => {
    expect(selectionTotals(lines, new Set([1]))).toEqual({ count: 2, subtotal: "-9.90", tax: "0.01", total: "-9.89" });
    expect(selectionTotals(lines, new Set([1, 2, 3]))).toEqual({ count: 0, subtotal: "0.00", tax: "0.00", total: "0.00" });
  });
  it("adds 0.1 + 0.2 exactly", () => {
    const t = selectionTotals([{ transaction_id: 1, retail_cost: "0.10" }, { transaction_id: 2, retail_cost: "0.20" }], new Set());
    expect(t.total).toBe("0.30");
  });
});

describe("tax display and preview (spec 07 §4.9)", () => {
  const fmt = (a: string) => `$${a}`;
  it("shows amount and percentage, or - when exempt", () => {
    expect(taxLabel("5.00", "10", fmt)).toBe("$5.00 (10%)");
    expect(taxLabel("0.00", "0", fmt)).toBe("-");
    expect(taxLabel(null, "10", fmt)).toBe("-");
  });
  it("rounds half up like the API", () => {
    expect(previewTax("50.00", "10")).toBe("5.00");
    expect(previewTax("0.10", "5")).toBe("0.01");
    expect(previewTax("", "10")).toBeNull();
  });
});

describe("isoDay", () => {
  it("counts days back from a date", () => {
    expect(isoDay(-14, new Date(2026, 0, 10))).toBe("2025-12-27");
    expect(isoDay(0, new Date(2026, 1, 3))).toBe("2026-02-03");
  });
});
