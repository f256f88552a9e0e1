import { describe, expect, it } from "vitest";
import type { BalanceTotal } from "../api/domain";
import { balanceBars, bandColour, usageSeries } from "./balances";

const total = (over: Partial<BalanceTotal>): BalanceTotal => ({
  balance_type: "*data", unit: "GB", buckets: 1, remaining: "15", remaining_hr: "15 GB", allowance: "20", used: "5",
  percent_remaining: 75, colour: "green", unlimited: false, next_expiry: null, ...over,
});

describe("balance bars", () => {
  it("orders data, voice, sms, monetary and keeps the API's percentage and colour", () => {
    const bars = balanceBars({
      MONETARY: total({ balance_type: "*monetary", unit: "USD", remaining_hr: "$3.00", allowance: null, used: null, percent_remaining: null, colour: null }),
      SMS: total({ balance_type: "*sms", remaining_hr: "10 SMS", percent_remaining: 10, colour: "red" }),
      DATA: total({}),
      VOICE: total({ balance_type: "*voice", remaining_hr: "Unlimited", unlimited: true, percent_remaining: null, colour: null }),
    });
    expect(bars.map((b) => b.key)).toEqual(["DATA", "VOICE", "SMS", "MONETARY"]);
    expect(bars[0]).toMatchObject({ percent: 75, color: "green", remaining: "15 GB", used: "5", allowance: "20" });
    expect(bars[1]).toMatchObject({ percent: null, unlimited: true, color: "teal" });
    expect(bars[2]).toMatchObject({ percent: 10, color: "red" });
    expect(bars[3]).toMatchObject({ percent: null, color: "blue", remaining: "$3.00", allowance: null });
  });

  it("clamps odd percentages and recomputes a missing colour band", () => {
    expect(balanceBars({ DATA: total({ percent_remaining: 140, colour: null }) })[0]).toMatchObject({ percent: 100, color: "green" });
    expect(bandColour(50, null)).toBe("yellow");
    expect(bandColour(20, null)).toBe("yellow");
    expect(bandColour(19, null)).toBe("red");
    expect(bandColour(51, undefined)).toBe("green");
  });

  it("gives no bars without totals, and the chart only the types with an allowance", () => {
    expect(balanceBars(null)).toEqual([]);
    const bars = balanceBars({ DATA: total({ percent_remaining: 30 }), VOICE: total({ unlimited: true }) });
    expect(usageSeries(bars)).toEqual([{ key: "DATA", used: 70, remaining: 30 }]);
  });
});
