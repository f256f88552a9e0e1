import { createTheme, type MantineColorsTuple } from "@mantine/core";
import type { AppConfig } from "./config";

function channels(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

function mix(hex: string, target: number, amount: number): string {
  const out = channels(hex).map((c) => Math.round(c + (target - c) * amount));
  return `#${out.map((c) => c.toString(16).padStart(2, "0")).join("")}`;
}

/** Ten shades around a brand colour, the colour itself at shade 6 (Mantine's default primary shade). */
export function shades(hex: string): MantineColorsTuple {
  const lighter = [0.92, 0.8, 0.66, 0.5, 0.34, 0.16].map((a) => mix(hex, 255, a));
  const darker = [0.15, 0.3, 0.45].map((a) => mix(hex, 0, a));
  return [...lighter, hex.toLowerCase(), ...darker] as unknown as MantineColorsTuple;
}

const SYSTEM_FONTS = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

export function fontStack(fontFamily: string): string {
  if (/^(system|sistema)$/i.test(fontFamily)) return SYSTEM_FONTS;
  return `'${fontFamily.replace(/'/g, "")}', ${SYSTEM_FONTS}`;
}

export function buildTheme(config: AppConfig) {
  const { colors } = config;
  return createTheme({
    primaryColor: "brand",
    primaryShade: { light: 6, dark: 5 },
    fontFamily: fontStack(config.fontFamily),
    headings: { fontFamily: fontStack(config.fontFamily) },
    defaultRadius: "md",
    colors: {
      brand: shades(colors.primary),
      secondary: shades(colors.secondary),
      tertiary: shades(colors.tertiary),
      success: shades(colors.success),
      info: shades(colors.info),
      warning: shades(colors.warning),
      danger: shades(colors.danger),
    },
  });
}
