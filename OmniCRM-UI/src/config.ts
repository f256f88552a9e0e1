/**
 * Build-time settings (spec 01 §6): every REACT_APP_* / VITE_* variable is baked in by `npm run build`,
 * so one place turns the raw strings into typed values with the spec's defaults.
 */
type Env = Record<string, string | boolean | undefined>;

export const LANGUAGES = ["en", "sp", "ar", "ch", "fr", "gr", "it", "ru"] as const;
export type Language = (typeof LANGUAGES)[number];

export interface WebApp {
  name: string;
  url: string;
  iconPath?: string;
}

export interface AppConfig {
  companyName: string;
  portalName: string;
  selfCareName: string;
  tagline: string;
  defaultLocation: string;
  defaultCountry: string;
  defaultLanguage: Language;
  locale: string;
  currencyCode: string;
  currencySymbol: string;
  colors: {
    primary: string;
    secondary: string;
    tertiary: string;
    success: string;
    info: string;
    warning: string;
    danger: string;
    light: string;
    dark: string;
    primaryDark?: string;
  };
  fontFamily: string;
  googleApiKey: string;
  stripePublishableKey: string;
  webApps: WebApp[];
  faqsUrl: string;
  supportUrl: string;
  allowSocialLogins: boolean;
  /** Grafana dashboards embedded on the Dashboards page (REACT_APP_GRAFANA_URLS / _LABELS, positional). */
  grafanaDashboards: { url: string; label: string }[];
}

/** Comma-separated Grafana URLs with their labels by position; only http(s) URLs are kept. */
export function grafanaDashboards(urls: string, labels: string): { url: string; label: string }[] {
  const names = labels.split(",").map((l) => l.trim());
  return urls.split(",").map((u) => u.trim()).filter((u) => /^https?:\/\//i.test(u))
    .map((url, i) => ({ url, label: names[i] || `Grafana ${i + 1}` }));
}

const HEX = /^#[0-9a-fA-F]{6}$/;

function pick(env: Env, name: string): string {
  const value = env[`REACT_APP_${name}`] ?? env[`VITE_${name}`];
  return typeof value === "string" ? value.trim() : "";
}

function color(env: Env, name: string, fallback: string): string {
  const value = pick(env, name);
  return HEX.test(value) ? value : fallback;
}

export function readConfig(env: Env): AppConfig {
  const language = pick(env, "DEFAULT_LANGUAGE").replace(/"/g, "").toLowerCase();
  const webApps: WebApp[] = [];
  for (let n = 1; n <= 6; n += 1) {
    const name = pick(env, `WEB_APP_${n}_NAME`);
    const url = pick(env, `WEB_APP_${n}_URL`);
    if (name && url) webApps.push({ name, url, iconPath: pick(env, `WEB_APP_${n}_ICON_PATH`) || undefined });
  }
  const companyName = pick(env, "COMPANY_NAME") || "OmniCRM";
  return {
    companyName,
    portalName: pick(env, "PORTAL_NAME") || `${companyName} Console`,
    selfCareName: pick(env, "SELF_CARE_NAME") || `${companyName} Self-Care`,
    tagline: pick(env, "COMPANY_TAGLINE"),
    defaultLocation: pick(env, "DEFAULT_LOCATION"),
    defaultCountry: pick(env, "DEFAULT_COUNTRY"),
    defaultLanguage: (LANGUAGES as readonly string[]).includes(language) ? (language as Language) : "en",
    locale: pick(env, "LOCALE") || "en-GB",
    currencyCode: pick(env, "CURRENCY_CODE") || "USD",
    currencySymbol: pick(env, "CURRENCY_SYMBOL") || "$",
    colors: {
      primary: color(env, "PRIMARY_COLOR", "#405189"),
      secondary: color(env, "SECONDARY_COLOR", "#2bffcf"),
      tertiary: color(env, "TERTIARY_COLOR", "#1a9fbf"),
      success: color(env, "SUCCESS_COLOR", "#28a745"),
      info: color(env, "INFO_COLOR", "#17a2b8"),
      warning: color(env, "WARNING_COLOR", "#ffc107"),
      danger: color(env, "DANGER_COLOR", "#dc3545"),
      light: color(env, "LIGHT_COLOR", "#f8f9fa"),
      dark: color(env, "DARK_COLOR", "#343a40"),
      primaryDark: color(env, "PRIMARY_DARK_COLOR", "") || undefined,
    },
    fontFamily: pick(env, "FONT_FAMILY") || "Quicksand",
    googleApiKey: pick(env, "GOOGLE_API_KEY"),
    stripePublishableKey: pick(env, "STRIPE_PUBLISHABLE_KEY"),
    webApps,
    faqsUrl: pick(env, "FAQS_URL"),
    supportUrl: pick(env, "SUPPORT_URL"),
    allowSocialLogins: pick(env, "ALLOW_SOCIAL_LOGINS").toLowerCase() === "yes",
    grafanaDashboards: grafanaDashboards(pick(env, "GRAFANA_URLS"), pick(env, "GRAFANA_LABELS")),
  };
}

export const config: AppConfig = readConfig(import.meta.env as unknown as Env);

/** Money as the operator's currency, formatted in its locale; amounts arrive from the API as strings. */
export function formatMoney(amount: string | number | null | undefined): string {
  if (amount === null || amount === undefined || amount === "") return "";
  const value = typeof amount === "number" ? amount : Number(amount);
  if (Number.isNaN(value)) return String(amount);
  try {
    return new Intl.NumberFormat(config.locale, { style: "currency", currency: config.currencyCode }).format(value);
  } catch {
    return `${config.currencySymbol}${value.toFixed(2)}`;
  }
}

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return "";
  // The API sends naive UTC ("2025-01-02T03:04:05"); read it as UTC, show it in local time.
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(config.locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
}
