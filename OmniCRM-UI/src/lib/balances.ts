/**
 * Live balances (spec 04 §13, spec 05 §4) as progress bars: one bar per unit type from the API's `totals`. The
 * API already says how much is left and its colour band; this decides what the bar shows when there is no
 * allowance to compare with (unlimited, monetary credit) and orders the bars the same way everywhere.
 */
import type { BalanceTotal } from "../api/domain";

export interface BalanceBar {
  key: string;
  label: string;
  /** 0-100 of the allowance left; null = no allowance known (the bar is shown full, without a percentage). */
  percent: number | null;
  color: string;
  remaining: string;
  used: string | null;
  allowance: string | null;
  unit: string;
  unlimited: boolean;
  nextExpiry: string | null;
}

const ORDER = ["DATA", "VOICE", "SMS", "MONETARY"];
const COLOURS: Record<string, string> = { green: "green", yellow: "yellow", red: "red" };

/** The API's colour band (green > 50 %, yellow 20-50 %, red < 20 %), recomputed when it is missing. */
export function bandColour(percent: number | null, apiColour?: string | null): string {
  if (apiColour && COLOURS[apiColour]) return COLOURS[apiColour];
  if (percent === null) return "blue";
  return percent > 50 ? "green" : percent >= 20 ? "yellow" : "red";
}

const text = (value: string | number | null | undefined) => (value === null || value === undefined ? null : String(value));

export function balanceBars(totals: Record<string, BalanceTotal> | null | undefined): BalanceBar[] {
  if (!totals) return [];
  const rank = (key: string) => (ORDER.includes(key) ? ORDER.indexOf(key) : ORDER.length);
  return Object.entries(totals)
    .sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
    .map(([key, total]) => {
      const percent = total.unlimited || total.percent_remaining === null || total.percent_remaining === undefined
        ? null
        : Math.max(0, Math.min(100, Math.round(Number(total.percent_remaining))));
      return {
        key,
        label: key,
        percent,
        color: total.unlimited ? "teal" : bandColour(percent, total.colour),
        remaining: total.remaining_hr || String(total.remaining ?? ""),
        used: text(total.used),
        allowance: text(total.allowance),
        unit: total.unit,
        unlimited: Boolean(total.unlimited),
        nextExpiry: total.next_expiry ?? null,
      };
    });
}

/** Used and remaining per type for the usage chart, as shares of the allowance (types without one are left out). */
export function usageSeries(bars: BalanceBar[]): { key: string; used: number; remaining: number }[] {
  return bars
    .filter((bar) => bar.percent !== null)
    .map((bar) => ({ key: bar.key, used: 100 - (bar.percent as number), remaining: bar.percent as number }));
}
