import { MantineProvider } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { createMemoryRouter, RouterProvider } from "react-router";
import { afterEach, describe, expect, it, vi } from "vitest";
import { sessionStore } from "../api";
import { AuthProvider } from "../auth/AuthContext";
import "../i18n";
import { landingPath, LoginPage } from "./LoginPage";

function renderLogin(fetchImpl: typeof fetch) {
  vi.stubGlobal("fetch", fetchImpl);
  const router = createMemoryRouter([
    { path: "/login", element: <LoginPage /> },
    { path: "/dashboard", element: <p>dashboard page</p> },
    { path: "/change-password", element: <p>change password page</p> },
  ], { initialEntries: ["/login"] });
  render(
    <MantineProvider>
      <QueryClientProvider client={new QueryClient()}>
        <AuthProvider><RouterProvider router={router} /></AuthProvider>
      </QueryClientProvider>
    </MantineProvider>,
  );
  return router;
}

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status });
const answer = (force = false) => ({
  token: "a", access_token: "a", refresh_token: "r", roles: ["admin"], permissions: ["admin"], force_password_change: force,
  user: { id: 1, username: "admin", email: "admin@example.com", first_name: "System", last_name: "Administrator", roles: ["admin"] },
});

afterEach(() => {
  sessionStore.set(null);
  vi.unstubAllGlobals();
});

describe("login screen", () => {
  it("checks the fields before calling the API", async () => {
    const fetchImpl = vi.fn();
    renderLogin(fetchImpl as unknown as typeof fetch);
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findAllByText("Required")).toHaveLength(2);
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("says 'Invalid email or password' when the API refuses", async () => {
    renderLogin(vi.fn(async () => json(401, { message: "Invalid email or password" })) as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "admin@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "wrong");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByTestId("login-error")).textContent).toContain("Invalid email or password");
    expect(sessionStore.get()).toBeNull();
  });

  it("shows the API's message for other refusals (locked account)", async () => {
    renderLogin(vi.fn(async () => json(423, { message: "Account locked for 15 minutes" })) as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "admin@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "x");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect((await screen.findByTestId("login-error")).textContent).toContain("Account locked for 15 minutes");
  });

  it("sends remember_me and keeps the session, then opens the dashboard page", async () => {
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) => (String(url).endsWith("/login") ? json(200, answer()) : json(200, { ...answer(), kind: "user" })));
    const router = renderLogin(fetchImpl as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "admin@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "Admin123!");
    await userEvent.click(screen.getByLabelText("Remember me for 30 days"));
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/dashboard"));
    const [, init] = fetchImpl.mock.calls[0] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body))).toEqual({ email: "admin@example.com", password: "Admin123!", remember_me: true, refresh_in_cookie: true });
    expect(sessionStore.get()?.remember).toBe(true);
  });

  it("sends a user with a temporary password to the change-password screen", async () => {
    const router = renderLogin(vi.fn(async () => json(200, answer(true))) as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "admin@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "Temp123!x");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await waitFor(() => expect(router.state.location.pathname).toBe("/change-password"));
  });

  it("asks for the 2FA code and logs in as soon as the 6th digit is typed", async () => {
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) => {
      const path = String(url);
      if (path.endsWith("/auth/login")) return json(200, { "2fa_required": true, user_id: 7, mfa_token: "mfa" });
      if (path.includes("/2fa/verify/")) return json(200, answer());
      return json(200, { ...answer(), kind: "user" });
    });
    const router = renderLogin(fetchImpl as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "admin@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "Admin123!");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    const code = await screen.findByLabelText(/6-digit code/);
    await userEvent.type(code, "12345");
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    await userEvent.type(code, "6");
    await waitFor(() => expect(router.state.location.pathname).toBe("/dashboard"));
    const [url, init] = fetchImpl.mock.calls[1] as unknown as [string, RequestInit];
    expect(url).toBe("/crm/2fa/verify/user/7");
    expect(JSON.parse(String(init.body))).toEqual({ code: "123456", mfa_token: "mfa", remember_me: false, refresh_in_cookie: true });
    expect(sessionStore.get()?.token).toBe("a");
  });

  it("shows a refused code, accepts a recovery code, and Cancel goes back to the password form", async () => {
    let verifyCalls = 0;
    const fetchImpl = vi.fn(async (url: RequestInfo | URL) => {
      const path = String(url);
      if (path.endsWith("/auth/login")) return json(200, { "2fa_required": true, user_id: 7, mfa_token: "mfa" });
      verifyCalls += 1;
      return json(400, { message: "Validation failed", errors: { code: "is not a valid 2FA or backup code" } });
    });
    renderLogin(fetchImpl as unknown as typeof fetch);
    await userEvent.type(screen.getByLabelText(/Email address/), "admin@example.com");
    await userEvent.type(screen.getByLabelText(/^Password/), "Admin123!");
    await userEvent.click(screen.getByRole("button", { name: "Sign in" }));
    await userEvent.type(await screen.findByLabelText(/6-digit code/), "000000");
    expect((await screen.findByTestId("two-factor-error")).textContent).toContain("That code is not valid");
    expect((screen.getByLabelText(/6-digit code/) as HTMLInputElement).value).toBe("");

    await userEvent.click(screen.getByRole("tab", { name: "Recovery Code" }));
    await userEvent.type(screen.getByLabelText(/^Recovery code/), "1234");
    await userEvent.click(screen.getByRole("button", { name: "Verify" }));
    expect((await screen.findByTestId("two-factor-error")).textContent).toContain("8 digits");
    expect(verifyCalls).toBe(1);
    await userEvent.type(screen.getByLabelText(/^Recovery code/), "5678");
    await userEvent.click(screen.getByRole("button", { name: "Verify" }));
    await waitFor(() => expect(verifyCalls).toBe(2));
    const [, init] = fetchImpl.mock.calls[2] as unknown as [string, RequestInit];
    expect(JSON.parse(String(init.body)).code).toBe("12345678");

    await userEvent.click(screen.getByRole("button", { name: "Cancel" }));
    expect(await screen.findByRole("button", { name: "Sign in" })).toBeTruthy();
    expect(sessionStore.get()).toBeNull();
  });

  it("only follows local ?next= links", () => {
    expect(landingPath("/customers/4#3")).toBe("/customers/4#3");
    expect(landingPath("//evil.example")).toBe("/dashboard");
    expect(landingPath("https://evil.example")).toBe("/dashboard");
    expect(landingPath(null)).toBe("/dashboard");
  });
});
