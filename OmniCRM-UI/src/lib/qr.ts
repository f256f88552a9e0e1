/**
 * QR codes for an inventory item's `management_url` (spec 02 §4.6): generated in the browser from the
 * qrcode-generator package (no CDN, no server round trip). The text is encoded as UTF-8 bytes so an LPA string or a
 * URL with non-ASCII characters scans back exactly.
 */
import qrcode from "qrcode-generator";

/** The dark/light modules of the QR code for `text` (error correction M, the smallest version that fits). */
export function qrModules(text: string): boolean[][] {
  const code = qrcode(0, "M");
  // qrcode-generator's byte mode keeps the low byte of each char code: hand it the UTF-8 bytes one per char.
  code.addData(Array.from(new TextEncoder().encode(text), (byte) => String.fromCharCode(byte)).join(""), "Byte");
  code.make();
  const count = code.getModuleCount();
  return Array.from({ length: count }, (_, row) => Array.from({ length: count }, (_, col) => code.isDark(row, col)));
}

/** One SVG path drawing every dark module, in module units (the caller's viewBox adds the quiet zone). */
export function qrPath(modules: boolean[][]): string {
  const parts: string[] = [];
  modules.forEach((row, y) => row.forEach((dark, x) => { if (dark) parts.push(`M${x} ${y}h1v1h-1z`); }));
  return parts.join("");
}

/** A management URL is a link only when a browser can open it (http/https); an LPA string is shown as text. */
export function isWebUrl(value: string): boolean {
  return /^https?:\/\/[^\s]+$/i.test(value.trim());
}
