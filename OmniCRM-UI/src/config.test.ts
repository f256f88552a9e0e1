import { describe, expect, it } from "vitest";
import { readConfig } from "./config";
import en from "./i18n/locales/en";
import sp from "./i18n/locales/sp";
import * as partial from "./i18n/locales/partial";
import { generateTempPassword, passwordProblems } from "./lib/password";
import { shades } from "./theme";

function keys(obj: object, prefix = ""): string[] {
  return Object.entries(obj).flatMap(([k, v]) => (v && typeof v === "object" ? keys(v, `${prefix}${k}.`) : [`${prefix}${k}`]));
}

describe("build-time configuration", () => {
  it("reads the spec's REACT_APP_* names with their defaults", () => {
    const config = readConfig({
      REACT_APP_COMPANY_NAME: "ShellFone", REACT_APP_DEFAULT_LANGUAGE: "sp", REACT_APP_PRIMARY_COLOR: "#112233",
      REACT_APP_WARNING_COLOR: "not-a-colour", REACT_APP_WEB_APP_1_NAME: "GitHub", REACT_APP_WEB_APP_1_URL: "https://github.com",
      REACT_APP_WEB_APP_2_NAME: "No URL", REACT_APP_ALLOW_SOCIAL_LOGINS: "yes",
    });
    expect(config.companyName).toBe("ShellFone");
    expect(config.portalName).toBe("ShellFone Console");
    expect(config.defaultLanguage).toBe("sp");
    expect(config.colors.primary).toBe("#112233");
    expect(config.colors.warning).toBe("#ffc107");
    expect(config.webApps).toEqual([{ name: "GitHub", url: "https://github.com", iconPath: undefined }]);
    expect(config.allowSocialLogins).toBe(true);
    expect(config.fontFamily).toBe("Quicksand");
  });

  it("accepts VITE_* names too and falls back to English for an unknown language", () => {
    const config = readConfig({ VITE_CURRENCY_CODE: "EUR", REACT_APP_DEFAULT_LANGUAGE: "de" });
    expect(config.currencyCode).toBe("EUR");
    expect(config.defaultLanguage).toBe("en");
  });

  it("puts the brand colour at shade 6", () => {
    const tuple = shades("#405189");
    expect(tuple).toHaveLength(10);
    expect(tuple[6]).toBe("#405189");
  });
});

describe("translations", () => {
  it("Spanish has every English key, and no other language has keys English lacks", () => {
    const reference = new Set(keys(en));
    expect(keys(sp).sort()).toEqual([...reference].sort());
    for (const [name, set] of Object.entries(partial)) {
      const extra = keys(set).filter((k) => !reference.has(k));
      expect(extra, name).toEqual([]);
    }
  });
});

describe("temporary passwords", () => {
  it("always satisfy the API's password policy", () => {
    for (let i = 0; i < 200; i += 1) expect(passwordProblems(generateTempPassword())).toEqual([]);
  });
});

describe("Grafana dashboards (REACT_APP_GRAFANA_URLS / _LABELS)", () => {
  it("pairs URLs with labels by position and drops what is not http(s)", async () => {
    const { grafanaDashboards, readConfig } = await import("./config");
    expect(grafanaDashboards("http://g1/d/abc, https://g2/d/xyz,javascript:alert(1)", "Monitoreo de Red,Salud del Servicio")).toEqual([
      { url: "http://g1/d/abc", label: "Monitoreo de Red" }, { url: "https://g2/d/xyz", label: "Salud del Servicio" },
    ]);
    expect(grafanaDashboards("http://g1/d/abc", "")).toEqual([{ url: "http://g1/d/abc", label: "Grafana 1" }]);
    expect(readConfig({ REACT_APP_GRAFANA_URLS: "http://g/d/1", REACT_APP_GRAFANA_LABELS: "Net" }).grafanaDashboards)
      .toEqual([{ url: "http://g/d/1", label: "Net" }]);
    expect(readConfig({}).grafanaDashboards).toEqual([]);
  });
});
