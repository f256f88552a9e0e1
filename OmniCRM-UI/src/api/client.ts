/**
 * The one way the console talks to /crm: bearer token on every call, one shared token refresh when a call
 * answers 401, and every failure turned into an ApiError carrying the API's `message` and field `errors`.
 */
import type { Session, SessionStore } from "./session";

export type FieldErrors = Record<string, string>;

export class ApiError extends Error {
  readonly status: number;
  readonly errors: FieldErrors;
  /** The whole JSON error body, for answers carrying more than message/errors (e.g. an import report). */
  body?: unknown;

  constructor(status: number, message: string, errors: FieldErrors = {}) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.errors = errors;
  }
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  method?: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  body?: unknown;
  /** Send `body` as it is (a string, e.g. CSV) with this Content-Type instead of JSON. */
  contentType?: string;
  query?: Record<string, QueryValue>;
  /** Login/refresh calls must not trigger a refresh themselves. */
  skipAuth?: boolean;
  signal?: AbortSignal;
}

export interface ApiClient {
  request<T>(path: string, options?: RequestOptions): Promise<T>;
  get<T>(path: string, query?: Record<string, QueryValue>): Promise<T>;
  post<T>(path: string, body?: unknown): Promise<T>;
  put<T>(path: string, body?: unknown): Promise<T>;
  patch<T>(path: string, body?: unknown): Promise<T>;
  delete<T>(path: string): Promise<T>;
}

export interface ClientDeps {
  store: SessionStore;
  fetch?: typeof fetch;
  baseUrl?: string;
  /** Called once when the session cannot be refreshed (the user must log in again). */
  onSessionExpired?: () => void;
}

export function buildUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): string {
  const url = `${baseUrl}${path}`;
  if (!query) return url;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${url}?${text}` : url;
}

async function readBody(response: Response): Promise<unknown> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorFrom(status: number, body: unknown, statusText: string): ApiError {
  if (body && typeof body === "object") {
    const { message, errors } = body as { message?: unknown; errors?: unknown };
    const fieldErrors: FieldErrors = {};
    if (errors && typeof errors === "object") {
      for (const [field, value] of Object.entries(errors as Record<string, unknown>)) {
        fieldErrors[field] = Array.isArray(value) ? value.join(", ") : String(value);
      }
    }
    if (typeof message === "string" && message) return new ApiError(status, message, fieldErrors);
    if (Object.keys(fieldErrors).length) return new ApiError(status, "Validation failed", fieldErrors);
  }
  // Never show an HTML error page or raw JSON: fall back to the HTTP reason.
  return new ApiError(status, statusText || `Request failed (${status})`);
}

export function createApiClient({ store, fetch: fetchImpl, baseUrl = "", onSessionExpired }: ClientDeps): ApiClient {
  const doFetch = fetchImpl ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  let refreshing: Promise<boolean> | null = null;

  async function send(path: string, options: RequestOptions, token: string | undefined): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    const raw = options.contentType !== undefined;
    if (options.body !== undefined) headers["Content-Type"] = options.contentType ?? "application/json";
    if (token) headers.Authorization = `Bearer ${token}`;
    try {
      return await doFetch(buildUrl(baseUrl, path, options.query), {
        method: options.method ?? "GET",
        headers,
        credentials: "same-origin",
        body: options.body === undefined ? undefined : raw ? (options.body as BodyInit) : JSON.stringify(options.body),
        signal: options.signal,
      });
    } catch (error) {
      if ((error as Error)?.name === "AbortError") throw error;
      throw new ApiError(0, "Cannot reach the server. Check your connection and try again.");
    }
  }

  /** One refresh for all the calls that got a 401 at the same time; false when the session is over. */
  function refresh(): Promise<boolean> {
    if (!refreshing) {
      refreshing = (async () => {
        const session = store.get();
        if (!session) return false;
        // The refresh token is the HttpOnly cookie the browser sends itself; script never sees it.
        const response = await send("/crm/auth/refresh", { method: "POST" }, undefined).catch(() => null);
        if (!response || !response.ok) return false;
        const body = (await readBody(response)) as Partial<Session> & { access_token?: string };
        const token = body?.token ?? body?.access_token;
        if (!token) return false;
        const latest = store.get() ?? session;
        store.set({
          ...latest,
          token,
          user: body.user ?? latest.user,
          roles: body.roles ?? latest.roles,
          permissions: body.permissions ?? latest.permissions,
          force_password_change: body.force_password_change ?? latest.force_password_change,
          two_factor_enrolment_required: body.two_factor_enrolment_required ?? latest.two_factor_enrolment_required,
        });
        return true;
      })().finally(() => {
        refreshing = null;
      });
    }
    return refreshing;
  }

  /** The API refuses everything while a temporary password or a required 2FA enrolment is pending: the console
   * then shows the screen for that step (a flag set by an administrator mid-session is picked up here). */
  function noteRequiredStep(body: unknown) {
    const session = store.get();
    if (!session || !body || typeof body !== "object") return;
    const { password_change_required: password, two_factor_enrolment_required: twoFactor } = body as Record<string, unknown>;
    if (password === true && !session.force_password_change) store.set({ ...session, force_password_change: true });
    if (twoFactor === true && !session.two_factor_enrolment_required) store.set({ ...session, two_factor_enrolment_required: true });
  }

  async function request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const token = options.skipAuth ? undefined : store.get()?.token;
    let response = await send(path, options, token);
    if (response.status === 401 && !options.skipAuth && token) {
      const latest = store.get()?.token;
      const renewed = latest && latest !== token ? true : await refresh();
      if (renewed) {
        response = await send(path, options, store.get()?.token);
      }
      if (!renewed || response.status === 401) {
        if (store.get()) {
          store.set(null);
          onSessionExpired?.();
        }
        throw new ApiError(401, "Your session has expired. Please log in again.");
      }
    }
    const body = await readBody(response);
    if (response.status === 403) noteRequiredStep(body);
    if (!response.ok) {
      const error = errorFrom(response.status, body, response.statusText);
      if (body && typeof body === "object") error.body = body;
      throw error;
    }
    return body as T;
  }

  return {
    request,
    get: (path, query) => request(path, { query }),
    post: (path, body) => request(path, { method: "POST", body: body ?? {} }),
    put: (path, body) => request(path, { method: "PUT", body: body ?? {} }),
    patch: (path, body) => request(path, { method: "PATCH", body: body ?? {} }),
    delete: (path) => request(path, { method: "DELETE" }),
  };
}

/** Human text for any thrown value, for toasts and error panels. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong";
}
