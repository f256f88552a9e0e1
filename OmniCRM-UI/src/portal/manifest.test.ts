import { describe, expect, it } from "vitest";
import { manifestFor } from "./manifest";

describe("portal manifest", () => {
  it("follows the branding settings", () => {
    const manifest = manifestFor({ REACT_APP_COMPANY_NAME: "Norfone", REACT_APP_PRIMARY_COLOR: "#112233" });
    expect(manifest.name).toBe("Norfone Self-Care");
    expect(manifest.theme_color).toBe("#112233");
    expect(manifest.start_url).toBe("/self-care");
    expect(manifestFor({ VITE_SELF_CARE_NAME: "My Norfone", REACT_APP_PRIMARY_COLOR: "red" })).toMatchObject({ name: "My Norfone", short_name: "My Norfone", theme_color: "#405189" });
  });
});
