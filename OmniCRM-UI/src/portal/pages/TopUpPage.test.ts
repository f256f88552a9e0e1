import { describe, expect, it } from "vitest";
import { addonCosts, declineReason, featuresText } from "./TopUpPage";

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

describe("declineReason", () => {
  const event = (status: number, result: unknown) => ({ provision_event_id: 1, event_number: 1, event_name: "Charge card",
    provisioning_status: status, provisioning_result_json: JSON.stringify({ task: "Charge card", result }) });

  it("gives Stripe's reason when the play's card charge was declined", () => {
    const declined = event(2, { status: 402, json: { message: "The card was declined: Your card was declined.", decline_code: "card_declined" } });
    expect(declineReason({ provisioning_result_json: [event(0, { status: 200, json: {} }), declined] })).toBe("The card was declined: Your card was declined.");
  });

  it("is null for any other failure, a running job or no job", () => {
    expect(declineReason({ provisioning_result_json: [event(2, { status: 503, json: { message: "Stripe is unreachable" } })] })).toBeNull();
    expect(declineReason({ provisioning_result_json: [event(1, null), { ...event(2, null), provisioning_result_json: "not json" }] })).toBeNull();
    expect(declineReason(undefined)).toBeNull();
  });
});
