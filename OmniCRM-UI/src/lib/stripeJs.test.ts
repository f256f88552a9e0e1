import { afterEach, describe, expect, it } from "vitest";
import { isRealStripeJs, raiseFakeStripePrompt } from "./stripeJs";

/** localstripe's 3-D Secure box, built as its localstripe-v3.js openModal() builds it. */
function fakePrompt() {
  const box = document.createElement("div");
  const p = document.createElement("p");
  const confirm = document.createElement("button");
  const cancel = document.createElement("button");
  p.textContent = "3D Secure\nDo you want to confirm or cancel?";
  confirm.textContent = "Complete authentication";
  cancel.textContent = "Fail authentication";
  box.append(p, confirm, cancel);
  Object.assign(box.style, { position: "absolute", top: "50%", left: "50%" });
  return box;
}

describe("fake Stripe.js 3-D Secure prompt", () => {
  afterEach(() => { document.body.innerHTML = ""; });

  it("is raised above dialogs and kept in view", () => {
    const box = fakePrompt();
    document.body.appendChild(box);
    expect(raiseFakeStripePrompt(box)).toBe(true);
    expect(box.style.position).toBe("fixed");
    expect(Number(box.style.zIndex)).toBeGreaterThan(10_000);
    expect(box.getAttribute("role")).toBe("dialog");
  });

  it("leaves every other element alone", () => {
    const other = document.createElement("div");
    other.append(document.createElement("button"));
    document.body.appendChild(other);
    expect(raiseFakeStripePrompt(other)).toBe(false);
    const nested = fakePrompt();
    other.appendChild(nested);
    expect(raiseFakeStripePrompt(nested)).toBe(false);
    expect(nested.style.position).toBe("absolute");
  });

  it("tells the real Stripe.js from a fake one", () => {
    expect(isRealStripeJs("https://js.stripe.com/v3/")).toBe(true);
    expect(isRealStripeJs("http://127.0.0.1:8420/js.stripe.com/v3/")).toBe(false);
  });
});
