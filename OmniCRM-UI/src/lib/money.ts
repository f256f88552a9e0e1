/**
 * Billing arithmetic and display (spec 07 §2.7, §2.9, §4.4): amounts arrive from the API as decimal strings and are
 * added as whole cents, never as floats, so the totals shown while choosing transactions equal the server's.
 */

/** "12.34" / "-0.5" / 7 → cents (integer); null for anything that is not a number. */
export function toCents(amount: string | number | null | undefined): number | null {
  if (amount === null || amount === undefined || amount === "") return null;
  const text = typeof amount === "number" ? amount.toFixed(2) : amount.trim();
  const match = /^([+-])?(\d+)(?:\.(\d{0,2})\d*)?$/.exec(text);
  if (!match) return null;
  const cents = Number(match[2]) * 100 + Number((match[3] ?? "").padEnd(2, "0"));
  return match[1] === "-" ? -cents : cents;
}

/** Cents → "12.34" (the API's decimal format). */
export function fromCents(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

/**
 * The stat widgets' short money: above 1,000 with `k`, above 1,000,000 with `M`, above 1,000,000,000 with `B`
 * (one decimal: $1.5k, $2.3M, $1.1B); smaller amounts in full with cents.
 */
export function compactMoney(amount: string | number | null | undefined, symbol = "$"): string {
  const cents = toCents(amount);
  if (cents === null) return "";
  const value = cents / 100;
  const abs = Math.abs(value);
  const sign = value < 0 ? "-" : "";
  const units: [number, string][] = [[1e9, "B"], [1e6, "M"], [1e3, "k"]];
  for (const [size, suffix] of units) {
    if (abs > size) {
      const short = Math.floor((abs / size) * 10) / 10;  // 1,999 → 1.9k: never rounds up into the next unit
      return `${sign}${symbol}${short.toFixed(1)}${suffix}`;
    }
  }
  return `${sign}${symbol}${abs.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
}

export type TrendDirection = "up" | "down" | "flat" | "none";

/** The arrow of a month widget: green up, red down, grey right for no change; none when there is no comparison. */
export function trendOf(percent: string | number | null | undefined): { direction: TrendDirection; percent: number | null } {
  if (percent === null || percent === undefined || percent === "") return { direction: "none", percent: null };
  const value = Number(percent);
  if (Number.isNaN(value)) return { direction: "none", percent: null };
  if (value > 0) return { direction: "up", percent: value };
  if (value < 0) return { direction: "down", percent: value };
  return { direction: "flat", percent: 0 };
}

export interface BillableLine {
  transaction_id: number;
  retail_cost: string;
  tax_amount?: string | null;
}

export interface SelectionTotals {
  count: number;
  subtotal: string;
  tax: string;
  total: string;
}

/** Subtotal, tax and total of the lines not excluded (the generate modal's live totals, spec 07 §2.9). */
export function selectionTotals(lines: readonly BillableLine[], excluded: ReadonlySet<number>): SelectionTotals {
  let count = 0;
  let subtotal = 0;
  let tax = 0;
  for (const line of lines) {
    if (excluded.has(line.transaction_id)) continue;
    count += 1;
    subtotal += toCents(line.retail_cost) ?? 0;
    tax += toCents(line.tax_amount) ?? 0;
  }
  return { count, subtotal: fromCents(subtotal), tax: fromCents(tax), total: fromCents(subtotal + tax) };
}

/** A line's tax as the spec shows it: "$5.00 (10%)"; "-" when the line is tax exempt. */
export function taxLabel(taxAmount: string | null | undefined, percentage: string | null | undefined,
  format: (amount: string) => string): string {
  const cents = toCents(taxAmount);
  const pct = Number(percentage ?? 0);
  if (!cents || !pct) return "-";
  return `${format(fromCents(cents))} (${Number(pct.toFixed(3))}%)`;
}

/** The tax a manual debit will carry: retail × percentage / 100, half-up to cents, as the API rounds it. */
export function previewTax(retail: string | number, percentage: string | number): string | null {
  const cents = toCents(typeof retail === "number" ? retail : retail || "");
  const pct = Number(percentage || 0);
  if (cents === null || Number.isNaN(pct) || pct < 0) return null;
  const raw = (Math.abs(cents) * pct) / 100;
  const rounded = Math.floor(raw + 0.5 + 1e-9);
  return fromCents(cents < 0 ? -rounded : rounded);
}

/** YYYY-MM-DD of a date in local time, `days` days from `from` (the generate modal's defaults). */
export function isoDay(days = 0, from: Date = new Date()): string {
  const d = new Date(from.getFullYear(), from.getMonth(), from.getDate() + days);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}
