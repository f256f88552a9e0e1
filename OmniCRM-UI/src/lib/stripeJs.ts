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

export async function loadStripe(jsUrl: string, publishableKey: string): Promise<StripeJs> {
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
