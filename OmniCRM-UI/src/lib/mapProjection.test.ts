import { describe, expect, it } from "vitest";
import { metresPerPixel, project, tileUrl, unproject } from "./mapProjection";

describe("web mercator", () => {
  it("puts (0,0) in the middle of the world and round-trips coordinates", () => {
    expect(project({ lat: 0, lng: 0 }, 0)).toEqual({ x: 128, y: 128 });
    const sydney = { lat: -33.8688, lng: 151.2093 };
    const back = unproject(project(sydney, 12), 12);
    expect(back.lat).toBeCloseTo(sydney.lat, 6);
    expect(back.lng).toBeCloseTo(sydney.lng, 6);
  });

  it("computes ground resolution and tile addresses", () => {
    expect(metresPerPixel(0, 0)).toBeCloseTo(156543.03, 1);
    expect(tileUrl("https://{s}.t.example/{z}/{x}/{y}.png", 2, 5, 1)).toBe("https://c.t.example/2/1/1.png") // x 5 wraps to 1; subdomain (1+1)%3;
  });
});
