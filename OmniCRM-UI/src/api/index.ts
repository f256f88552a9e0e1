import { createApiClient } from "./client";
import { sessionStore } from "./session";

export const sessionExpiredListeners = new Set<() => void>();

export const api = createApiClient({
  store: sessionStore,
  onSessionExpired: () => sessionExpiredListeners.forEach((listener) => listener()),
});

export { ApiError, errorMessage } from "./client";
export type { FieldErrors } from "./client";
export { sessionStore } from "./session";
export type { Session, SessionUser } from "./session";

export interface Pagination {
  current_page: number;
  per_page: number;
  total_pages: number;
  total_items: number;
}

export interface Page<T> {
  data: T[];
  pagination: Pagination;
}
