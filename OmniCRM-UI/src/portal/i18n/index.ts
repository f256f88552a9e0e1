import en from "./en";
import { ar, ch, fr, gr, it, ru } from "./partial";
import sp from "./sp";

/** The "portal" namespace for every language of the console (spec 01 §7). */
export const portalResources = { en, sp, ar, ch, fr, gr, it, ru };
