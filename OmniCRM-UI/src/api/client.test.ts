import { describe, expect, it, vi } from "vitest";
import { ApiError, buildUrl, createApiClient } from "./client";
import { createSessionStore, type Session } from "./session";

function memoryStorage(): Storage {
  const data = new Map<string, string>();
  return {
    get length() { return data.size; },
    clear: () => data.clear(),
    getItem: (k) => data.get(k) ?? null,
    key: (i) => [...data.keys()][i] ?? null,
    removeItem: (k) => { data.delete(k); },
    setItem: (k, v) => { data.set(k, v); },
  };
}

const session = (token = "old-access"): Session => ({
  token, remember: true, roles: ["admin"], permissions: ["admin"], force_password_change: false,
  user: { id: 1, username: "admin", email: "admin@example.com", first_name: "A", last_name: "B", roles: ["admin"] },
});

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

/** A fake API: /crm/auth/refresh hands out "new-access"; other calls need it. */
function fakeApi(opts: { refreshOk?: boolean } = {}) {
  const calls: { url: string; auth?: string; body?: unknown; credentials?: RequestCredentials }[] = [];
  let refreshes = 0;
  const fetchImpl = vi.fn(async (url: RequestInfo | URL, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ url: String(url), auth: headers.Authorization, body, credentials: init?.credentials });
    if (String(url).endsWith("/crm/auth/refresh")) {
      refreshes += 1;
      await new Promise((r) => setTimeout(r, 5));
      return opts.refreshOk === false
        ? json(401, { message: "Refresh token invalid, expired or revoked" })
        : json(200, { token: "new-access", access_token: "new-access", permissions: ["view_customer"] });
    }
    if (headers.Authorization !== "Bearer new-access") return json(401, { message: "Token expired" });
    return json(200, { data: [], pagination: { current_page: 1, per_page: 20, total_pages: 0, total_items: 0 } });
  });
  return { fetchImpl, calls, refreshCount: () => refreshes };
}

describe("api client", () => {
  it("refreshes the token once on 401 with the HttpOnly cookie and retries the call with the new token", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    store.set(session());
    const fake = fakeApi();
    const client = createApiClient({ store, fetch: fake.fetchImpl as typeof fetch });

    const body = await client.get<{ data: unknown[] }>("/crm/customers", { page: 1 });

    expect(body.data).toEqual([]);
    expect(fake.calls.map((c) => c.auth ?? "none")).toEqual(["Bearer old-access", "none", "Bearer new-access"]);
    // No refresh token in script: the browser sends the cookie (same origin).
    expect(fake.calls[1].body).toBeUndefined();
    expect(fake.calls[1].credentials).toBe("same-origin");
    expect(store.get()?.token).toBe("new-access");
    expect(JSON.stringify(store.get())).not.toContain("refresh");
    expect(store.get()?.permissions).toEqual(["view_customer"]);
  });

  it("shares one refresh between calls that fail together", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    store.set(session());
    const fake = fakeApi();
    const client = createApiClient({ store, fetch: fake.fetchImpl as typeof fetch });

    await Promise.all([client.get("/crm/a"), client.get("/crm/b"), client.get("/crm/c")]);

    expect(fake.refreshCount()).toBe(1);
  });

  it("ends the session and tells the app when the refresh token is refused", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    store.set(session());
    const fake = fakeApi({ refreshOk: false });
    const expired = vi.fn();
    const client = createApiClient({ store, fetch: fake.fetchImpl as typeof fetch, onSessionExpired: expired });

    await expect(client.get("/crm/customers")).rejects.toMatchObject({ status: 401 });
    expect(store.get()).toBeNull();
    expect(expired).toHaveBeenCalledTimes(1);
  });

  it("does not try to refresh for the login call itself", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    const fetchImpl = vi.fn(async () => json(401, { message: "Invalid email or password" }));
    const client = createApiClient({ store, fetch: fetchImpl as typeof fetch });

    const error = (await client.request("/crm/auth/login", { method: "POST", body: {}, skipAuth: true }).catch((e) => e)) as ApiError;

    expect(error).toBeInstanceOf(ApiError);
    expect(error.message).toBe("Invalid email or password");
    expect(fetchImpl).toHaveBeenCalledTimes(1);
  });

  it("turns the API error shape into message and field errors", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    const fetchImpl = vi.fn(async () => json(400, { message: "Validation failed", errors: { email: "is not a valid email", role: "is required" } }));
    const client = createApiClient({ store, fetch: fetchImpl as typeof fetch });

    const error = (await client.post("/crm/auth/users", {}).catch((e) => e)) as ApiError;

    expect(error.status).toBe(400);
    expect(error.message).toBe("Validation failed");
    expect(error.errors).toEqual({ email: "is not a valid email", role: "is required" });
  });

  it("never surfaces an HTML page or a network failure as the message", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    const html = vi.fn(async () => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const down = vi.fn(async () => { throw new TypeError("Failed to fetch"); });

    const e1 = (await createApiClient({ store, fetch: html as typeof fetch }).get("/crm/x").catch((e) => e)) as ApiError;
    const e2 = (await createApiClient({ store, fetch: down as typeof fetch }).get("/crm/x").catch((e) => e)) as ApiError;

    expect(e1.message).toBe("Bad Gateway");
    expect(e2.status).toBe(0);
    expect(e2.message).toMatch(/Cannot reach the server/);
  });

  it("builds query strings without empty values", () => {
    expect(buildUrl("", "/crm/customers", { page: 2, search: "", sort: undefined, filters: '{"a":[1]}' }))
      .toBe("/crm/customers?page=2&filters=%7B%22a%22%3A%5B1%5D%7D");
  });
});

describe("session store", () => {
  it("keeps a remembered session in localStorage and a plain one only for the tab", () => {
    const local = memoryStorage();
    const tab = memoryStorage();
    const store = createSessionStore(local, tab);
    store.set({ ...session(), remember: false });
    expect(local.getItem("omnicrm.session")).toBeNull();
    expect(tab.getItem("omnicrm.session")).not.toBeNull();
    store.set(session());
    expect(local.getItem("omnicrm.session")).not.toBeNull();
    expect(tab.getItem("omnicrm.session")).toBeNull();
    expect(createSessionStore(local, tab).get()?.token).toBe("old-access");
    store.set(null);
    expect(createSessionStore(local, tab).get()).toBeNull();
  });
});

describe("session storage", () => {
  it("never keeps a refresh token, even one saved by an older version", () => {
    const local = memoryStorage();
    local.setItem("omnicrm.session", JSON.stringify({ ...session(), refresh_token: "old-refresh" }));
    const store = createSessionStore(local, memoryStorage());
    expect(store.get()?.token).toBe("old-access");
    expect(JSON.stringify(store.get())).not.toContain("old-refresh");
  });
});

describe("steps the API requires first", () => {
  it("switches the console to the password change or 2FA enrolment the API asks for", async () => {
    const store = createSessionStore(memoryStorage(), memoryStorage());
    store.set(session("new-access"));
    const answers = [
      json(403, { message: "Change your password first", password_change_required: true }),
      json(403, { message: "Set up two-factor authentication first", two_factor_enrolment_required: true }),
    ];
    const fetchImpl = vi.fn(async () => answers.shift() as Response);
    const client = createApiClient({ store, fetch: fetchImpl as typeof fetch });
    await expect(client.get("/crm/customers")).rejects.toMatchObject({ status: 403 });
    expect(store.get()?.force_password_change).toBe(true);
    await expect(client.get("/crm/customers")).rejects.toMatchObject({ status: 403 });
    expect(store.get()?.two_factor_enrolment_required).toBe(true);
  });
});
