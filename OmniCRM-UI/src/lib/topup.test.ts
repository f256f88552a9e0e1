import { describe, expect, it } from "vitest";
import { cents, topupAmount, topupProblem } from "./topup";

describe("monetary top-up amount", () => {
  it("accepts amounts with up to two decimals inside the API's limits", () => {
    expect(topupProblem("10")).toBeNull();
    expect(topupProblem("10.00")).toBeNull();
    expect(topupProblem("1.00")).toBeNull();
    expect(topupProblem("500")).toBeNull();
    expect(topupAmount("10")).toBe("10.00");
    expect(topupAmount("7,5")).toBe("7.50");
    expect(topupAmount(" 0099.05 ")).toBe("99.05");
  });

  it("names what is wrong", () => {
    expect(topupProblem("")).toBe("required");
    expect(topupProblem("abc")).toBe("format");
    expect(topupProblem("10.005")).toBe("format");
    expect(topupProblem("-5")).toBe("format");
    expect(topupProblem("0.99")).toBe("range");
    expect(topupProblem("500.01")).toBe("range");
    expect(topupProblem("20", "1.00", "15.00")).toBe("range");
  });

  it("counts in cents, never in floats", () => {
    expect(cents("0.29")).toBe(29);
    expect(cents("1.1")).toBe(110);
  });
});
