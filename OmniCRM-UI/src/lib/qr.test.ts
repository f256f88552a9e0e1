import { describe, expect, it } from "vitest";
import { isWebUrl, qrModules, qrPath } from "./qr";

describe("management_url QR codes", () => {
  it("encodes an eSIM LPA string in a square QR code with the finder patterns in three corners", () => {
    const modules = qrModules("LPA:1$smdp.example.com$ACTIVATION-CODE-ABC123XYZ");
    const n = modules.length;
    expect(n).toBeGreaterThanOrEqual(21);
    expect((n - 17) % 4).toBe(0); // a QR version's size is 17 + 4·version
    expect(modules.every((row) => row.length === n)).toBe(true);
    for (const [r, c] of [[0, 0], [0, n - 7], [n - 7, 0]]) {
      expect(modules[r][c] && modules[r + 6][c + 6] && modules[r + 3][c + 3]).toBe(true); // finder pattern corners + centre
      expect(modules[r + 1][c + 1]).toBe(false);
    }
  });

  it("gives different codes for different texts, the same for the same text, and copes with non-ASCII", () => {
    expect(qrModules("https://192.168.1.1")).toEqual(qrModules("https://192.168.1.1"));
    expect(qrModules("https://192.168.1.1")).not.toEqual(qrModules("https://192.168.1.2"));
    expect(qrModules("https://router.example/año").length).toBeGreaterThanOrEqual(21);
  });

  it("draws one unit square per dark module", () => {
    const modules = qrModules("x");
    const dark = modules.flat().filter(Boolean).length;
    expect(qrPath(modules).match(/M/g)).toHaveLength(dark);
  });

  it("links web URLs only", () => {
    expect(isWebUrl("https://192.168.1.1")).toBe(true);
    expect(isWebUrl("http://cpe.local:8080/admin")).toBe(true);
    expect(isWebUrl("LPA:1$smdp.example.com$CODE")).toBe(false);
    expect(isWebUrl("javascript:alert(1)")).toBe(false);
  });
});
