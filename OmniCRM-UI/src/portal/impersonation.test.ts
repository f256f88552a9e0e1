import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { startImpersonation, stopImpersonation } from "./impersonation";

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const staff = { token: "staff-token", remember: true, roles: ["Support"], permissions: ["can_impersonate"], force_password_change: false,
  user: { id: 1, email: "support@x", first_name: "Sue", last_name: "Port", username: "sue", roles: ["Support"] } };

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("impersonation in the SPA", () => {
  it("switches to the subscriber's session with the reason, then back to the staff session", async () => {
    sessionStore.set(staff as never);
    const fetchImpl = vi.fn()
      .mockResolvedValueOnce(json(200, { access_token: "imp-token", user: { id: 42, customer_id: 7, email: "sub@x" }, roles: ["Customer"], permissions: ["view_own_customer"],
        impersonator: { id: 1, email: "support@x" } }))
      .mockResolvedValueOnce(json(200, { success: true, duration_seconds: 30, access_token: "staff-token-2", user: staff.user, roles: ["Support"], permissions: ["can_impersonate"] }));
    vi.stubGlobal("fetch", fetchImpl);
    const session = await startImpersonation(42, "Customer asked for help", 7);
    expect(session.user.customer_id).toBe(7);
    expect(session.impersonator).toMatchObject({ email: "support@x", remember: true, customerId: 7 });
    const [url, init] = fetchImpl.mock.calls[0] as [string, RequestInit];
    expect(url).toBe("/crm/auth/impersonate");
    expect(JSON.parse(init.body as string)).toEqual({ user_id: 42, reason: "Customer asked for help", refresh_in_cookie: true });
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer staff-token");

    const back = await stopImpersonation();
    expect((fetchImpl.mock.calls[1][1] as RequestInit & { headers: Record<string, string> }).headers.Authorization).toBe("Bearer imp-token");
    expect(back.customerId).toBe(7);
    expect(back.session?.token).toBe("staff-token-2");
    expect(back.session?.remember).toBe(true);
    expect(sessionStore.get()?.impersonator).toBeUndefined();
  });

  it("logs out when the staff session ended meanwhile", async () => {
    sessionStore.set({ ...staff, token: "imp", user: { id: 42, customer_id: 7 }, impersonator: { id: 1, email: "support@x", remember: false, customerId: 7 } } as never);
    vi.stubGlobal("fetch", vi.fn(async () => json(200, { success: true, duration_seconds: 5 })));
    const back = await stopImpersonation();
    expect(back.session).toBeNull();
    expect(sessionStore.get()).toBeNull();
  });
});
