/**
 * The logged-in session as the login response gives it, without the refresh token: that one lives only in the
 * HttpOnly cookie the API sets (spec 02 §8), out of reach of scripts. "Remember me" keeps the rest in localStorage
 * (it survives closing the browser, like the cookie's 30 days); otherwise sessionStorage (gone with the tab).
 */
export interface SessionUser {
  id: number;
  username: string;
  email: string;
  first_name: string;
  middle_name?: string | null;
  last_name: string;
  phone_number?: string | null;
  roles: string[];
  contact_id?: number | null;
  customer_id?: number | null;
  force_password_change?: boolean;
  is_2fa_enabled?: boolean;
}

export interface Session {
  token: string;
  user: SessionUser;
  roles: string[];
  permissions: string[];
  force_password_change: boolean;
  /** 2FA is required by policy and not set up: the session can only enrol (spec 01 §2.1). */
  two_factor_enrolment_required?: boolean;
  remember: boolean;
  /** Set while a staff member acts as this subscriber (self-care portal, POST /crm/auth/impersonate). */
  impersonator?: { id: number; email: string; name?: string; remember: boolean; customerId?: number | null } | null;
}

export interface SessionStore {
  get(): Session | null;
  set(session: Session | null): void;
  subscribe(listener: (session: Session | null) => void): () => void;
}

const KEY = "omnicrm.session";

function read(storage: Storage | undefined): Session | null {
  try {
    const raw = storage?.getItem(KEY);
    if (!raw) return null;
    // Sessions saved by older versions carried the refresh token: it is dropped, never kept in storage.
    const { refresh_token: _dropped, ...session } = JSON.parse(raw) as Session & { refresh_token?: string };
    return session;
  } catch {
    return null;
  }
}

export function createSessionStore(local?: Storage, tab?: Storage): SessionStore {
  let current: Session | null = read(local) ?? read(tab);
  const listeners = new Set<(session: Session | null) => void>();
  return {
    get: () => current,
    set(session) {
      current = session;
      local?.removeItem(KEY);
      tab?.removeItem(KEY);
      if (session) (session.remember ? local : tab)?.setItem(KEY, JSON.stringify(session));
      listeners.forEach((listener) => listener(session));
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export const sessionStore = createSessionStore(
  typeof localStorage === "undefined" ? undefined : localStorage,
  typeof sessionStorage === "undefined" ? undefined : sessionStorage,
);
