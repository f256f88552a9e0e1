/**
 * Logos (spec 01 §8): logoSm/logoDark/logoLight.png dropped into src/assets/images/omnitouch/ win over the
 * defaults at build time; without them the Default* files are used.
 */
const files = import.meta.glob<string>("./assets/images/omnitouch/*.png", { eager: true, import: "default", query: "?url" });

export function pickLogo(available: Record<string, string | undefined>, custom: string, fallback: string): string {
  return available[custom] ?? available[fallback] ?? "";
}

const byName = Object.fromEntries(Object.entries(files).map(([path, url]) => [path.split("/").pop() as string, url]));

export const logos = {
  /** Header in light mode */
  dark: pickLogo(byName, "logoDark.png", "DefaultLogoDark.png"),
  /** Header in dark mode, login screen */
  light: pickLogo(byName, "logoLight.png", "DefaultLogoLight.png"),
  /** Collapsed sidebar, phones */
  small: pickLogo(byName, "logoSm.png", "DefaultLogoDark.png"),
};
