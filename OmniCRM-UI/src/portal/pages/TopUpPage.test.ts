import { describe, expect, it } from "vitest";
import { addonCosts, featuresText } from "./TopUpPage";

describe("add-on review", () => {
  it("adds the setup fee to the one-off cost and shows the recurring price only when it renews", () => {
    expect(addonCosts({ retail_cost: "10.00", retail_setup_cost: "2.50", auto_renew: "prompt" })).toEqual({ oneOff: "12.50", recurring: null });
    expect(addonCosts({ retail_cost: "10.00", retail_setup_cost: null, auto_renew: "prompt" }, true)).toEqual({ oneOff: "10.00", recurring: "10.00" });
    expect(addonCosts({ retail_cost: "0.10", retail_setup_cost: "0.20", auto_renew: "true" })).toEqual({ oneOff: "0.30", recurring: "0.10" });
  });

  it("writes features as one line", () => {
    expect(featuresText(["5GB data", "Valid 7 days"])).toBe("5GB data · Valid 7 days");
    expect(featuresText("'8GB', '30 Day Expiry'")).toBe("8GB · 30 Day Expiry");
  });
});
