/**
 * The monetary top-up form (spec 07 §6.7): an amount in currency units with at most two decimals, within the API's
 * limits. The limits are the API's defaults (`ocs.topup_min_amount` 1.00, `ocs.topup_max_amount` 500.00); an
 * operator who changes them still gets the API's own message, shown under the field.
 */
export const TOPUP_MIN = "1.00";
export const TOPUP_MAX = "500.00";

/** Amount in cents from "10", "10.5" or "10.50"; null when it is not a plain amount. Never a float. */
export function cents(text: string): number | null {
  const match = /^(\d{1,7})(?:[.,](\d{1,2}))?$/.exec(text.trim());
  if (!match) return null;
  return Number(match[1]) * 100 + Number((match[2] ?? "").padEnd(2, "0"));
}

export type TopupProblem = "required" | "format" | "range";

export function topupProblem(text: string, min = TOPUP_MIN, max = TOPUP_MAX): TopupProblem | null {
  if (!text.trim()) return "required";
  const value = cents(text);
  if (value === null) return "format";
  if (value < (cents(min) as number) || value > (cents(max) as number)) return "range";
  return null;
}

/** The amount as the API's decimal string ("10" → "10.00", "7,5" → "7.50"). */
export function topupAmount(text: string): string {
  const value = cents(text);
  if (value === null) throw new Error(`not an amount: ${text}`);
  return `${Math.floor(value / 100)}.${String(value % 100).padStart(2, "0")}`;
}
