/**
 * Cell Broadcast text rules, the same as the API's omnicrm/cbc/text.py (3GPP TS 23.038 / 23.041): GSM 7-bit when
 * every character is in the default alphabet (extension-table characters cost two), else UCS-2 (UTF-16 code
 * units: an emoji costs two). A page holds 93 GSM-7 or 41 UCS-2 characters; at most 15 pages.
 * The tests run the API's own cases (tests/cbc/cases.json).
 */
export const GSM7_BASIC =
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
export const GSM7_EXTENSION = "\f^{}\\[~]|€";
export const GSM7_PAGE = 93;
export const UCS2_PAGE = 41;
export const MAX_PAGES = 15;

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export type CbcEncoding = "GSM-7" | "UCS-2";

export interface TextInfo {
  encoding: CbcEncoding;
  characters: number;
  per_page: number;
  pages: number;
  max_pages: number;
  max_characters: number;
  remaining: number;
  too_long: boolean;
}

export function textInfo(body: string | null | undefined): TextInfo {
  const text = body ?? "";
  const chars = Array.from(text); // code points, so "is it in the alphabet" sees whole characters
  const gsm = chars.every((ch) => BASIC.has(ch) || EXTENSION.has(ch));
  const perPage = gsm ? GSM7_PAGE : UCS2_PAGE;
  const characters = gsm ? chars.reduce((sum, ch) => sum + (EXTENSION.has(ch) ? 2 : 1), 0) : text.length;
  const maxCharacters = perPage * MAX_PAGES;
  return {
    encoding: gsm ? "GSM-7" : "UCS-2",
    characters,
    per_page: perPage,
    pages: Math.max(1, Math.ceil(characters / perPage)),
    max_pages: MAX_PAGES,
    max_characters: maxCharacters,
    remaining: maxCharacters - characters,
    too_long: characters > maxCharacters,
  };
}

/** The guide's total limit (spec 05 §8.4/§8.14): 500 characters across all languages together, as the API counts
 * them (characters of the trimmed bodies; `cbc.max_total_characters` in crm_config.yaml). */
export const TOTAL_LIMIT = 500;

export function totalCharacters(bodies: (string | null | undefined)[]): number {
  return bodies.reduce((n, body) => n + [...(body ?? "").trim()].length, 0);
}
