import i18n from "i18next";
import { initReactI18next } from "react-i18next";
import { config, LANGUAGES, type Language } from "../config";
import en from "./locales/en";
import sp from "./locales/sp";
import { ar, ch, fr, gr, it, ru } from "./locales/partial";
import { portalResources } from "../portal/i18n";

const STORAGE_KEY = "omnicrm.language";
export const RTL_LANGUAGES: readonly Language[] = ["ar"];

export const resources = {
  en: { translation: en }, sp: { translation: sp }, ar: { translation: ar }, ch: { translation: ch },
  fr: { translation: fr }, gr: { translation: gr }, it: { translation: it }, ru: { translation: ru },
};
// The self-care portal's strings live in their own namespace ("portal"), one file per language.
for (const [language, strings] of Object.entries(portalResources)) Object.assign(resources[language as keyof typeof resources], { portal: strings });

function initialLanguage(): Language {
  const stored = typeof localStorage === "undefined" ? null : localStorage.getItem(STORAGE_KEY);
  return stored && (LANGUAGES as readonly string[]).includes(stored) ? (stored as Language) : config.defaultLanguage;
}

/** The HTML lang/dir follow the language (the spec's "sp"/"gr"/"ch" codes are not BCP 47). */
const HTML_LANG: Record<Language, string> = { en: "en", sp: "es", ar: "ar", ch: "zh", fr: "fr", gr: "el", it: "it", ru: "ru" };

export function applyDocumentLanguage(language: string) {
  if (typeof document === "undefined") return;
  const lang = language as Language;
  document.documentElement.lang = HTML_LANG[lang] ?? "en";
  document.documentElement.dir = RTL_LANGUAGES.includes(lang) ? "rtl" : "ltr";
}

export function changeLanguage(language: Language) {
  localStorage.setItem(STORAGE_KEY, language);
  return i18n.changeLanguage(language);
}

void i18n.use(initReactI18next).init({
  resources,
  lng: initialLanguage(),
  fallbackLng: "en",
  supportedLngs: [...LANGUAGES],
  interpolation: { escapeValue: false },
  returnNull: false,
});
i18n.on("languageChanged", applyDocumentLanguage);
applyDocumentLanguage(i18n.language);

export default i18n;
