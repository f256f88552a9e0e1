import { createContext, useCallback, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from "react";
import { useQueryClient } from "@tanstack/react-query";
import { api, sessionStore, type Session, type SessionUser } from "../api";
import type { TwoFactorChallenge } from "../lib/twoFactor";
import { allows, permissionSet, type PermissionSet, type Requirement } from "./permissions";

interface LoginAnswer extends Omit<Session, "remember"> {
  refresh_token?: string;
  access_token?: string;
  "2fa_required"?: boolean;
  user_id?: number;
  mfa_token?: string;
}

/** The password was right and the account has 2FA: the login finishes with `completeTwoFactor`. */
export class TwoFactorRequired extends Error {
  readonly challenge: TwoFactorChallenge;

  constructor(challenge: TwoFactorChallenge) {
    super("2FA required");
    this.challenge = challenge;
  }
}

interface AuthValue {
  session: Session | null;
  user: SessionUser | null;
  permissions: PermissionSet;
  allows: (requirement: Requirement) => boolean;
  login: (email: string, password: string, remember: boolean) => Promise<Session>;
  /** Second login step with a TOTP or backup code; the API answers with the same body as the login. */
  completeTwoFactor: (challenge: TwoFactorChallenge, code: string) => Promise<Session>;
  logout: () => Promise<void>;
  /** Change fields of the signed-in user as the console shows them (e.g. 2FA just enabled). */
  updateUser: (changes: Partial<SessionUser>) => void;
  /** After a password change the API answers with a fresh session. */
  replaceSession: (answer: LoginAnswer) => void;
}

const AuthContext = createContext<AuthValue | null>(null);

function toSession(answer: LoginAnswer, remember: boolean): Session {
  return {
    token: answer.token ?? answer.access_token ?? "",
    user: answer.user,
    roles: answer.roles ?? [],
    permissions: answer.permissions ?? [],
    force_password_change: Boolean(answer.force_password_change),
    two_factor_enrolment_required: Boolean(answer.two_factor_enrolment_required),
    remember,
  };
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const session = useSyncExternalStore(sessionStore.subscribe, sessionStore.get, sessionStore.get);
  const queryClient = useQueryClient();

  // On start-up, refresh roles and permissions: an administrator may have changed them since the login.
  const token = session?.token;
  useEffect(() => {
    if (!token) return;
    let stale = false;
    api.get<{ user?: SessionUser; roles: string[]; permissions: string[] }>("/crm/auth/me")
      .then((me) => {
        const current = sessionStore.get();
        if (!stale && current && me.user) {
          sessionStore.set({ ...current, user: me.user, roles: me.roles, permissions: me.permissions });
        }
      })
      .catch(() => undefined);
    return () => {
      stale = true;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [Boolean(token)]);

  const start = useCallback((answer: LoginAnswer, remember: boolean) => {
    const next = toSession(answer, remember);
    queryClient.clear();
    sessionStore.set(next);
    return next;
  }, [queryClient]);

  const login = useCallback(async (email: string, password: string, remember: boolean) => {
    const answer = await api.request<LoginAnswer>("/crm/auth/login", {
      method: "POST", body: { email, password, remember_me: remember, refresh_in_cookie: true }, skipAuth: true,
    });
    if (answer["2fa_required"]) {
      throw new TwoFactorRequired({ userId: Number(answer.user_id), mfaToken: answer.mfa_token ?? "", remember });
    }
    return start(answer, remember);
  }, [start]);

  const completeTwoFactor = useCallback(async (challenge: TwoFactorChallenge, code: string) => {
    const answer = await api.request<LoginAnswer>(`/crm/2fa/verify/user/${challenge.userId}`, {
      method: "POST",
      body: { code, mfa_token: challenge.mfaToken, remember_me: challenge.remember, refresh_in_cookie: true },
      skipAuth: true,
    });
    return start(answer, challenge.remember);
  }, [start]);

  const updateUser = useCallback((changes: Partial<SessionUser>) => {
    const current = sessionStore.get();
    if (!current) return;
    const enrolled = changes.is_2fa_enabled === true;
    sessionStore.set({
      ...current,
      user: { ...current.user, ...changes },
      two_factor_enrolment_required: enrolled ? false : current.two_factor_enrolment_required,
    });
  }, []);

  const logout = useCallback(async () => {
    const current = sessionStore.get();
    if (current) {
      await api.post("/crm/auth/logout", {}).catch(() => undefined);  // ends the session and clears the cookie
    }
    sessionStore.set(null);
    queryClient.clear();
  }, [queryClient]);

  const replaceSession = useCallback((answer: LoginAnswer) => {
    sessionStore.set(toSession(answer, sessionStore.get()?.remember ?? false));
  }, []);

  const value = useMemo<AuthValue>(() => {
    const permissions = permissionSet(session?.permissions);
    return {
      session,
      user: session?.user ?? null,
      permissions,
      allows: (requirement) => allows(permissions, requirement),
      login,
      completeTwoFactor,
      logout,
      replaceSession,
      updateUser,
    };
  }, [session, login, completeTwoFactor, logout, replaceSession, updateUser]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}

/** Render children only when the user holds the requirement (buttons, menu entries). */
export function Can({ requires, children }: { requires: Requirement; children: ReactNode }) {
  const { allows: has } = useAuth();
  return has(requires) ? <>{children}</> : null;
}
