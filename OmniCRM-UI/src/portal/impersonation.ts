/**
 * Staff acting as a subscriber (spec 05 §7): the console swaps its session for the impersonation's (the API's
 * tokens carry `impersonator_id`; the refresh cookie follows), and "Return to console" swaps it back with the
 * tokens POST /crm/auth/stop_impersonation returns.
 */
import { api, sessionStore, type Session, type SessionUser } from "../api";

interface SessionAnswer {
  token?: string;
  access_token?: string;
  user: SessionUser;
  roles?: string[];
  permissions?: string[];
  force_password_change?: boolean;
}

interface StartAnswer extends SessionAnswer {
  impersonator: { id: number; email: string; name?: string };
}

function toSession(answer: SessionAnswer, remember: boolean): Session {
  return {
    token: answer.token ?? answer.access_token ?? "",
    user: answer.user,
    roles: answer.roles ?? [],
    permissions: answer.permissions ?? [],
    force_password_change: false,
    remember,
  };
}

export async function startImpersonation(userId: number, reason: string, customerId?: number | null): Promise<Session> {
  const staff = sessionStore.get();
  const answer = await api.post<StartAnswer>("/crm/auth/impersonate", { user_id: userId, reason, refresh_in_cookie: true });
  const session: Session = {
    ...toSession(answer, false),
    impersonator: { ...answer.impersonator, remember: staff?.remember ?? false, customerId: customerId ?? null },
  };
  sessionStore.set(session);
  return session;
}

/** Back to the staff session; null when it ended meanwhile (the staff member logs in again). */
export async function stopImpersonation(): Promise<{ session: Session | null; customerId: number | null }> {
  const current = sessionStore.get();
  const customerId = current?.impersonator?.customerId ?? current?.user.customer_id ?? null;
  const answer = await api.post<Partial<SessionAnswer>>("/crm/auth/stop_impersonation", { refresh_in_cookie: true })
    .catch(() => ({} as Partial<SessionAnswer>));
  const token = answer.token ?? answer.access_token;
  if (!token || !answer.user) {
    sessionStore.set(null);
    return { session: null, customerId };
  }
  const session = toSession(answer as SessionAnswer, current?.impersonator?.remember ?? false);
  sessionStore.set(session);
  return { session, customerId };
}
