/**
 * Stripe.js, loaded once from the URL the API names (`GET /crm/stripe/config` → js_url; localstripe's copy in the
 * demo and tests), so card numbers go from the browser to Stripe and never to OmniCRM (spec 07 §1.5, §1.12).
 */
export interface StripeCardElement {
  mount: (el: HTMLElement | string) => void;
  unmount?: () => void;
  destroy?: () => void;
  on?: (event: string, handler: (e?: { error?: { message?: string }; complete?: boolean }) => void) => void;
}

/** What the console and the portal use of Stripe.js (the real one, or localstripe's fake). */
export interface StripeJs {
  elements: () => { create: (type: "card", options?: Record<string, unknown>) => StripeCardElement };
  confirmCardSetup: (clientSecret: string, data: Record<string, unknown>) =>
    Promise<{ setupIntent?: { id?: string; payment_method: string | { id: string } }; error?: { message?: string } }>;
  confirmCardPayment: (clientSecret: string, data?: Record<string, unknown>) =>
    Promise<{ paymentIntent?: { id: string; status: string }; error?: { message?: string } }>;
}

declare global {
  interface Window { Stripe?: (key: string) => StripeJs }
}

const loading = new Map<string, Promise<void>>();

function loadScript(url: string): Promise<void> {
  if (window.Stripe) return Promise.resolve();
  let promise = loading.get(url);
  if (!promise) {
    promise = new Promise<void>((resolve, reject) => {
      const script = document.createElement("script");
      script.src = url;
      script.async = true;
      script.onload = () => resolve();
      script.onerror = () => { loading.delete(url); reject(new Error("Stripe.js could not be loaded")); };
      document.head.appendChild(script);
    });
    loading.set(url, promise);
  }
  return promise;
}

const instances = new Map<string, StripeJs>();

/** The real Stripe.js (js.stripe.com) draws its 3-D Secure challenge in its own top-most frame. */
export const isRealStripeJs = (jsUrl: string) => {
  try {
    return new URL(jsUrl, window.location.href).hostname === "js.stripe.com";
  } catch {
    return false;
  }
};

const FAKE_PROMPT_BUTTON = "Complete authentication";

/** Put a fake Stripe.js 3-D Secure box (localstripe, in the demo and tests) above the page's dialogs. */
export function raiseFakeStripePrompt(node: Node): boolean {
  if (!(node instanceof HTMLDivElement) || node.parentElement !== document.body) return false;
  const buttons = Array.from(node.querySelectorAll(":scope > button"));
  if (!buttons.some((b) => b.textContent === FAKE_PROMPT_BUTTON)) return false;
  // localstripe appends a box with position:absolute and no z-index, which a modal (Pay Now, Add card) covers:
  // the subscriber could not answer it. Keep it in view and on top, as Stripe's own challenge frame is.
  Object.assign(node.style, { position: "fixed", zIndex: "2147483000" });
  node.setAttribute("role", "dialog");
  node.setAttribute("aria-modal", "true");
  node.setAttribute("data-testid", "stripe-3ds-prompt");
  return true;
}

let watching = false;

function watchFakeStripePrompts() {
  if (watching || typeof MutationObserver === "undefined") return;
  watching = true;
  new MutationObserver((records) => {
    for (const record of records) record.addedNodes.forEach((node) => raiseFakeStripePrompt(node));
  }).observe(document.body, { childList: true });
}

export async function loadStripe(jsUrl: string, publishableKey: string): Promise<StripeJs> {
  if (!isRealStripeJs(jsUrl)) watchFakeStripePrompts();
  await loadScript(jsUrl);
  if (!window.Stripe) throw new Error("Stripe.js could not be loaded");
  let stripe = instances.get(publishableKey);
  if (!stripe) {
    stripe = window.Stripe(publishableKey);
    instances.set(publishableKey, stripe);
  }
  return stripe;
}

/** The pm id of a confirmed SetupIntent (a string, or an object with an id). */
export function paymentMethodId(setupIntent: { payment_method: string | { id: string } } | undefined): string | null {
  if (!setupIntent) return null;
  return typeof setupIntent.payment_method === "string" ? setupIntent.payment_method : setupIntent.payment_method?.id ?? null;
}
